"""The media plane's rules with real aiortc peers: bad offers and tokens refused with reasons,
a publisher killed mid-recording, snapshots, the end sealing clips, equipment tests."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rvi_platform.media_peers.clips import ClipSpec, load_clip
from rvi_platform.media_peers.signalling import offer
from rvi_platform.testing import Tokens, eventually
from rvi_video_gateway.settings import VideoGatewaySettings

if TYPE_CHECKING:
    from conftest import MediaPeers

StartSession = Callable[..., Awaitable[dict[str, Any]]]
OpenSession = Callable[..., Awaitable[dict[str, Any]]]
Emitted = Callable[[str, str], Awaitable[list[dict[str, Any]]]]
SDP = {"Content-Type": "application/sdp"}


async def a_publisher_offer() -> str:
    from aiortc import RTCPeerConnection

    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="sendonly")
    try:
        return await offer(pc)
    finally:
        await pc.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_whip_refuses_bad_offers_and_tokens(
    open_session: OpenSession, client: httpx.AsyncClient, tokens: Tokens, media: MediaPeers
) -> None:
    session = await open_session()
    feed = await media.create_feed(session)
    other = await media.create_feed(session)
    url = f"/whip/{feed['feed_id']}"
    good = await a_publisher_offer()
    publish_ok = {**SDP, **bearer(feed["publish_token"])}

    response = await client.post(url, content="v=0\r\nthis is not sdp", headers=publish_ok)
    assert response.status_code == 400 and "line 2 'this is not sdp'" in response.json()["detail"]
    no_video = "\r\n".join(line for line in good.split("m=video")[0].split("\r\n") if not line.startswith("a=group"))
    response = await client.post(url, content=no_video, headers=publish_ok)
    assert response.status_code == 400 and "no video media section" in response.json()["detail"]
    response = await client.post(url, content="hello", headers=publish_ok)
    assert response.status_code == 400 and "v=0" in response.json()["detail"]
    vp9_only = good.replace("VP8/90000", "VP9/90000").replace("H264/90000", "AV1/90000")
    response = await client.post(url, content=vp9_only, headers=publish_ok)
    assert response.status_code == 422 and "relays H.264" in response.json()["detail"]
    response = await client.post(
        url, content=good, headers={**bearer(feed["publish_token"]), "Content-Type": "text/plain"}
    )
    assert response.status_code == 415

    assert (await client.post(url, content=good, headers=SDP)).status_code == 401
    assert (await client.post(url, content=good, headers={**SDP, **bearer("not-a-token")})).status_code == 401
    # A platform token is no media token, nor is another feed's or a view token.
    platform = bearer(tokens.enterprise(session["enterprise_id"]))
    assert (await client.post(url, content=good, headers={**SDP, **platform})).status_code == 401
    assert (await client.post(url, content=good, headers={**SDP, **bearer(other["publish_token"])})).status_code == 403
    assert (await client.post(url, content=good, headers={**SDP, **bearer(feed["view_token"])})).status_code == 403
    # The enterprise publishes; watching is for officers of the team.
    denied = await client.post(
        f"/v1/sessions/{session['session_id']}/feeds/{feed['feed_id']}/tokens",
        json={"scope": "view"},
        headers=tokens.header(tokens.enterprise(session["enterprise_id"])),
    )
    assert denied.status_code == 403 and "officers" in denied.json()["detail"]
    # Another enterprise cannot add feeds to this session.
    stranger = await client.post(
        f"/v1/sessions/{session['session_id']}/feeds",
        json={"kind": "webrtc"},
        headers=tokens.header(tokens.enterprise("ENT-someone-else")),
    )
    assert stranger.status_code == 403


async def test_publishing_to_a_session_that_is_not_open_is_refused(
    start_session: StartSession, client: httpx.AsyncClient, tokens: Tokens, media: MediaPeers
) -> None:
    session = await start_session()
    feed = await media.create_feed(session)
    officer = tokens.header(tokens.officer())
    ended = await client.post(
        f"/v1/sessions/{session['session_id']}/end", json={"conclusion": "conforming"}, headers=officer
    )
    assert ended.status_code == 200, ended.text
    response = await client.post(
        f"/whip/{feed['feed_id']}", content=await a_publisher_offer(), headers={**SDP, **bearer(feed["publish_token"])}
    )
    assert response.status_code == 409 and "ended" in response.json()["detail"]
    again = await client.post(f"/v1/sessions/{session['session_id']}/feeds", json={"kind": "webrtc"}, headers=officer)
    assert again.status_code == 409


PUBLISHER = """
import asyncio, sys
from rvi_platform.media_peers.clips import ClipSpec, load_clip
from rvi_platform.media_peers.tracks import ClipTrack
from rvi_platform.media_peers.whip import WhipPublisher

async def main() -> None:
    spec = ClipSpec(codec=sys.argv[3], width=640, height=360, seconds=4.0, bitrate=800_000)
    publisher = WhipPublisher(sys.argv[1], sys.argv[2], ClipTrack(load_clip(spec), spec.codec), codec=spec.codec)
    await publisher.start()
    print("publishing", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


async def test_a_publisher_killed_mid_recording_leaves_a_playable_clip_and_a_valid_manifest(
    start_session: StartSession,
    client: httpx.AsyncClient,
    tokens: Tokens,
    settings: VideoGatewaySettings,
    serve_http: str,
    media: MediaPeers,
    emitted: Emitted,
) -> None:
    """The publisher runs in its own process, over real HTTP, and is SIGKILLed: no WHIP DELETE, no
    DTLS close. The feed goes silent, is reported lost, and the clip closes with what arrived."""
    load_clip(ClipSpec(codec="h264", width=640, height=360, seconds=4.0, bitrate=800_000))  # cached for the child
    session = await start_session()
    sid = session["session_id"]
    officer = tokens.header(tokens.officer())
    feed = await media.create_feed(session)
    whip_url = serve_http + f"/whip/{feed['feed_id']}"
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PUBLISHER, whip_url, feed["publish_token"], "h264", stdout=asyncio.subprocess.PIPE
    )
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 30)
        assert line.strip() == b"publishing"

        async def live() -> bool:
            feeds = (await client.get(f"/v1/sessions/{sid}/feeds", headers=officer)).json()
            return feeds[0]["state"] == "live"

        await eventually(live, "the feed to go live")
        started = await client.post(
            f"/v1/sessions/{sid}/recordings",
            json={"feed_id": feed["feed_id"], "kind": "credentials_presented", "note": "credentials shown"},
            headers=officer,
        )
        assert started.status_code == 201, started.text
        await asyncio.sleep(2.5)
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()

    async def closed() -> dict[str, Any] | None:
        recordings = (await client.get(f"/v1/sessions/{sid}/recordings", headers=officer)).json()
        return recordings[0] if recordings[0]["state"] == "closed" else None

    recording = await eventually(closed, "the recording to close after the feed was lost", timeout_s=15)
    assert recording["close_reason"].startswith("feed lost: no video received")
    assert recording["frames"] >= 25 and recording["file"].endswith(".mp4")
    lost = await eventually(lambda: emitted(session["inspection_id"], "rvi.session.feed_lost.v1"), "feed_lost")
    assert lost[0]["feed_id"] == feed["feed_id"] and lost[0]["recordings_closed"] == [recording["recording_id"]]

    path = Path(settings.evidence_dir) / sid / recording["file"]
    with av.open(str(path)) as container:
        decoded = sum(1 for _ in container.decode(video=0))
    assert decoded == recording["frames"], "every fragment written is playable"

    ended = await client.post(f"/v1/sessions/{sid}/end", json={"conclusion": "conforming"}, headers=officer)
    assert ended.status_code == 200, ended.text
    verified = (await client.get(f"/v1/sessions/{sid}/evidence/verify", headers=officer)).json()
    assert verified["ok"] and verified["files_checked"] == 1

    # One changed byte in the clip is found, and named.
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    verified = (await client.get(f"/v1/sessions/{sid}/evidence/verify", headers=officer)).json()
    assert not verified["ok"]
    assert (
        verified["first_broken"]["check"] == "file_sha256"
        and verified["first_broken"]["seq"] == recording["manifest_seq"]
    )


async def test_snapshot_and_the_end_closes_running_recordings(
    start_session: StartSession,
    client: httpx.AsyncClient,
    tokens: Tokens,
    settings: VideoGatewaySettings,
    media: MediaPeers,
    clip: Callable[..., ClipSpec],
    emitted: Emitted,
) -> None:
    session = await start_session()
    sid = session["session_id"]
    officer = tokens.header(tokens.officer("NB-0002", subject="O2"))
    feed = await media.create_feed(session)
    await media.publish(feed, clip("vp8"))
    # Two viewers of one feed.
    first, second = await media.view(feed), await media.view(feed)
    await asyncio.gather(first.frames(at_least=10), second.frames(at_least=10))

    shot = await client.post(
        f"/v1/sessions/{sid}/snapshots",
        json={"feed_id": feed["feed_id"], "kind": "location_verified", "site_id": "S1", "note": "gate sign"},
        headers=officer,
    )
    assert shot.status_code == 201, shot.text
    entry = shot.json()["entry"]
    assert entry["file"].endswith(".jpg") and entry["officer_id"] == "O2" and entry["site"] == "S1"
    jpeg = (Path(settings.evidence_dir) / sid / entry["file"]).read_bytes()
    assert jpeg[:3] == b"\xff\xd8\xff"
    with av.open(str(Path(settings.evidence_dir) / sid / entry["file"])) as picture:
        frame = next(picture.decode(video=0))
        assert (frame.width, frame.height) == (640, 360)

    started = await client.post(
        f"/v1/sessions/{sid}/recordings",
        json={"feed_id": feed["feed_id"], "kind": "checklist_item:I2", "note": "crop conditions"},
        headers=officer,
    )
    assert started.status_code == 201
    await asyncio.sleep(1.5)
    ended = await client.post(f"/v1/sessions/{sid}/end", json={"conclusion": "conforming"}, headers=officer)
    assert ended.status_code == 200, ended.text
    recordings = (await client.get(f"/v1/sessions/{sid}/recordings", headers=officer)).json()
    assert recordings[0]["state"] == "closed" and recordings[0]["close_reason"] == "session ended"
    manifest = (await client.get(f"/v1/sessions/{sid}/manifest", headers=officer)).json()
    assert [e["entry"]["kind"] for e in manifest["entries"]] == ["location_verified", "checklist_item:I2"]
    ended_event = (await emitted(session["inspection_id"], "rvi.session.ended.v1"))[0]
    assert ended_event["steps"] == 2 and ended_event["manifest_digest"] == ended.json()["manifest_digest"]
    step_events = await emitted(session["inspection_id"], "rvi.session.step_recorded.v1")
    assert [e["digest"] for e in step_events] == [e["entry_hash"] for e in manifest["entries"]]
    assert [e["file_sha256"] for e in step_events] == [e["entry"]["sha256"] for e in manifest["entries"]]
    assert all(e["feed_id"] == feed["feed_id"] and e["file"] for e in step_events)


@pytest.mark.parametrize(
    ("size", "passed"), [((1280, 720), True), ((640, 360), False)], ids=["720p-passes", "360p-fails"]
)
async def test_equipment_test_measures_and_judges(
    size: tuple[int, int],
    passed: bool,
    open_session: OpenSession,
    client: httpx.AsyncClient,
    tokens: Tokens,
    media: MediaPeers,
    emitted: Emitted,
) -> None:
    session = await open_session()
    enterprise = tokens.header(tokens.enterprise(session["enterprise_id"]))
    created = await client.post(f"/v1/inspections/{session['inspection_id']}/equipment-tests", headers=enterprise)
    assert created.status_code == 201, created.text
    test = created.json()
    assert test["state"] == "waiting" and test["thresholds"]["min_width"] == 1280
    spec = ClipSpec(codec="h264", width=size[0], height=size[1], seconds=4.0, bitrate=2_000_000)
    await media.publish({"whip_url": test["whip_url"], "publish_token": test["publish_token"]}, spec)

    async def done() -> dict[str, Any] | None:
        result = (await client.get(f"/v1/equipment-tests/{test['test_id']}", headers=enterprise)).json()
        return result if result["state"] != "waiting" else None

    result = await eventually(done, "the equipment test to finish", timeout_s=30)
    m = result["measurement"]
    assert (m["width"], m["height"]) == size and m["codec"] == "h264"
    assert 20 <= m["fps"] <= 30 and m["bitrate_kbps"] > 1000
    assert m["packet_loss_pct"] is not None and m["packet_loss_pct"] < 2
    assert m["rtt_ms"] is not None and 0 < m["rtt_ms"] < 100
    assert result["state"] == ("passed" if passed else "failed")
    if not passed:
        assert result["failures"] == ["resolution 640x360 below 1280x720"]
    events = await emitted(session["inspection_id"], "rvi.equipment.tested.v1")
    assert events[-1]["passed"] is passed and events[-1]["test_id"] == test["test_id"]
    assert json.dumps(events[-1]["failures"]) == json.dumps(result["failures"])


async def test_a_clip_left_by_a_dead_gateway_is_closed_from_its_fragments(
    start_session: StartSession,
    client: httpx.AsyncClient,
    tokens: Tokens,
    app: FastAPI,
    db: AsyncEngine,
    settings: VideoGatewaySettings,
    media: MediaPeers,
    clip: Callable[..., ClipSpec],
) -> None:
    """The process that recorded dies: no trailer, no close, its last buffered bytes never
    written. Another instance (here: this one, once the dead one's heartbeat is stale) closes
    what the fragments left onto the chain."""
    session = await start_session()
    sid = session["session_id"]
    officer = tokens.header(tokens.officer())
    feed = await media.create_feed(session)
    await media.publish(feed, clip("h264"))
    started = await client.post(
        f"/v1/sessions/{sid}/recordings",
        json={"feed_id": feed["feed_id"], "kind": "identity_verified", "note": "Li Mei, legal representative"},
        headers=officer,
    )
    assert started.status_code == 201, started.text
    recording_id = started.json()["recording_id"]
    await asyncio.sleep(3.0)  # more than one 2 s fragment on disk

    # The crash: the recorder vanishes from this process unclosed (kept referenced so nothing
    # flushes it), and the row belongs to an instance that never beats.
    # The row moves first: a sweep between the two steps must not see a clip of this instance
    # missing from its plane (that is how a restart under the same instance id looks).
    async with db.begin() as conn:
        await conn.execute(
            text("UPDATE video_gateway.recordings SET instance_id = 'gw-crashed' WHERE recording_id = :id"),
            {"id": recording_id},
        )
    plane = app.state.media_plane
    crashed = plane.recordings.pop(recording_id)
    plane.feeds[feed["feed_id"]].detach(crashed.recorder)

    async def recovered() -> dict[str, Any] | None:
        rows = (await client.get(f"/v1/sessions/{sid}/recordings", headers=officer)).json()
        return rows[0] if rows[0]["state"] == "closed" else None

    recording = await eventually(recovered, "the orphaned clip to be closed", timeout_s=15)
    assert recording["close_reason"] == "gateway gw-crashed stopped; closed from the fragments on disk"
    path = Path(settings.evidence_dir) / sid / recording["file"]
    with av.open(str(path)) as container:
        decoded = sum(1 for _ in container.decode(video=0))
    assert decoded >= 50 and decoded == recording["frames"]
    assert crashed.recorder.frames - decoded <= 2 * 25, "at most the fragment being written is lost"
    manifest = (await client.get(f"/v1/sessions/{sid}/manifest", headers=officer)).json()
    entry = manifest["entries"][-1]["entry"]
    assert entry["sha256"] == recording["sha256"] and entry["kind"] == "identity_verified"
    assert manifest["verification"]["ok"]


async def test_a_whip_delete_ends_the_feed_and_its_recording_without_a_loss(
    start_session: StartSession,
    client: httpx.AsyncClient,
    tokens: Tokens,
    media: MediaPeers,
    clip: Callable[..., ClipSpec],
    emitted: Emitted,
) -> None:
    session = await start_session()
    sid = session["session_id"]
    officer = tokens.header(tokens.officer())
    feed = await media.create_feed(session)
    publisher = await media.publish(feed, clip("vp8"))
    started = await client.post(
        f"/v1/sessions/{sid}/recordings",
        json={"feed_id": feed["feed_id"], "kind": "other", "note": "warehouse walk-through"},
        headers=officer,
    )
    assert started.status_code == 201
    await asyncio.sleep(1.0)
    assert await publisher.close() == 200

    async def closed() -> dict[str, Any] | None:
        rows = (await client.get(f"/v1/sessions/{sid}/recordings", headers=officer)).json()
        return rows[0] if rows[0]["state"] == "closed" else None

    recording = await eventually(closed, "the recording to close with its feed")
    assert recording["close_reason"] == "feed ended by its publisher" and recording["file"].endswith(".webm")
    feeds = (await client.get(f"/v1/sessions/{sid}/feeds", headers=officer)).json()
    assert feeds[0]["state"] == "closed"
    assert await emitted(session["inspection_id"], "rvi.session.feed_lost.v1") == []


async def test_a_feed_on_another_gateway_instance_redirects_whip_and_whep(
    open_session: OpenSession,
    client: httpx.AsyncClient,
    tokens: Tokens,
    media: MediaPeers,
    db: AsyncEngine,
    app: FastAPI,
) -> None:
    """Each feed's media lives on the instance that created it; a WHIP or WHEP request reaching
    another instance is sent there (RFC 9725 4.5), REST commands name it."""
    session = await open_session()
    feed = await media.create_feed(session)
    async with db.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO video_gateway.gateway_instances (instance_id, advertised_url, started_at,"
                " last_heartbeat_at, sessions, feeds, viewers, bitrate_kbps, cpu_pct, draining)"
                " VALUES ('gw-b', 'http://gw-b.rvi:8003', now(), now(), 0, 0, 0, 0, 0, false)"
                " ON CONFLICT (instance_id) DO NOTHING"
            )
        )
        await conn.execute(
            text("UPDATE video_gateway.feeds SET instance_id = 'gw-b' WHERE feed_id = :id"), {"id": feed["feed_id"]}
        )
    app.state.media_plane.feeds.pop(feed["feed_id"])  # as if created on gw-b
    offer = await a_publisher_offer()
    response = await client.post(
        f"/whip/{feed['feed_id']}", content=offer, headers={**SDP, **bearer(feed["publish_token"])}
    )
    assert response.status_code == 307
    assert response.headers["Location"] == f"http://gw-b.rvi:8003/whip/{feed['feed_id']}"
    viewer_offer = offer.replace("a=sendonly", "a=recvonly")
    response = await client.post(
        f"/whep/{feed['feed_id']}", content=viewer_offer, headers={**SDP, **bearer(feed["view_token"])}
    )
    assert response.status_code == 307
    assert response.headers["Location"] == f"http://gw-b.rvi:8003/whep/{feed['feed_id']}"


async def test_a_session_held_by_a_live_instance_sends_feed_requests_there(
    open_session: OpenSession,
    client: httpx.AsyncClient,
    tokens: Tokens,
    db: AsyncEngine,
    settings: VideoGatewaySettings,
) -> None:
    """DESIGN: Scale. While gw-c beats, the session's media is its; once its heartbeat is stale,
    the next instance that needs the session takes it."""
    session = await open_session()
    enterprise = tokens.header(tokens.enterprise(session["enterprise_id"]))

    async def held_by(beat: str) -> None:
        async with db.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO video_gateway.gateway_instances (instance_id, advertised_url, started_at,"
                    " last_heartbeat_at, sessions, feeds, viewers, bitrate_kbps, cpu_pct, draining)"
                    f" VALUES ('gw-c', 'http://gw-c.rvi:8003', now(), {beat}, 1, 0, 0, 0, 0, false)"
                    f" ON CONFLICT (instance_id) DO UPDATE SET last_heartbeat_at = {beat}"
                )
            )
            await conn.execute(
                text("UPDATE video_gateway.sessions SET instance_id = 'gw-c' WHERE session_id = :id"),
                {"id": session["session_id"]},
            )

    await held_by("now()")
    refused = await client.post(
        f"/v1/sessions/{session['session_id']}/feeds", json={"kind": "webrtc"}, headers=enterprise
    )
    assert refused.status_code == 409
    assert refused.json()["instance_id"] == "gw-c" and refused.json()["instance_url"] == "http://gw-c.rvi:8003"

    await held_by("now() - interval '1 hour'")
    taken = await client.post(
        f"/v1/sessions/{session['session_id']}/feeds", json={"kind": "webrtc"}, headers=enterprise
    )
    assert taken.status_code == 201, taken.text
    placed = (await client.get(f"/v1/sessions/{session['session_id']}", headers=enterprise)).json()
    assert placed["instance_id"] == settings.instance_id
