"""Target credentials: sealed to the site's appliances at once, listed without secrets, deleted."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from serving.deps import PoolDep, ReadableSite, WritableSite
from serving.models import CredentialCreate, CredentialPublic
from serving.services import credentials
from warehouse.rows import _uid

router = APIRouter(prefix="/api/sites/{site_id}/credentials", tags=["credentials"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_credential(site_id: WritableSite, body: CredentialCreate, pool: PoolDep) -> CredentialPublic:
    """Seal a target's secrets to every live appliance of the site with a box key (409 when none has)."""
    return CredentialPublic(**await credentials.create_credential(pool, site_id, **body.model_dump()))


@router.get("")
async def list_credentials(site_id: ReadableSite, pool: PoolDep) -> list[CredentialPublic]:
    """A site's credentials, without secrets."""
    return [CredentialPublic(**c) for c in await credentials.list_credentials(pool, site_id)]


@router.delete("/{credential_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_credential(site_id: WritableSite, credential_id: str, pool: PoolDep) -> Response:
    """Delete a credential and its sealed copies."""
    await credentials.delete_credential(pool, site_id, _uid(credential_id, "credential_id"))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
