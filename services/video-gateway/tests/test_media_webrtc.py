"""WHIP publishers and WHEP viewers, real aiortc peers on 127.0.0.1: frames relayed as received,
recorded without re-encoding, hashed onto the signed manifest."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av
import httpx
import pytest

from rvi_platform.media_peers.clips import ClipSpec, frame_digest, load_clip
from rvi_platform.media_peers.whep import WhepViewer
from rvi_platform.testing import Tokens, eventually
from rvi_video_gateway.media.packets import Codec
from rvi_video_gateway.settings import VideoGatewaySettings

if TYPE_CHECKING:
    from conftest import MediaPeers

StartSession = Callable[..., Awaitable[dict[str, Any]]]
Emitted = Callable[[str, str], Awaitable[list[dict[str, Any]]]]


def annexb(avcc: bytes) -> bytes:
    """MP4 stores H.264 length-prefixed (AVCC); the relay carries start codes (Annex B)."""
    out, at = bytearray(), 0
    while at + 4 <= len(avcc):
        size = int.from_bytes(avcc[at : at + 4], "big")
        out += b"\x00\x00\x00\x01" + avcc[at + 4 : at + 4 + size]
        at += 4 + size
    return bytes(out)


def recorded_packets(path: Path) -> tuple[str, list[bytes], tuple[int, int]]:
    """The clip's codec, its frames as the relay carried them, and its picture size."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        name = stream.codec_context.name
        size = (stream.codec_context.width, stream.codec_context.height)
        packets = [bytes(p) for p in container.demux(stream) if p.size]
    return name, [annexb(p) if name == "h264" else p for p in packets], size


@pytest.mark.parametrize("codec", ["h264", "vp8"])
async def test_relayed_and_recorded_as_received(
    codec: Codec,
    start_session: StartSession,
    client: httpx.AsyncClient,
    tokens: Tokens,
    settings: VideoGatewaySettings,
    media: MediaPeers,
    clip: Callable[..., ClipSpec],
) -> None:
    session = await start_session()
    sid = session["session_id"]
    officer = tokens.header(tokens.officer())
    feed = await media.create_feed(session)
    assert feed["whip_url"].endswith(f"/whip/{feed['feed_id']}") and feed["publish_token"] and feed["view_token"]
    assert feed["whep_url"].endswith(f"/whep/{feed['feed_id']}")

    spec = clip(codec)
    sent = {frame_digest(codec, f.data) for f in load_clip(spec)}
    publisher = await media.publish(feed, spec)
    assert publisher.codec == codec

    viewer = await media.view(feed)
    assert viewer.codec == codec, "the answer offers the feed's own codec"
    await viewer.frames(at_least=30)
    received = [r for r in viewer.receipts]
    assert received[0].keyframe, "a late viewer starts at a keyframe"
    # Byte-identical frames: nothing decoded or re-encoded on the way.
    assert sum(r.digest in sent for r in received) >= 0.95 * len(received)

    started = await client.post(
        f"/v1/sessions/{sid}/recordings",
        json={"feed_id": feed["feed_id"], "kind": "checklist_item:I1", "note": "inputs store"},
        headers=officer,
    )
    assert started.status_code == 201, started.text
    recording = started.json()
    await eventually(lambda: _frames_after(viewer, 50), "two seconds of video")
    stopped = await client.post(f"/v1/sessions/{sid}/recordings/{recording['recording_id']}/stop", headers=officer)
    assert stopped.status_code == 200, stopped.text
    closed = stopped.json()
    assert closed["state"] == "closed" and closed["frames"] > 25 and closed["manifest_seq"] >= 1
    again = await client.post(f"/v1/sessions/{sid}/recordings/{recording['recording_id']}/stop", headers=officer)
    assert again.status_code == 409 and again.json()["current_state"] == "closed", again.text

    path = Path(settings.evidence_dir) / sid / closed["file"]
    assert path.suffix == (".mp4" if codec == "h264" else ".webm")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == closed["sha256"]
    name, packets, size = recorded_packets(path)
    assert name == codec and size == (spec.width, spec.height)
    assert len(packets) == closed["frames"]
    assert all(frame_digest(codec, data) in sent for data in packets), "the clip holds the publisher's own bytes"

    manifest = (await client.get(f"/v1/sessions/{sid}/manifest", headers=officer)).json()
    entry = next(e["entry"] for e in manifest["entries"] if e["seq"] == closed["manifest_seq"])
    assert entry["file"] == closed["file"] and entry["sha256"] == closed["sha256"]
    assert entry["feed_id"] == feed["feed_id"] and entry["officer_id"] == "O1"


async def _frames_after(viewer: WhepViewer, more: int) -> bool:
    start = getattr(viewer, "_mark", None)
    if start is None:
        viewer._mark = viewer.frames_received  # type: ignore[attr-defined]
        return False
    return viewer.frames_received - start >= more


async def test_load_and_media_metrics_are_reported(
    start_session: StartSession,
    client: httpx.AsyncClient,
    tokens: Tokens,
    settings: VideoGatewaySettings,
    media: MediaPeers,
    clip: Callable[..., ClipSpec],
) -> None:
    session = await start_session()
    feed = await media.create_feed(session)
    await media.publish(feed, clip("h264"))
    viewer = await media.view(feed)
    await viewer.frames(at_least=25)

    async def beat() -> dict[str, Any] | None:
        gateways = (await client.get("/v1/gateways", headers=tokens.header(tokens.operator()))).json()
        mine = next(g for g in gateways if g["instance_id"] == settings.instance_id)
        return mine if mine["feeds"] >= 1 and mine["viewers"] >= 1 and mine["bitrate_kbps"] > 100 else None

    await eventually(beat, "a heartbeat counting the feed, its viewer and its bitrate")
    text = (await client.get("/metrics")).text
    values = {
        line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines() if line.startswith("rvi_gateway_")
    }
    assert values["rvi_gateway_bytes_relayed_total"] > 0
    assert values["rvi_gateway_time_to_first_keyframe_seconds_count"] >= 1
    assert "rvi_gateway_frames_dropped_total" in values and "rvi_gateway_recording_bytes_total" in values


async def test_the_passthrough_hook_finds_aiortcs_decoder_queue() -> None:
    """aiortc is pinned; this fails first if an upgrade moves what `tap_receiver` replaces."""
    from aiortc import RTCPeerConnection

    from rvi_video_gateway.media.passthrough import tap_receiver

    pc = RTCPeerConnection()
    try:
        transceiver = pc.addTransceiver("video", direction="recvonly")
        delivered: list[object] = []
        tap_receiver(transceiver.receiver, delivered.append)
        queue = transceiver.receiver._RTCRtpReceiver__decoder_queue  # type: ignore[attr-defined]
        assert type(queue).__name__ == "_FrameTap"
        jitter = transceiver.receiver._RTCRtpReceiver__jitter_buffer  # type: ignore[attr-defined]
        assert type(jitter).__name__ == "MarkerJitterBuffer"
    finally:
        await pc.close()
