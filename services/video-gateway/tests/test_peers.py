"""The test peers: synthetic clips, WHIP publisher, WHEP viewer, against the bench's aiortc
baseline server in its own process (passthrough relay and decode + re-encode relay)."""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import av
import httpx
import pytest

from rvi_platform.embedded.ports import free_port, wait_for_port
from rvi_platform.media_peers.clips import ClipFrame, ClipSpec, frame_digest, load_clip
from rvi_platform.media_peers.signalling import SignallingError, codec_preferences, negotiated_codec
from rvi_platform.media_peers.tracks import ClipTrack
from rvi_platform.media_peers.whep import WhepViewer
from rvi_platform.media_peers.whip import WhipPublisher
from rvi_video_gateway.media.packets import Codec, h264_nal_types

BASELINE = Path(__file__).resolve().parents[3] / "bench" / "media_baseline.py"
SMALL = {"width": 640, "height": 360, "fps": 25, "seconds": 4.0, "bitrate": 800_000}


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


def small_clip(codec: Codec, clip_dir: Path) -> list[ClipFrame]:
    return load_clip(ClipSpec(codec=codec, **SMALL), clip_dir)  # type: ignore[arg-type]


def run_baseline(relay: str) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, str(BASELINE), "--port", str(port), "--relay", relay])
    try:
        wait_for_port("127.0.0.1", port, timeout_s=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def passthrough_server() -> Iterator[str]:
    yield from run_baseline("passthrough")


@pytest.fixture(scope="module")
def decode_server() -> Iterator[str]:
    yield from run_baseline("decode")


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def decode_all(codec: Codec, frames: list[ClipFrame]) -> list[av.VideoFrame]:
    decoder = av.CodecContext.create("h264" if codec == "h264" else "vp8", "r")
    pictures = []
    for frame in frames:
        pictures.extend(decoder.decode(av.Packet(frame.data)))
    return pictures


def test_h264_clip_is_constrained_baseline_annexb_with_parameter_sets_on_every_keyframe(clip_dir: Path) -> None:
    frames = small_clip("h264", clip_dir)
    assert len(frames) == 100
    assert [i for i, f in enumerate(frames) if f.keyframe] == [0, 50]
    for frame in frames:
        assert frame.data.startswith(b"\x00\x00\x00\x01") or frame.data.startswith(b"\x00\x00\x01")
        types = h264_nal_types(frame.data)
        if frame.keyframe:
            assert types.index(7) < types.index(8) < types.index(5), types
        else:
            assert set(types) <= {1, 6}, types
    sps = frames[50].data[frames[50].data.index(b"\x00\x00\x01\x67") + 4 :]
    assert sps[0] == 66 and sps[1] & 0x40, "profile_idc 66 with constraint_set1: constrained baseline"
    pictures = decode_all("h264", frames)
    assert len(pictures) == 100 and (pictures[0].width, pictures[0].height) == (640, 360)
    assert len({frame_digest("h264", f.data) for f in frames}) == 100, "every frame is unique"


def test_vp8_clip_decodes_and_comes_back_from_the_cache(clip_dir: Path) -> None:
    frames = small_clip("vp8", clip_dir)
    assert [i for i, f in enumerate(frames) if f.keyframe] == [0, 50]
    assert small_clip("vp8", clip_dir) == frames
    assert len(list(clip_dir.glob("vp8-640x360-25-*.clip"))) == 1
    pictures = decode_all("vp8", frames)
    assert len(pictures) == 100 and (pictures[-1].width, pictures[-1].height) == (640, 360)


def test_h264_digest_ignores_start_code_length_and_parameter_sets(clip_dir: Path) -> None:
    key = small_clip("h264", clip_dir)[0].data
    slices_only = b"".join(
        b"\x00\x00\x00\x01" + nal for nal in key.split(b"\x00\x00\x01")[1:] if nal and nal[0] & 0x1F == 5
    )
    assert frame_digest("h264", slices_only.replace(b"\x00\x00\x00\x01", b"\x00\x00\x01")) == frame_digest("h264", key)
    assert frame_digest("h264", key) != frame_digest("h264", small_clip("h264", clip_dir)[50].data)


@pytest.mark.parametrize("codec", ["h264", "vp8"])
def test_offer_carries_only_the_forced_codec(codec: Codec) -> None:
    names = {c.mimeType.lower() for c in codec_preferences([codec])}
    assert names == {f"video/{codec}", "video/rtx"}
    if codec == "h264":
        h264 = [c for c in codec_preferences(["h264"]) if c.mimeType.lower() == "video/h264"]
        assert [c.parameters["profile-level-id"] for c in h264] == ["42e01f", "42001f"]
        assert all(str(c.parameters["packetization-mode"]) == "1" for c in h264)


async def publish(
    server: str, codec: Codec, clip_dir: Path, http: httpx.AsyncClient, stream: str
) -> tuple[WhipPublisher, ClipTrack]:
    track = ClipTrack(small_clip(codec, clip_dir), codec)
    publisher = WhipPublisher(f"{server}/whip/{stream}", "publish-token", track, codec=codec, client=http)
    await publisher.start()
    return publisher, track


@pytest.mark.parametrize("codec", ["h264", "vp8"])
async def test_frames_relayed_as_received_match_the_publishers_by_digest(
    codec: Codec, passthrough_server: str, clip_dir: Path, http: httpx.AsyncClient
) -> None:
    publisher, track = await publish(passthrough_server, codec, clip_dir, http, f"pass-{codec}")
    assert publisher.codec == codec and negotiated_codec(publisher.answer or "") == codec
    assert publisher.location == f"{passthrough_server}/whip/pass-{codec}/" + publisher.location.rsplit("/", 1)[1]
    await asyncio.sleep(0.3)  # join mid-GOP: the relay asks for a keyframe, the clip skips to one
    viewer = WhepViewer(f"{passthrough_server}/whep/pass-{codec}", "view-token", client=http)
    await viewer.start()
    try:
        await viewer.frames(50)
        assert viewer.codec == codec
        assert viewer.receipts[0].keyframe
        assert track.keyframes_on_request >= 1
        assert viewer.exact_arrival_times
        latencies = []
        for receipt in viewer.receipts:
            sent_at = track.log.sent_before(receipt.digest, receipt.received_at)
            assert sent_at is not None, "every frame received is one the publisher sent"
            latencies.append((receipt.received_at - sent_at) * 1000)
            assert receipt.received_at <= receipt.delivered_at
        assert 0 < statistics.median(latencies) < 1000
        assert publisher.stats.frames_sent >= len(viewer.receipts)
    finally:
        assert await viewer.close() == 200
        assert await publisher.close() == 200


async def test_decoded_relay_delivers_real_pictures_to_a_decoding_viewer(
    decode_server: str, clip_dir: Path, http: httpx.AsyncClient
) -> None:
    publisher, _ = await publish(decode_server, "h264", clip_dir, http, "decoded")
    await asyncio.sleep(0.5)  # the baseline answers a viewer once the publisher's track is there
    viewer = WhepViewer(f"{decode_server}/whep/decoded", "view-token", decode=True, client=http)
    await viewer.start()
    try:
        await viewer.frames(10)
        stats = viewer.stats
        assert (stats.width, stats.height) == (640, 360)
        assert stats.codec == "h264" and stats.first_frame_at is not None
    finally:
        await viewer.close()
        await publisher.close()


async def test_whep_for_a_stream_nobody_publishes_reports_the_status(
    passthrough_server: str, http: httpx.AsyncClient
) -> None:
    viewer = WhepViewer(f"{passthrough_server}/whep/nobody", "view-token", client=http)
    with pytest.raises(SignallingError) as error:
        await viewer.start()
    assert error.value.status == 404
    assert await viewer.close() is None


def test_publisher_refuses_to_mislabel_its_bytes(clip_dir: Path) -> None:
    track = ClipTrack(small_clip("vp8", clip_dir), "vp8")
    with pytest.raises(ValueError, match="mislabel"):
        WhipPublisher("http://127.0.0.1:9/whip", "t", track, codec="h264")
