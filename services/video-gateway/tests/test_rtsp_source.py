"""Pulling a real RTSP camera (GStreamer's RTSP server, testing/rtsp_camera.py) without decoding."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import av
import pytest

from rvi_platform.testing_camera.cameras import RtspCamera, running_rtsp_camera
from rvi_video_gateway.media.packets import EncodedFrame, h264_nal_types, is_keyframe
from rvi_video_gateway.media.rtsp_source import (
    CameraUnreachable,
    RtspSource,
    StreamInfo,
    UnsupportedStream,
    with_parameter_sets,
)

FPS = 25
KEY_INT_MAX = 25
WINDOW_S = 3.0
SPS, PPS, IDR, AUD = 7, 8, 5, 9


@dataclass
class Sink:
    """A FrameSink that keeps what it is given, noting which thread called it."""

    frames: list[EncodedFrame] = field(default_factory=list)
    lost: list[tuple[float, str]] = field(default_factory=list)
    threads: set[int] = field(default_factory=set)
    lost_event: asyncio.Event = field(default_factory=asyncio.Event)
    first_frame: asyncio.Event = field(default_factory=asyncio.Event)

    def on_frame(self, frame: EncodedFrame) -> None:
        self.threads.add(threading.get_ident())
        self.frames.append(frame)
        self.first_frame.set()

    def on_lost(self, reason: str) -> None:
        self.threads.add(threading.get_ident())
        self.lost.append((time.monotonic(), reason))
        self.lost_event.set()


@dataclass
class Received:
    codec: str
    info: StreamInfo
    frames: list[EncodedFrame]
    start_s: float  # start() returning
    first_frame_s: float  # start() called to the first frame


def source_for(camera: RtspCamera, sink: Sink, **timeouts: float) -> RtspSource:
    timeouts = {"open_timeout_s": 5.0, "read_timeout_s": 3.0, **timeouts}
    return RtspSource(camera.url, sink, asyncio.get_running_loop(), **timeouts)


@pytest.fixture(scope="module", params=["h264", "vp8"])
async def received(request: pytest.FixtureRequest) -> AsyncIterator[Received]:
    """WINDOW_S of a 720p25 camera, from start() on."""
    codec = request.param
    async with running_rtsp_camera(codec, fps=FPS, key_int_max=KEY_INT_MAX) as camera:
        sink = Sink()
        source = source_for(camera, sink)
        began = time.monotonic()
        info = await source.start()
        started = time.monotonic()
        await asyncio.wait_for(sink.first_frame.wait(), 2.0)
        first = sink.frames[0].received_at
        await asyncio.sleep(first + WINDOW_S - time.monotonic())
        await source.stop()
        window = [f for f in sink.frames if f.received_at <= first + WINDOW_S]
        assert sink.threads == {threading.get_ident()}, "the sink is called on the loop's thread only"
        assert not sink.lost
        yield Received(codec, info, window, started - began, first - began)


def test_the_stream_is_described(received: Received) -> None:
    assert (received.info.codec, received.info.width, received.info.height) == (received.codec, 1280, 720)
    assert received.info.fps == FPS
    if received.codec == "h264":
        assert h264_nal_types(received.info.parameter_sets) == [SPS, PPS]
    else:
        assert received.info.parameter_sets == b""


def test_frames_arrive_at_the_camera_rate(received: Received) -> None:
    expected = FPS * WINDOW_S
    assert abs(len(received.frames) - expected) <= 0.1 * expected, len(received.frames)
    steps = [b.pts - a.pts for a, b in zip(received.frames, received.frames[1:], strict=False)]
    assert all(step > 0 for step in steps)
    assert sorted(steps)[len(steps) // 2] == 90_000 // FPS  # pts on the 90 kHz clock
    assert all(f.data for f in received.frames)


def test_keyframes_are_flagged_and_frequent(received: Received) -> None:
    frames = received.frames
    assert frames[0].keyframe, "a pull starts at a keyframe"
    assert [f.keyframe for f in frames] == [is_keyframe(received.codec, f.data) for f in frames]  # type: ignore[arg-type]
    keyframes = [i for i, f in enumerate(frames) if f.keyframe]
    assert len(keyframes) >= WINDOW_S * FPS // KEY_INT_MAX
    assert all(b - a <= KEY_INT_MAX for a, b in zip(keyframes, keyframes[1:], strict=False))
    assert len(frames) - 1 - keyframes[-1] < KEY_INT_MAX
    if received.codec == "h264":
        for i in keyframes:
            assert {SPS, PPS, IDR} <= set(h264_nal_types(frames[i].data)), "every keyframe is self-contained"
        assert not any(IDR in h264_nal_types(f.data) for f in frames if not f.keyframe)


def decode(codec: str, frames: list[EncodedFrame]) -> list[av.VideoFrame]:
    decoder = av.CodecContext.create(codec, "r")
    pictures = []
    for frame in frames:
        pictures.extend(decoder.decode(frame.to_av_packet()))
    pictures.extend(decoder.decode(None))
    return pictures


def test_the_bytes_decode_from_the_first_keyframe(received: Received) -> None:
    """Decoding happens only here, to prove the relayed bytes are a valid stream."""
    pictures = decode(received.codec, received.frames)
    assert len(pictures) == len(received.frames)
    assert {(p.width, p.height) for p in pictures} == {(1280, 720)}
    later = [i for i, f in enumerate(received.frames) if f.keyframe][1]
    resumed = decode(received.codec, received.frames[later : later + 5])
    assert len(resumed) == 5, "a fresh decoder starts at any keyframe"


def test_the_first_frame_comes_soon_after_start(received: Received) -> None:
    # Well under FFmpeg's default probing (5 s of analysis); generous for a loaded 2-core machine.
    assert received.start_s < 3.0
    assert received.first_frame_s < 3.0


def first_keyframe_nal_types(url: str) -> list[int]:
    with av.open(url, options={"rtsp_transport": "tcp"}, timeout=5) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            if packet.is_keyframe:
                return h264_nal_types(bytes(packet))
    raise AssertionError("no keyframe")


async def test_parameter_sets_only_in_the_sdp_are_put_before_keyframes() -> None:
    async with running_rtsp_camera("h264", key_int_max=10, inband_parameter_sets=False) as camera:
        assert SPS not in await asyncio.to_thread(first_keyframe_nal_types, camera.url)
        sink = Sink()
        source = source_for(camera, sink)
        info = await source.start()
        await asyncio.sleep(1.0)  # keyframes every 0.4 s
        await source.stop()
    keyframes = [i for i, f in enumerate(sink.frames) if f.keyframe]
    for i in keyframes:
        assert h264_nal_types(sink.frames[i].data)[:4] == [AUD, SPS, PPS, IDR]
        assert info.parameter_sets in sink.frames[i].data
    assert len(decode("h264", sink.frames[keyframes[1] :])) == len(sink.frames) - keyframes[1]


@pytest.mark.parametrize("codec", ["h264", "vp8"])
async def test_a_camera_that_vanishes_is_lost_once(codec: str) -> None:
    async with running_rtsp_camera(codec, width=640, height=360) as camera:
        sink = Sink()
        source = source_for(camera, sink, read_timeout_s=3.0)
        await source.start()
        await asyncio.sleep(1.0)
        killed = time.monotonic()
        camera.kill()
        await asyncio.wait_for(sink.lost_event.wait(), 3.0)
        frames = len(sink.frames)
        await asyncio.sleep(1.0)
        await source.stop()
    [(at, reason)] = sink.lost
    assert at - killed < 3.0
    assert reason == "the camera ended the stream"
    assert len(sink.frames) == frames > 10
    assert source.lost_reason == reason and not source.running


@pytest.mark.parametrize("codec", ["h264", "vp8"])
async def test_a_silent_camera_is_lost_after_the_read_timeout(codec: str) -> None:
    async with running_rtsp_camera(codec, width=640, height=360) as camera:
        sink = Sink()
        source = source_for(camera, sink, read_timeout_s=2.0)
        await source.start()
        await asyncio.sleep(0.5)
        os.kill(camera.pid, signal.SIGSTOP)  # the connection stays up, nothing comes
        try:
            silent = time.monotonic()
            await asyncio.wait_for(sink.lost_event.wait(), 4.0)
        finally:
            os.kill(camera.pid, signal.SIGCONT)
        await source.stop()
    [(at, reason)] = sink.lost
    assert 1.5 <= at - silent <= 2.6, at - silent
    assert reason == "no data from the camera for 2 s"


async def test_stop_is_prompt_and_reports_no_loss() -> None:
    async with running_rtsp_camera("h264", width=640, height=360) as camera:
        sink = Sink()
        source = source_for(camera, sink, read_timeout_s=1.0)
        await source.start()
        await asyncio.sleep(0.5)
        asked = time.monotonic()
        await source.stop()
        took = time.monotonic() - asked
        frames = len(sink.frames)
        await source.stop()  # again: nothing happens
        await asyncio.sleep(1.5)  # longer than the read timeout
    assert took < 0.5, took
    assert source._thread is not None and not source._thread.is_alive()
    assert len(sink.frames) == frames > 5
    assert sink.lost == []


async def test_stop_while_the_camera_is_stalled_returns_within_the_grace() -> None:
    async with running_rtsp_camera("h264", width=640, height=360) as camera:
        sink = Sink()
        source = RtspSource(
            camera.url, sink, asyncio.get_running_loop(), open_timeout_s=5.0, read_timeout_s=4.0, stop_grace_s=1.0
        )
        await source.start()
        await asyncio.sleep(0.5)
        os.kill(camera.pid, signal.SIGSTOP)
        try:
            await asyncio.sleep(0.3)
            asked = time.monotonic()
            await source.stop()
            took = time.monotonic() - asked
            await asyncio.sleep(2.5)  # the stalled read gives up (read_timeout_s / 2) and the thread ends
        finally:
            os.kill(camera.pid, signal.SIGCONT)
    assert 0.9 <= took < 1.8, took
    assert source._thread is not None and not source._thread.is_alive()
    assert sink.lost == []


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("port_fixture", "within_s", "says"),
    [("silent_port", 1.8, "did not answer within 1.5 s"), ("closed_port", 0.5, "Connection refused")],
)
async def test_an_unreachable_camera_fails_start_in_time(
    request: pytest.FixtureRequest, port_fixture: str, within_s: float, says: str
) -> None:
    port = request.getfixturevalue(port_fixture)
    sink = Sink()
    source = RtspSource(
        f"rtsp://admin:hunter2@127.0.0.1:{port}/cam1",
        sink,
        asyncio.get_running_loop(),
        open_timeout_s=1.5,
        read_timeout_s=1.0,
    )
    asked = time.monotonic()
    with pytest.raises(CameraUnreachable) as failed:
        await source.start()
    assert time.monotonic() - asked < within_s
    assert says in str(failed.value)
    assert "hunter2" not in str(failed.value) and "rtsp://***@127.0.0.1" in str(failed.value)
    await source.stop()
    assert sink.frames == [] and sink.lost == []


async def test_a_camera_with_another_codec_is_refused_at_start() -> None:
    async with running_rtsp_camera("vp9", width=320, height=240, key_int_max=10) as camera:
        source = source_for(camera, Sink())
        with pytest.raises(UnsupportedStream, match="sends vp9 video; the gateway relays H.264 and VP8"):
            await source.start()
        await source.stop()


async def test_a_source_whose_loop_closed_ends_quietly() -> None:
    """MEDIA pitfall: a reader thread outliving its loop must end, not fail on the closed loop."""
    async with running_rtsp_camera("h264", width=640, height=360) as camera:
        started: list[RtspSource] = []

        async def pull_and_forget() -> None:
            source = RtspSource(camera.url, Sink(), asyncio.get_running_loop(), read_timeout_s=3.0)
            await source.start()
            started.append(source)
            await asyncio.sleep(0.3)  # the loop closes with the source still running

        await asyncio.to_thread(asyncio.run, pull_and_forget())
        thread = started[0]._thread
        assert thread is not None
        await asyncio.to_thread(thread.join, 1.0)
        assert not thread.is_alive()


def test_with_parameter_sets() -> None:
    sps_pps = b"\x00\x00\x00\x01\x67\x42\xc0\x1f" + b"\x00\x00\x00\x01\x68\xce\x3c\x80"
    idr = b"\x00\x00\x00\x01\x65\x88\x84"
    aud = b"\x00\x00\x00\x01\x09\xf0"
    assert with_parameter_sets(aud + idr, sps_pps) == aud + sps_pps + idr
    assert with_parameter_sets(idr, sps_pps) == sps_pps + idr
    assert with_parameter_sets(b"\x00\x00\x01\x09\xf0\x00\x00\x01\x65\x88", sps_pps) == (
        b"\x00\x00\x01\x09\xf0" + sps_pps + b"\x00\x00\x01\x65\x88"
    )
    complete = aud + sps_pps + idr
    assert with_parameter_sets(complete, sps_pps) == complete
