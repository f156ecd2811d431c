"""Sites and their manually entered devices."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from serving.deps import AdminUser, PoolDep, ReadableSite, ReadUser, WritableSite
from serving.models import DeviceCreate, DevicePublic, SiteCreate, SitePublic, SiteUpdate
from serving.services import sites

router = APIRouter(prefix="/api/sites", tags=["sites"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_site(body: SiteCreate, pool: PoolDep, _: AdminUser) -> SitePublic:
    """Create a site (admins)."""
    return SitePublic(**await sites.create_site(pool, **body.model_dump()))


@router.get("")
async def list_sites(pool: PoolDep, user: ReadUser) -> list[SitePublic]:
    """Every site the caller may see (a partner sees its own)."""
    return [SitePublic(**s) for s in await sites.list_sites(pool, user.sites_filter())]


@router.get("/{site_id}")
async def get_site(site_id: ReadableSite, pool: PoolDep) -> SitePublic:
    """One site."""
    return SitePublic(**await sites.get_site(pool, site_id))


@router.patch("/{site_id}")
async def update_site(site_id: WritableSite, body: SiteUpdate, pool: PoolDep) -> SitePublic:
    """Change a site's name, time zone or notes."""
    return SitePublic(**await sites.update_site(pool, site_id, **body.model_dump(exclude_unset=True)))


@router.delete("/{site_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_site(site_id: ReadableSite, pool: PoolDep, _: AdminUser) -> Response:
    """Retire a site (admins): it disappears from lists, its appliances are revoked, its history stays."""
    await sites.delete_site(pool, site_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{site_id}/devices/manual", status_code=status.HTTP_201_CREATED)
async def add_manual_device(site_id: WritableSite, body: DeviceCreate, pool: PoolDep) -> DevicePublic:
    """Add a device the scanner cannot vouch for (printers, non-domain PCs); 409 on a known hostname."""
    return DevicePublic(**await sites.add_manual_device(pool, site_id, **body.model_dump()))


@router.get("/{site_id}/devices")
async def list_devices(site_id: ReadableSite, pool: PoolDep) -> list[DevicePublic]:
    """A site's devices, manual and scanned."""
    return [DevicePublic(**d) for d in await sites.list_devices(pool, site_id)]
