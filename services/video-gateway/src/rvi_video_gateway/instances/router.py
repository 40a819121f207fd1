"""The registry of gateway instances over REST: their load, and draining one (DESIGN: Scale)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from rvi_shared.auth import Principal, Role, require_roles
from rvi_video_gateway.dependencies import gateway_registry
from rvi_video_gateway.instances.registry import GatewayRegistry, InstanceStatus
from rvi_video_gateway.instances.schemas import GatewayOut

gateways_router = APIRouter(prefix="/v1/gateways", tags=["gateways"])
Registry = Annotated[GatewayRegistry, Depends(gateway_registry)]
Operators = require_roles(Role.OPERATOR)
Watchers = require_roles(Role.OPERATOR, Role.SYSTEM)


def gateway_out(status: InstanceStatus) -> GatewayOut:
    row = status.instance
    return GatewayOut(
        instance_id=row.instance_id,
        advertised_url=row.advertised_url,
        started_at=row.started_at,
        last_heartbeat_at=row.last_heartbeat_at,
        alive=status.alive,
        draining=row.draining,
        sessions=row.sessions,
        feeds=row.feeds,
        viewers=row.viewers,
        bitrate_kbps=row.bitrate_kbps,
        cpu_pct=row.cpu_pct,
    )


@gateways_router.get("", response_model=list[GatewayOut])
async def list_gateways(registry: Registry, principal: Principal = Depends(Watchers)) -> list[GatewayOut]:
    """Every registered gateway instance with the load of its last heartbeat."""
    return [gateway_out(status) for status in await registry.instances()]


@gateways_router.post("/{instance_id}/drain", response_model=GatewayOut)
async def drain_gateway(instance_id: str, registry: Registry, principal: Principal = Depends(Operators)) -> GatewayOut:
    """Take the instance out of placement for new sessions; running sessions go on."""
    return gateway_out(await registry.drain(instance_id))
