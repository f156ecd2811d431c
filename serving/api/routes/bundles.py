"""Rules bundles: publishing (admins), listing, and `GET /api/agent/sync` with ETag / If-None-Match."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status

from serving.deps import AdminUser, CurrentAppliance, PoolDep, ReadUser, SettingsDep, SigningKeyDep
from serving.errors import NotPublished
from serving.models import BundlePublic, BundlePublish
from serving.services import bundles

router = APIRouter(tags=["bundles"])


def _etag(digest: str) -> str:
    return f'"{digest}"'


def _matches(if_none_match: str, digest: str) -> bool:
    """RFC 9110 weak comparison over a list of entity tags (a bare digest is accepted too)."""
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*":
            return True
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag.strip('"') == digest:
            return True
    return False


@router.post("/api/bundles", status_code=status.HTTP_201_CREATED)
async def publish_bundle(
    body: BundlePublish, pool: PoolDep, signing_key: SigningKeyDep, settings: SettingsDep, _: AdminUser
) -> BundlePublic:
    """Sign the rules as the next bundle version (admins; the flywheel calls the service directly)."""
    days = body.expires_in_days or settings.bundle_expires_days
    version = await bundles.publish_bundle(pool, body.rules, signing_key, expires_in=timedelta(days=days))
    return BundlePublic(**await bundles.get_bundle(pool, version))


@router.get("/api/bundles")
async def list_bundles(pool: PoolDep, _: ReadUser) -> list[BundlePublic]:
    """Published bundles, newest first."""
    return [BundlePublic(**b) for b in await bundles.list_bundles(pool)]


@router.get(
    "/api/agent/sync",
    responses={200: {"content": {"application/json": {}}, "description": "the signed bundle envelope"},
               304: {"description": "the bundle named by If-None-Match is still current"}},
)
async def sync(
    request: Request,
    appliance: CurrentAppliance,
    pool: PoolDep,
    if_none_match: Annotated[str | None, Header(max_length=4096)] = None,
) -> Response:
    """The current signed bundle, byte for byte; its ETag is its digest, and a matching If-None-Match gets 304."""
    head = await bundles.current_digest(pool)
    if head is None:
        raise NotPublished("no rules bundle has been published yet")
    version, digest = head
    headers = {"ETag": _etag(digest), "X-Bundle-Version": str(version), "Cache-Control": "no-cache"}
    if if_none_match and _matches(if_none_match, digest):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    cache: dict = request.app.state.bundle_cache
    bundle = cache.get(digest)
    if bundle is None:
        bundle = await bundles.current(pool)
        if bundle is None:  # deleted between the two reads: nothing to serve
            raise NotPublished("no rules bundle has been published yet")
        # Keep only the newest envelope: bundles are immutable once signed, so a digest never goes stale.
        cache.clear()
        cache[bundle.digest] = bundle
        headers.update({"ETag": _etag(bundle.digest), "X-Bundle-Version": str(bundle.version)})
    return Response(bundle.envelope, media_type="application/json", headers=headers)
