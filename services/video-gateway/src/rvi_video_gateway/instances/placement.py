"""DESIGN: Scale. A session's media lives on one gateway instance: the first instance that needs
it (the session's start, or its first feed) takes it, and keeps it while its heartbeat is alive;
clients reaching another instance are told where to go."""

from __future__ import annotations

from rvi_shared.errors import DomainError, NotFound
from rvi_video_gateway.instances.registry import GatewayRegistry
from rvi_video_gateway.models import InspectionSession


class PlacedElsewhere(DomainError):
    status_code = 409


async def holder_elsewhere(registry: GatewayRegistry, instance_id: str | None, own: str) -> tuple[str, str] | None:
    """(instance id, URL) of another live instance holding the media, or None if it is ours to take."""
    if instance_id is None or instance_id == own:
        return None
    try:
        status = await registry.instance(instance_id)
    except NotFound:
        return None
    return (instance_id, status.instance.advertised_url) if status.alive else None


def _elsewhere(what: str, instance_id: str, url: str | None) -> PlacedElsewhere:
    return PlacedElsewhere(
        f"{what} runs on gateway instance {instance_id} ({url})", instance_id=instance_id, instance_url=url
    )


async def placed_elsewhere(registry: GatewayRegistry, what: str, instance_id: str) -> PlacedElsewhere:
    """The error naming the instance that holds `what`, with its URL when it is registered."""
    try:
        url: str | None = (await registry.instance(instance_id)).instance.advertised_url
    except NotFound:
        url = None
    return _elsewhere(what, instance_id, url)


async def place(registry: GatewayRegistry, live: InspectionSession, own: str, what: str) -> None:
    """Takes the session's media here, or raises naming the live instance that holds it."""
    holder = await holder_elsewhere(registry, live.instance_id, own)
    if holder is not None:
        raise _elsewhere(what, *holder)
    live.instance_id = own
