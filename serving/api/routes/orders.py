"""Orders: people create them (one appliance or a fleet), appliances acknowledge and complete them."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, status

from contracts.api import OrderAck
from serving.deps import CurrentAppliance, PolicyDep, PoolDep, ReadUser, SettingsDep, SigningKeyDep, WriteUser
from serving.errors import Forbidden
from serving.models import FleetOrderCreate, FleetOrderPublic, OrderCreate, OrderPublic
from serving.services import orders
from serving.services.auth import Role
from warehouse.rows import _uid

router = APIRouter(prefix="/api/orders", tags=["orders"])


def _ttl(requested: int | None, settings) -> timedelta:
    return timedelta(seconds=requested or settings.order_ttl_seconds)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_order(
    body: OrderCreate, user: WriteUser, pool: PoolDep, signing_key: SigningKeyDep, settings: SettingsDep,
    policy: PolicyDep,
) -> OrderPublic:
    """Sign an order for one appliance; 400 when the type is unknown or the params leave its allowlist."""
    order = await orders.create_order(
        pool,
        appliance_id=_uid(body.appliance_id, "appliance_id"),
        order_type=body.type,
        params=body.params,
        signing_key=signing_key,
        created_by=user.label,
        ttl=_ttl(body.ttl_seconds, settings),
        policy=policy,
        allowed_sites=user.sites_filter(),
    )
    return OrderPublic(**order)


@router.post("/fleet", status_code=status.HTTP_201_CREATED)
async def create_fleet_order(
    body: FleetOrderCreate, user: WriteUser, pool: PoolDep, signing_key: SigningKeyDep, settings: SettingsDep,
    policy: PolicyDep,
) -> FleetOrderPublic:
    """One signed order per live appliance of the given sites (admins may omit sites: the whole fleet)."""
    site_ids = None if body.site_ids is None else [_uid(s, "site_id") for s in body.site_ids]
    if site_ids is None and user.role is not Role.ADMIN:
        raise Forbidden("a partner's fleet order must name its sites")
    for sid in site_ids or ():
        user.check_write(sid)
    result = await orders.create_fleet_order(
        pool, order_type=body.type, params=body.params, signing_key=signing_key, site_ids=site_ids,
        created_by=user.label, ttl=_ttl(body.ttl_seconds, settings), policy=policy,
    )
    return FleetOrderPublic(fleet_id=result["fleet_id"], orders=[OrderPublic(**o) for o in result["orders"]])


@router.get("")
async def list_orders(
    user: ReadUser,
    pool: PoolDep,
    site_id: Annotated[str | None, Query(max_length=64)] = None,
    appliance_id: Annotated[str | None, Query(max_length=64)] = None,
    status_: Annotated[orders.OrderStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[OrderPublic]:
    """Orders, newest first; `status` filters by effective status (stale open orders read as expired)."""
    sid = _uid(site_id, "site_id") if site_id is not None else None
    if sid is not None:
        user.check_read(sid)
    aid = _uid(appliance_id, "appliance_id") if appliance_id is not None else None
    rows = await orders.list_orders(
        pool, site_ids=user.sites_filter(), site_id=sid, appliance_id=aid, status=status_, limit=limit
    )
    return [OrderPublic(**o) for o in rows]


@router.get("/{order_id}")
async def get_order(order_id: str, user: ReadUser, pool: PoolDep) -> OrderPublic:
    """One order and where it is in its life."""
    order = await orders.get_order(pool, _uid(order_id, "order_id"))
    user.check_read(_uid(order["site_id"]))
    return OrderPublic(**order)


@router.post("/{order_id}/acknowledge")
async def acknowledge(order_id: str, appliance: CurrentAppliance, pool: PoolDep, body: OrderAck | None = None) -> OrderPublic:
    """The appliance accepted the order (or refused it: status refused / unsupported / failed)."""
    return OrderPublic(**await orders.acknowledge(pool, appliance, order_id, body or OrderAck()))


@router.post("/{order_id}/complete")
async def complete(order_id: str, body: OrderAck, appliance: CurrentAppliance, pool: PoolDep) -> OrderPublic:
    """The appliance reports how the order ended: completed, failed, refused or unsupported."""
    return OrderPublic(**await orders.finish(pool, appliance, order_id, body))
