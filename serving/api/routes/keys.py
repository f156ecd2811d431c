"""The server's public signing key, so appliances can trust its orders and bundles."""

from __future__ import annotations

from fastapi import APIRouter

from contracts.envelope import dump_verify_key, key_id
from serving.deps import PrincipalDep, SigningKeyDep

router = APIRouter(tags=["keys"])


@router.get("/api/keys/orders-public")
async def orders_public_key(signing_key: SigningKeyDep, _: PrincipalDep) -> dict[str, str]:
    """The Ed25519 public key (key file text) and key id that sign orders and rules bundles."""
    return {
        "algorithm": "ed25519",
        "key_id": key_id(signing_key.verify_key),
        "public_key": dump_verify_key(signing_key.verify_key),
    }
