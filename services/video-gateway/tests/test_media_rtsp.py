"""An IP camera (GStreamer's RTSP server, a real RTSP peer) registered for a session: its URL
checked, pulled over TCP only while watched or recorded, relayed and recorded as received."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av
import httpx
import pytest

from rvi_platform.testing import Tokens, eventually
from rvi_platform.testing_camera.cameras import running_rtsp_camera
from rvi_video_gateway.settings import VideoGatewaySettings

if TYPE_CHECKING:
    from conftest import MediaPeers

StartSession = Callable[..., Awaitable[dict[str, Any]]]
Emitted = Callable[[str, str], Awaitable[list[dict[str, Any]]]]


async def register(client: httpx.AsyncClient, tokens: Tokens, session: dict[str, Any], url: str) -> httpx.Response:
    return await client.post(
        f"/v1/sessions/{session['session_id']}/feeds",
        json={"kind": "rtsp", "label": "greenhouse camera", "url": url},
        headers=tokens.header(tokens.enterprise(session["enterprise_id"])),
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://cam.example.org/stream", "scheme"),
        ("rtsp://169.254.169.254/latest", "metadata"),
        ("rtsp://10.1.2.3:554/cam", "private"),
        ("rtsp://[fe80::1]/cam", "link-local"),
        ("rtsp:///nohost", "host"),
    ],
)
async def test_camera_urls_that_could_reach_inside_are_refused(
    url: str, reason: str, start_session: StartSession, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    session = await start_session()
    response = await register(client, tokens, session, url)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail.startswith("url: ") and reason in detail


async def test_an_rtsp_camera_is_relayed_and_recorded_as_received_then_lost(
    start_session: StartSession,
    client: httpx.AsyncClient,
    tokens: Tokens,
    settings: VideoGatewaySettings,
    app: Any,
    media: MediaPeers,
    emitted: Emitted,
) -> None:
    session = await start_session()
    sid = session["session_id"]
    officer = tokens.header(tokens.officer())
    async with running_rtsp_camera("h264", width=640, height=360, bitrate_kbps=800, key_int_max=25) as camera:
        url = camera.url.replace("rtsp://", "rtsp://viewer:s3cret@")
        registered = await register(client, tokens, session, url)
        assert registered.status_code == 201, registered.text
        assert registered.json()["whip_url"] is None and "s3cret" not in registered.text
        feed = await media.with_view_token(session, registered.json())
        plane = app.state.media_plane
        assert feed["feed_id"] not in plane.rtsp.sources, "nothing pulled until someone watches or records"

        viewer = await media.view(feed, decode=True)
        assert viewer.codec == "h264"
        await viewer.frames(at_least=25)
        assert (viewer.width, viewer.height) == (640, 360)
        assert viewer.first_keyframe_at is not None

        started = await client.post(
            f"/v1/sessions/{sid}/recordings",
            json={"feed_id": feed["feed_id"], "kind": "checklist_item:I2", "note": "crop rows"},
            headers=officer,
        )
        assert started.status_code == 201, started.text
        await asyncio.sleep(2.0)
        camera.kill()

        async def closed() -> dict[str, Any] | None:
            rows = (await client.get(f"/v1/sessions/{sid}/recordings", headers=officer)).json()
            return rows[0] if rows[0]["state"] == "closed" else None

        recording = await eventually(closed, "the recording to close when the camera vanished", timeout_s=15)
    assert recording["close_reason"].startswith("feed lost")
    lost = await eventually(lambda: emitted(session["inspection_id"], "rvi.session.feed_lost.v1"), "feed_lost")
    assert lost[0]["kind"] == "rtsp" and lost[0]["recordings_closed"] == [recording["recording_id"]]
    path = Path(settings.evidence_dir) / sid / recording["file"]
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert sum(1 for _ in container.decode(stream)) == recording["frames"] >= 25
    feeds = (await client.get(f"/v1/sessions/{sid}/feeds", headers=officer)).json()
    assert feeds[0]["state"] == "lost" and feeds[0]["source_url"].startswith("rtsp://***@127.0.0.1:")


async def test_an_unwatched_camera_is_let_go(
    start_session: StartSession,
    client: httpx.AsyncClient,
    tokens: Tokens,
    app: Any,
    media: MediaPeers,
) -> None:
    session = await start_session()
    async with running_rtsp_camera("vp8", width=320, height=240, bitrate_kbps=300) as camera:
        feed = await media.with_view_token(session, (await register(client, tokens, session, camera.url)).json())
        viewer = await media.view(feed)
        assert viewer.codec == "vp8"
        await viewer.frames(at_least=10)
        plane = app.state.media_plane
        assert feed["feed_id"] in plane.rtsp.sources
        await viewer.close()
        await eventually(lambda: _released(plane, feed["feed_id"]), "the idle pull to stop", timeout_s=10)
        # Watched again: pulled again, from a keyframe.
        again = await media.view(feed)
        await again.frames(at_least=10)
        assert again.receipts[0].keyframe


async def _released(plane: Any, feed_id: str) -> bool:
    return feed_id not in plane.rtsp.sources and plane.feeds[feed_id].state == "waiting"


async def test_a_camera_changing_its_picture_size_mid_stream_is_lost_with_the_reason_and_its_clip_kept(
    start_session: StartSession,
    client: httpx.AsyncClient,
    tokens: Tokens,
    settings: VideoGatewaySettings,
    emitted: Emitted,
) -> None:
    """Issue 9: a camera whose parameters change mid-session (new SPS on the same RTSP session)
    ends its feed with the reason (feed_lost); the running clip is closed at the old size, whole,
    hashed onto the chain."""
    session = await start_session()
    sid = session["session_id"]
    officer = tokens.header(tokens.officer())
    async with running_rtsp_camera(
        "h264", width=640, height=360, bitrate_kbps=500, key_int_max=25, resize_after_s=4, resize_to=(320, 240)
    ) as camera:
        registered = await register(client, tokens, session, camera.url)
        assert registered.status_code == 201, registered.text
        started = await client.post(
            f"/v1/sessions/{sid}/recordings",
            json={"feed_id": registered.json()["feed_id"], "kind": "checklist_item:I2", "note": "crop rows"},
            headers=officer,
        )
        assert started.status_code == 201, started.text

        async def closed() -> dict[str, Any] | None:
            rows = (await client.get(f"/v1/sessions/{sid}/recordings", headers=officer)).json()
            return rows[0] if rows[0]["state"] == "closed" else None

        recording = await eventually(closed, "the recording to close when the camera changed", 20)
    change = "the camera changed its video parameters mid-stream (640x360 -> 320x240)"
    assert recording["close_reason"].startswith("feed lost: " + change), recording["close_reason"]
    lost = await eventually(lambda: emitted(session["inspection_id"], "rvi.session.feed_lost.v1"), "feed_lost")
    assert lost[0]["reason"].startswith(change) and lost[0]["recordings_closed"] == [recording["recording_id"]]
    feeds = (await client.get(f"/v1/sessions/{sid}/feeds", headers=officer)).json()
    assert feeds[0]["state"] == "lost" and feeds[0]["lost_reason"].startswith(change)
    path = Path(settings.evidence_dir) / sid / recording["file"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == recording["sha256"] and recording["manifest_seq"]
    with av.open(str(path)) as container:
        pictures = list(container.decode(video=0))
    assert len(pictures) == recording["frames"] >= 25
    assert {(p.width, p.height) for p in pictures} == {(640, 360)}, "only pictures of the size it was registered at"
