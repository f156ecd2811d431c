"""Appliances: provisioning (the API key is shown once), listing, revocation, and their own keys."""

from __future__ import annotations

from fastapi import APIRouter, status

from contracts.envelope import dump_verify_key, key_id
from serving.deps import CurrentAppliance, PoolDep, ReadableSite, SigningKeyDep, WritableSite
from serving.models import ApplianceCreate, ApplianceKeys, ApplianceProvisioned, AppliancePublic
from serving.security import check_box_key, check_verify_key, parse_public_key
from serving.services import appliances
from warehouse.rows import _uid

router = APIRouter(tags=["appliances"])


def _keys(body: ApplianceKeys) -> dict[str, bytes | None]:
    box, signing = body.box_public_key, body.signing_public_key
    return {
        "box_public_key": check_box_key(parse_public_key(box, "box_public_key")) if box else None,
        "signing_public_key": check_verify_key(parse_public_key(signing, "signing_public_key")) if signing else None,
    }


@router.post("/api/sites/{site_id}/appliances", status_code=status.HTTP_201_CREATED)
async def provision_appliance(
    site_id: WritableSite, body: ApplianceCreate, pool: PoolDep, signing_key: SigningKeyDep
) -> ApplianceProvisioned:
    """Provision an appliance; the answer carries its API key, once, and the server's public key."""
    appliance_id, api_key = await appliances.provision_appliance(pool, site_id, name=body.name, **_keys(body))
    return ApplianceProvisioned(
        appliance_id=str(appliance_id),
        site_id=str(site_id),
        api_key=api_key,
        signing_public_key=dump_verify_key(signing_key.verify_key),
        signing_key_id=key_id(signing_key.verify_key),
    )


@router.get("/api/sites/{site_id}/appliances")
async def list_appliances(site_id: ReadableSite, pool: PoolDep) -> list[AppliancePublic]:
    """A site's appliances (revoked ones marked)."""
    return [AppliancePublic(**a) for a in await appliances.list_appliances(pool, site_id)]


@router.post("/api/sites/{site_id}/appliances/{appliance_id}/revoke")
async def revoke_appliance(site_id: WritableSite, appliance_id: str, pool: PoolDep) -> AppliancePublic:
    """Revoke an appliance: its key is refused from now on."""
    return AppliancePublic(
        **await appliances.revoke_appliance(pool, site_id, _uid(appliance_id, "appliance_id"))
    )


@router.put("/api/appliances/me/keys")
async def set_my_keys(body: ApplianceKeys, appliance: CurrentAppliance, pool: PoolDep) -> AppliancePublic:
    """The appliance registers its X25519 box key (sealed credentials) and Ed25519 evidence key."""
    return AppliancePublic(**await appliances.set_keys(pool, appliance, **_keys(body)))
