from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from rvi_shared.clock import Clock
from rvi_shared.errors import problem
from rvi_shared.service import ServiceRuntime, create_service_app
from rvi_video_gateway.closing import closing_router
from rvi_video_gateway.instances.heartbeat import Heartbeat
from rvi_video_gateway.instances.registry import MISSED_BEATS_BEFORE_DEAD
from rvi_video_gateway.instances.router import gateways_router
from rvi_video_gateway.media.equipment import Measurement
from rvi_video_gateway.media.feed import Feed
from rvi_video_gateway.media.plane import MediaPlane
from rvi_video_gateway.media.router import media_router, whep_router, whip_router
from rvi_video_gateway.media.service import MediaService
from rvi_video_gateway.media.tokens import MediaTokens, media_key
from rvi_video_gateway.media.transcode import TranscodePoolFull
from rvi_video_gateway.media.webrtc import Peer
from rvi_video_gateway.models import messaging
from rvi_video_gateway.pages.router import pages_router
from rvi_video_gateway.sessions.focus_router import focus_router
from rvi_video_gateway.sessions.handlers import build_handlers
from rvi_video_gateway.sessions.router import inspections_router, sessions_router
from rvi_video_gateway.sessions.service import SessionService
from rvi_video_gateway.sessions.signing import load_signer
from rvi_video_gateway.settings import VideoGatewaySettings

log = logging.getLogger(__name__)


Work = Callable[[MediaService], Awaitable[object]]


def _in_transaction(
    app: FastAPI, rt: ServiceRuntime[VideoGatewaySettings], plane: MediaPlane
) -> Callable[[Work], Awaitable[None]]:
    """What the media plane does outside a request runs in a transaction of its own."""

    async def run(work: Work) -> None:
        async with rt.transaction() as session:
            gateway = SessionService(session, rt.outbox, rt.clock, plane.settings, app.state.signer)
            await work(MediaService(gateway, plane, app.state.media_tokens))

    return run


def _media_callbacks(plane: MediaPlane, in_transaction: Callable[[Work], Awaitable[None]]) -> None:
    async def feed_ended(feed: Feed) -> None:
        await in_transaction(lambda media: media.feed_ended(feed))

    async def equipment_measured(feed_id: str, measurement: Measurement | None) -> None:
        await in_transaction(lambda media: media.equipment_measured(feed_id, measurement))

    async def peer_left(peer: Peer, reason: str) -> None:
        await in_transaction(lambda media: media.peer_left(peer, reason))

    plane.on_feed_ended = feed_ended
    plane.on_equipment_measured = equipment_measured
    plane.on_peer_left = peer_left


async def _pool_full(request: Request, exc: Exception) -> JSONResponse:
    """503 Problem Details with Retry-After (RFC 9110 10.2.3): the transcoding pool is full."""
    assert isinstance(exc, TranscodePoolFull)
    return problem(
        503,
        exc.message,
        instance=request.url.path,
        headers={"Retry-After": str(exc.retry_after_s)},
        **exc.context,
    )


def create_app(settings: VideoGatewaySettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or VideoGatewaySettings()

    async def start_gateway(app: FastAPI, rt: ServiceRuntime[VideoGatewaySettings]) -> None:
        # A bad key stops startup; the heartbeat is stopped and awaited with the runtime's tasks.
        app.state.signer = await asyncio.to_thread(load_signer, settings)
        app.state.media_tokens = MediaTokens(
            media_key(settings.media_token_secret, settings.jwt_secret), settings.jwt_max_lifetime_s
        )
        plane = MediaPlane(settings)
        app.state.media_plane = plane
        in_transaction = _in_transaction(app, rt, plane)
        _media_callbacks(plane, in_transaction)
        heartbeat = Heartbeat(rt.sessions, settings, media=plane.load)

        async def beat() -> None:
            """At once (the instance shows up on start), then every interval; a missed beat's row is
            restored by the next one's upsert."""
            await heartbeat.beat()

        async def recover() -> None:
            """At start and every few beats: clips left running by a process that died."""
            await in_transaction(lambda media: media.recover_orphans())

        rt.every("video-gateway-heartbeat", settings.heartbeat_interval_s, beat)
        rt.tasks.append(asyncio.create_task(plane.watch(rt.stop), name="video-gateway-feed-watch"))

        async def close_media() -> None:
            """A clean stop closes the running clips onto their chains before letting peers go."""
            await rt.stop.wait()
            for recording_id in list(plane.recordings):
                try:
                    await in_transaction(lambda media, rid=recording_id: media.close_for_shutdown(rid))
                except Exception:
                    log.exception("closing recording %s at shutdown failed", recording_id)
            await plane.shutdown()

        rt.every("video-gateway-recover-recordings", MISSED_BEATS_BEFORE_DEAD * settings.heartbeat_interval_s, recover)
        rt.start("video-gateway-media-shutdown", close_media())

    app = create_service_app(
        settings=settings,
        title="rvi video-gateway",
        description=(
            "Live inspection sessions: start after the notified slot (GACC-RVI 4(I)), key procedural steps "
            "and the location check on a hash-chained evidence manifest signed at the end (GACC-RVI 4(III)), "
            "escalation on-site (GACC-RVI 5), end; the registry of gateway instances and their load. "
            "Media: feeds published over WHIP (RFC 9725) or pulled from RTSP cameras, watched over WHEP, "
            "relayed and recorded as received (no re-encoding), snapshots, equipment tests (GACC-RVI 4(II))."
        ),
        tables=messaging,
        routers=[
            inspections_router,
            sessions_router,
            focus_router,
            closing_router,
            gateways_router,
            media_router,
            whip_router,
            whep_router,
            pages_router,
        ],
        handlers=lambda outbox, the_clock: build_handlers(outbox, the_clock, settings),
        clock_override=clock,
        on_startup=start_gateway,
    )
    app.add_exception_handler(TranscodePoolFull, _pool_full)
    return app
