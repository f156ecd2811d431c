"""Signed orders: creation (params checked against the type's allowlist), delivery, results, expiry.

Life of an order: pending → delivered (handed out at check-in) → acknowledged → completed | failed,
or expired when its window passes first. A fleet order fans out into one order per appliance, each
signed for that appliance alone, so a leaked envelope cannot be replayed on another box.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import asyncpg
import nacl.signing

from contracts.api import OrderAck
from contracts.errors import OrderParamsError
from contracts.orders import ORDER_TYPES, OrderPolicy, sign_order
from serving.errors import BadRequest, Conflict, Forbidden, NotFound
from serving.services.auth import ApplianceIdentity
from warehouse.rows import _row_dict, _uid
from warehouse.sql_files import sql

DEFAULT_TTL = timedelta(hours=1)
OPEN = ("pending", "delivered", "acknowledged")


class OrderStatus(StrEnum):
    """Where an order is in its life."""

    PENDING = "pending"
    DELIVERED = "delivered"
    ACKNOWLEDGED = "acknowledged"
    COMPLETED = "completed"
    FAILED = "failed"
    EXPIRED = "expired"


def _safe_status(value: Any) -> OrderStatus:
    """A status from the database; an unknown one reads as expired, which nobody acts on."""
    try:
        return OrderStatus(str(value))
    except ValueError:
        return OrderStatus.EXPIRED


def _public(row: asyncpg.Record) -> dict[str, Any]:
    out = _row_dict(row)
    out["status"] = _safe_status(row["status"]).value
    return out


def _result_status(reported: str) -> str:
    """The stored status for what an appliance reported (refused and unsupported are failures)."""
    return "completed" if reported == "completed" else "failed"


async def _insert(
    conn: asyncpg.Connection,
    targets: list[tuple[uuid.UUID, uuid.UUID]],
    *,
    order_type: str,
    params: dict[str, Any],
    signing_key: nacl.signing.SigningKey,
    kind: str,
    created_by: str,
    ttl: timedelta,
    policy: OrderPolicy,
    fleet_id: uuid.UUID | None,
) -> list[uuid.UUID]:
    if order_type not in ORDER_TYPES:
        raise BadRequest(f"unknown order type {order_type!r} (known: {', '.join(ORDER_TYPES)})")
    rows, ids = [], []
    for appliance_id, site_id in targets:
        try:
            order, envelope = sign_order(
                order_type, params, signing_key=signing_key, target_appliance_id=str(appliance_id),
                ttl=ttl, policy=policy,
            )
        except OrderParamsError as exc:
            raise BadRequest(str(exc)) from exc
        oid = uuid.UUID(order.order_id)
        ids.append(oid)
        rows.append((
            oid, site_id, appliance_id, fleet_id, kind, order_type, order.params, order.nonce,
            json.loads(envelope), created_by, order.issued_at, order.expires_at,
        ))
    await conn.executemany(sql("serving/order_insert"), rows)
    return ids


async def create_order(
    pool: asyncpg.Pool,
    *,
    appliance_id: uuid.UUID | str,
    order_type: str,
    params: dict[str, Any],
    signing_key: nacl.signing.SigningKey,
    kind: str = "admin",
    created_by: str = "",
    ttl: timedelta = DEFAULT_TTL,
    policy: OrderPolicy = OrderPolicy(),
    allowed_sites: Collection[uuid.UUID] | None = None,
) -> dict[str, Any]:
    """Sign and queue one order for one appliance; BadRequest when params fall outside the allowlist.

    `allowed_sites` (a partner's sites; None: any) refuses appliances elsewhere with Forbidden.
    """
    aid = _uid(appliance_id, "appliance_id")
    async with pool.acquire() as conn, conn.transaction():
        target = await conn.fetchrow(sql("serving/order_target"), aid)
        if target is None:
            raise NotFound("appliance", aid)
        if allowed_sites is not None and target["site_id"] not in set(allowed_sites):
            raise Forbidden(f"appliance {aid} is not on one of this caller's sites")
        if target["retired"]:
            raise Conflict(f"appliance {aid} is revoked or its site deleted; it takes no orders")
        (oid,) = await _insert(
            conn, [(aid, target["site_id"])], order_type=order_type, params=params, signing_key=signing_key,
            kind=kind, created_by=created_by, ttl=ttl, policy=policy, fleet_id=None,
        )
        return _public(await conn.fetchrow(sql("serving/order_get"), oid))


async def create_fleet_order(
    pool: asyncpg.Pool,
    *,
    order_type: str,
    params: dict[str, Any],
    signing_key: nacl.signing.SigningKey,
    site_ids: list[uuid.UUID] | None = None,
    created_by: str = "",
    ttl: timedelta = DEFAULT_TTL,
    policy: OrderPolicy = OrderPolicy(),
) -> dict[str, Any]:
    """One order per live appliance of `site_ids` (None: every site); returns fleet_id and the orders."""
    fleet_id = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        targets = [(r["id"], r["site_id"]) for r in await conn.fetch(sql("serving/order_fleet_targets"), site_ids)]
        if not targets:
            raise Conflict("no live appliance to send a fleet order to")
        ids = await _insert(
            conn, targets, order_type=order_type, params=params, signing_key=signing_key, kind="fleet",
            created_by=created_by, ttl=ttl, policy=policy, fleet_id=fleet_id,
        )
        rows = await conn.fetch(sql("serving/order_get_many"), ids)
    return {"fleet_id": str(fleet_id), "orders": [_public(r) for r in rows]}


async def get_order(conn: asyncpg.Pool | asyncpg.Connection, order_id: uuid.UUID | str) -> dict[str, Any]:
    """One order with its effective status (a stale open order reads as expired)."""
    oid = _uid(order_id, "order_id")
    row = await conn.fetchrow(sql("serving/order_get"), oid)
    if row is None:
        raise NotFound("order", oid)
    return _public(row)


async def list_orders(
    pool: asyncpg.Pool,
    *,
    site_ids: list[uuid.UUID] | None = None,
    site_id: uuid.UUID | None = None,
    appliance_id: uuid.UUID | None = None,
    status: OrderStatus | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Orders, newest first, narrowed by the filters given."""
    rows = await pool.fetch(
        sql("serving/order_list"), site_ids, site_id, appliance_id, status.value if status else None, limit
    )
    return [_public(r) for r in rows]


async def take_pending(conn: asyncpg.Connection, appliance_id: uuid.UUID) -> list[dict[str, Any]]:
    """The appliance's pending unexpired order envelopes, oldest first, now marked delivered."""
    rows = await conn.fetch(sql("serving/order_take_pending"), appliance_id)
    return [r["envelope"] for r in sorted(rows, key=lambda r: (r["issued_at"], r["id"]))]


async def _own(conn: asyncpg.Pool | asyncpg.Connection, appliance: ApplianceIdentity, oid: uuid.UUID) -> dict:
    order = await get_order(conn, oid)
    # Another appliance's order is reported as missing: an appliance learns nothing about others.
    if order["appliance_id"] != str(appliance.id):
        raise NotFound("order", oid)
    return order


async def acknowledge(
    pool: asyncpg.Pool, appliance: ApplianceIdentity, order_id: uuid.UUID | str, ack: OrderAck
) -> dict[str, Any]:
    """The appliance accepted (or refused) a delivered order; repeating an acknowledgement is harmless."""
    oid = _uid(order_id, "order_id")
    if ack.status != "acknowledged":
        return await finish(pool, appliance, oid, ack)
    async with pool.acquire() as conn, conn.transaction():
        order = await _own(conn, appliance, oid)
        if order["status"] == "acknowledged":
            return order
        if await conn.fetchval(sql("serving/order_acknowledge"), oid, appliance.id, ack.detail) is None:
            raise Conflict(f"order {oid} is {order['status']}; only pending or delivered orders can be acknowledged")
        return await get_order(conn, oid)


async def finish(
    pool: asyncpg.Pool,
    appliance: ApplianceIdentity,
    order_id: uuid.UUID | str,
    ack: OrderAck,
    finished_at: datetime | None = None,
) -> dict[str, Any]:
    """Record an order's result (completed, failed, refused, unsupported); the same result twice is fine."""
    oid = _uid(order_id, "order_id")
    if ack.status == "acknowledged":
        raise BadRequest("a result must be completed, failed, refused or unsupported")
    status = _result_status(ack.status)
    detail = ack.detail if ack.status in ("completed", "failed") else f"{ack.status}: {ack.detail}".rstrip(": ")
    async with pool.acquire() as conn, conn.transaction():
        order = await _own(conn, appliance, oid)
        if order["status"] in ("completed", "failed"):
            if order["status"] == status:
                return order
            raise Conflict(f"order {oid} already finished as {order['status']}")
        await conn.fetchval(sql("serving/order_finish"), oid, appliance.id, status, detail, finished_at)
        return await get_order(conn, oid)


async def expire_stale(pool: asyncpg.Pool) -> int:
    """Mark open orders past their expiry as expired; returns how many (the periodic sweep)."""
    status = await pool.execute(sql("serving/order_expire_stale"))
    return int(status.split()[-1])
