"""Check-in: the appliance reports itself and learns the time, the current bundle, its orders and targets."""

from __future__ import annotations

import asyncpg

from contracts.api import CheckinRequest, CheckinResponse
from serving.services import bundles, credentials, orders
from serving.services.auth import ApplianceIdentity
from warehouse.sql_files import sql


async def checkin(pool: asyncpg.Pool, appliance: ApplianceIdentity, request: CheckinRequest) -> CheckinResponse:
    """Record the check-in and hand out pending orders (marking them delivered) in one transaction."""
    async with pool.acquire() as conn, conn.transaction():
        server_time = await conn.fetchval(
            sql("serving/appliance_checkin"),
            appliance.id, request.hostname, request.agent_version, request.platform, request.bundle_version,
        )
        bundle = await bundles.current_digest(conn)
        pending = await orders.take_pending(conn, appliance.id)
        targets = await credentials.sealed_targets(conn, appliance.id)
    return CheckinResponse(
        appliance_id=str(appliance.id),
        site_id=str(appliance.site_id),
        server_time=server_time,
        bundle_version=bundle[0] if bundle else None,
        bundle_digest=bundle[1] if bundle else None,
        orders=pending,
        targets=targets,
    )
