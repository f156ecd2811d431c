"""CVEs affecting the fleet's devices, from the published `cve_exposure` mart."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from serving.api.routes._marts import MartsDir, readable_site, visible_sites
from serving.deps import ReadUser
from serving.services import marts

router = APIRouter(prefix="/api/cves", tags=["cves"])

Severity = Literal["low", "medium", "high", "critical"]


class CvePublic(BaseModel):
    """One CVE and how many of the caller's devices it affects."""

    cve_id: str
    cvss_score: float | None
    cvss_version: str | None
    base_severity: str
    severity: str
    kev: bool
    kev_due: date | None
    description: str | None
    published: datetime | None
    last_modified: datetime | None
    devices: int
    exposed_devices: int
    sites: int


class CvesPublic(BaseModel):
    """A page of CVEs, the total matching, and when the mart was published."""

    data: list[CvePublic]
    count: int
    as_of: datetime | None


class AffectedDevice(BaseModel):
    """A device a CVE affects, through which installed product, and whether it is exposed."""

    site_id: str
    host: str
    cpe: str
    severity: str
    exposed: bool
    exposed_ports: list[str]
    last_observed_at: datetime | None


class CveDetail(BaseModel):
    """One CVE with NVD's scores and every affected device the caller may see."""

    cve_id: str
    cvss_score: float | None
    cvss_version: str | None
    cvss_vector: str | None
    attack_vector: str | None
    base_severity: str
    severity: str
    kev: bool
    kev_due: date | None
    description: str | None
    published: datetime | None
    last_modified: datetime | None
    devices: list[AffectedDevice]
    as_of: datetime | None


@router.get("")
async def list_cves(
    user: ReadUser,
    directory: MartsDir,
    site_id: Annotated[str | None, Query(description="Only this site's devices.")] = None,
    severity: Annotated[list[Severity] | None, Query(description="Effective severity; repeat for several.")] = None,
    exposed: Annotated[bool | None, Query(description="Only devices where nmap shows the service open.")] = None,
    kev: Annotated[bool | None, Query(description="Only CVEs in CISA's Known Exploited list.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CvesPublic:
    """CVEs on the caller's devices, worst first (severity is raised one level when exposed)."""
    rows, count, as_of = marts.list_cves(directory, visible_sites(user), site_id=readable_site(user, site_id),
                                         severities=severity, exposed=exposed, kev=kev, limit=limit, offset=offset)
    return CvesPublic(data=[CvePublic(**r) for r in rows], count=count, as_of=as_of)


@router.get("/{cve_id}")
async def get_cve(cve_id: str, user: ReadUser, directory: MartsDir) -> CveDetail:
    """One CVE and the caller's devices it affects; 404 when it affects none of them."""
    return CveDetail(**marts.get_cve(directory, visible_sites(user), cve_id))
