from __future__ import annotations

import asyncio
import functools
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from rvi_platform.embedded.ports import free_port
from rvi_platform.media_peers.clips import ClipSpec, load_clip
from rvi_platform.media_peers.tracks import AudioClip, AudioClipTrack, ClipTrack, encode_audio_clip
from rvi_platform.media_peers.whep import WhepViewer
from rvi_platform.media_peers.whip import WhipPublisher
from rvi_platform.session_events import session_opening_events
from rvi_platform.testing import Tokens, eventually, new_database, private_broker, serve_in_process
from rvi_shared.clock import ManualClock
from rvi_shared.events import CloudEvent, new_event, topic_for
from rvi_shared.messaging.kafka import ensure_topics, make_producer
from rvi_shared.migrations import upgrade
from rvi_video_gateway.app import create_app
from rvi_video_gateway.media.packets import Codec
from rvi_video_gateway.settings import VideoGatewaySettings

Publish = Callable[[CloudEvent], Awaitable[None]]


@functools.cache
def audio_clip(codec: str) -> AudioClip:
    return encode_audio_clip(codec)


OpenSession = Callable[..., Awaitable[dict[str, Any]]]
Emitted = Callable[[str, str], Awaitable[list[dict[str, Any]]]]


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    yield from private_broker()


@pytest.fixture(scope="session")
async def gateway_db(postgres_admin_url: str) -> str:
    url = await new_database(postgres_admin_url)
    await asyncio.to_thread(upgrade, "rvi_video_gateway", url)
    return url


@pytest.fixture(scope="session")
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def settings(gateway_db: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> VideoGatewaySettings:
    return VideoGatewaySettings(
        database_url=gateway_db,
        kafka_bootstrap=kafka_bootstrap,
        consumer_retry_backoff_s=0.05,
        key_dir=str(tmp_path_factory.mktemp("keys")),
        evidence_dir=str(tmp_path_factory.mktemp("evidence")),
        instance_id=f"gw-test-{uuid.uuid4().hex[:8]}",
        heartbeat_interval_s=0.5,
        equipment_window_s=2.0,
        equipment_deadline_s=20.0,
        feed_silence_timeout_s=2.0,
        rtsp_allow=["127.0.0.0/8"],
        rtsp_read_timeout_s=2.0,
        rtsp_idle_s=1.0,
        transcode_limit=2,
        transcode_retry_after_s=15,
        cors_origins="https://portal.example.gov.cn",
    )


@pytest.fixture(scope="session")
def app(settings: VideoGatewaySettings, clock: ManualClock) -> FastAPI:
    return create_app(settings, clock=clock)


@pytest.fixture(scope="session")
async def client(app: FastAPI, kafka_bootstrap: str) -> AsyncIterator[httpx.AsyncClient]:
    """One running gateway, consumers on, for the whole test session (joining a group is slow)."""
    await ensure_topics(kafka_bootstrap, 6)
    async with serve_in_process(app) as c:
        yield c


@pytest.fixture(scope="session")
async def db(gateway_db: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(gateway_db)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    await ensure_topics(kafka_bootstrap, 6)
    the_producer = make_producer(kafka_bootstrap)
    await the_producer.start()
    yield the_producer
    await the_producer.stop()


@pytest.fixture
def scheduling_event(clock: ManualClock) -> Callable[[str, BaseModel], CloudEvent]:
    def make(type_name: str, data: BaseModel) -> CloudEvent:
        subject = getattr(data, "inspection_id")  # noqa: B009 - every rvi.inspections payload has it
        return new_event(type=type_name, source="/rvi/scheduling", subject=subject, data=data, time=clock.now())

    return make


@pytest.fixture
def publish(producer: AIOKafkaProducer) -> Publish:
    async def send(event: CloudEvent) -> None:
        assert event.subject is not None
        await producer.send_and_wait(topic_for(event.type), value=event.to_json(), key=event.subject.encode())

    return send


@pytest.fixture
def wait_for_session(client: httpx.AsyncClient, tokens: Tokens) -> Callable[..., Awaitable[dict[str, Any]]]:
    async def wait(inspection_id: str, state: str | None = None) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            response = await client.get(
                f"/v1/inspections/{inspection_id}/session", headers=tokens.header(tokens.system())
            )
            if response.status_code != 200 or (state is not None and response.json()["state"] != state):
                return None
            return response.json()

        return await eventually(probe, f"session of {inspection_id} in state {state or 'any'}")

    return wait


@pytest.fixture
def open_session(
    clock: ManualClock,
    publish: Publish,
    scheduling_event: Callable[[str, BaseModel], CloudEvent],
    wait_for_session: Callable[..., Awaitable[dict[str, Any]]],
) -> OpenSession:
    """Publishes requested, scheduled and ready for a fresh inspection; returns its session."""

    async def open_one(
        slot_in: timedelta = timedelta(days=3), enterprise_id: str | None = None, onsite_items: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        inspection_id = str(uuid.uuid4())
        enterprise_id = enterprise_id or f"ENT-{uuid.uuid4().hex[:8]}"
        now = clock.now()
        slot_start = now + slot_in
        for type_name, data in session_opening_events(inspection_id, enterprise_id, now, slot_start, onsite_items):
            await publish(scheduling_event(type_name, data))
        return await wait_for_session(inspection_id)

    return open_one


@pytest.fixture
def emitted(db: AsyncEngine) -> Emitted:
    """The data of the events the gateway put in its outbox for an inspection, oldest first."""

    async def query(inspection_id: str, event_type: str) -> list[dict[str, Any]]:
        async with db.connect() as conn:
            rows = await conn.execute(
                text("SELECT payload FROM video_gateway.outbox WHERE key = :key AND event_type = :type ORDER BY id"),
                {"key": inspection_id, "type": event_type},
            )
            return [json.loads(row.payload)["data"] for row in rows]

    return query


StartSession = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def start_session(open_session: OpenSession, client: httpx.AsyncClient, tokens: Tokens) -> StartSession:
    """A fresh session, started by the first officer of the team; returns it in_progress."""

    async def start(**kw: Any) -> dict[str, Any]:
        session = await open_session(slot_in=timedelta(minutes=30), **kw)
        response = await client.post(
            f"/v1/sessions/{session['session_id']}/start", headers=tokens.header(tokens.officer())
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    return start


@pytest.fixture(scope="session")
async def serve_http(app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[str]:
    """The same running app over real HTTP on 127.0.0.1, for peers in other processes (its
    lifespan already runs under `client`)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn signals start by this flag only
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


class MediaPeers:
    """Feeds, WHIP publishers and WHEP viewers for a test; closes every peer it opened."""

    def __init__(self, client: httpx.AsyncClient, tokens: Tokens) -> None:
        self.client, self.tokens = client, tokens
        self.opened: list[Any] = []

    async def create_feed(self, session: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post(
            f"/v1/sessions/{session['session_id']}/feeds",
            json={"kind": "webrtc", "label": "enterprise phone"},
            headers=self.tokens.header(self.tokens.enterprise(session["enterprise_id"])),
        )
        assert response.status_code == 201, response.text
        return await self.with_view_token(session, dict(response.json()))

    async def with_view_token(self, session: dict[str, Any], feed: dict[str, Any]) -> dict[str, Any]:
        """The enterprise publishes; officers of the team get the view tokens."""
        assert feed["view_token"] is None, "view tokens are for officers only"
        response = await self.client.post(
            f"/v1/sessions/{session['session_id']}/feeds/{feed['feed_id']}/tokens",
            json={"scope": "view"},
            headers=self.tokens.header(self.tokens.officer()),
        )
        assert response.status_code == 200, response.text
        return {**feed, "view_token": response.json()["view_token"]}

    async def publish(self, feed: dict[str, Any], spec: ClipSpec | None, audio: str | None = None) -> WhipPublisher:
        """Video from `spec` (None: none) and, with `audio` (opus, pcma, pcmu), a microphone."""
        track = ClipTrack(load_clip(spec), spec.codec, fps=spec.fps) if spec is not None else None
        voice = AudioClipTrack(audio_clip(audio)) if audio is not None else None
        publisher = WhipPublisher(
            feed["whip_url"],
            feed["publish_token"],
            track,
            codec=spec.codec if spec is not None else "h264",
            client=self.client,
            audio=voice,
        )
        self.opened.append(publisher)
        await publisher.start()
        return publisher

    async def view(self, feed: dict[str, Any], **kw: Any) -> WhepViewer:
        viewer = WhepViewer(feed["whep_url"], feed["view_token"], client=self.client, **kw)
        self.opened.append(viewer)
        await viewer.start()
        return viewer

    async def close(self) -> None:
        for peer in reversed(self.opened):
            await peer.close()


@pytest.fixture
async def media(client: httpx.AsyncClient, tokens: Tokens) -> AsyncIterator[MediaPeers]:
    peers = MediaPeers(client, tokens)
    yield peers
    await peers.close()


def small_clip(codec: Codec, **overrides: Any) -> ClipSpec:
    """640x360, 4 s: quick to encode once (cached), light on two cores."""
    return ClipSpec(codec=codec, **{"width": 640, "height": 360, "seconds": 4.0, "bitrate": 800_000, **overrides})


@pytest.fixture
def clip() -> Callable[..., ClipSpec]:
    return small_clip
