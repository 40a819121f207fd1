"""GACC-RVI 4(II) equipment test: what the enterprise's test publication delivers over a window
(picture size, frame rate, bitrate, packet loss, round-trip time) against the thresholds."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

from rvi_video_gateway.media.keyframes import KeyframeError, picture_size
from rvi_video_gateway.media.packets import VIDEO_CLOCK, Codec, EncodedFrame


@dataclass(frozen=True)
class Thresholds:
    min_width: int
    min_height: int
    min_fps: float
    min_bitrate_kbps: float
    max_loss_pct: float
    max_rtt_ms: float


@dataclass(frozen=True)
class Measurement:
    codec: str | None
    width: int | None
    height: int | None
    fps: float | None
    bitrate_kbps: float | None
    packet_loss_pct: float | None
    rtt_ms: float | None
    frames: int
    window_s: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def judge(m: Measurement, t: Thresholds) -> list[str]:
    """Every threshold not met, with the measured value; empty when the equipment passes."""
    failures = []
    if m.width is None or m.height is None:
        failures.append("no picture received")
    elif m.width * m.height < t.min_width * t.min_height or min(m.width, m.height) < min(t.min_width, t.min_height):
        failures.append(f"resolution {m.width}x{m.height} below {t.min_width}x{t.min_height}")
    if m.fps is None or m.fps < t.min_fps:
        failures.append(f"frame rate {m.fps if m.fps is not None else 'unknown'} fps below {t.min_fps}")
    if m.bitrate_kbps is None or m.bitrate_kbps < t.min_bitrate_kbps:
        failures.append(f"bitrate {m.bitrate_kbps} kb/s below {t.min_bitrate_kbps}")
    if m.packet_loss_pct is None or m.packet_loss_pct >= t.max_loss_pct:
        failures.append(f"packet loss {m.packet_loss_pct} % not under {t.max_loss_pct} %")
    if m.rtt_ms is None:
        failures.append("round-trip time could not be measured")
    elif m.rtt_ms > t.max_rtt_ms:
        failures.append(f"round-trip time {m.rtt_ms} ms above {t.max_rtt_ms} ms")
    return failures


class FrameMeter:
    """A feed consumer counting from the first keyframe on."""

    def __init__(self, codec: Codec) -> None:
        self.codec = codec
        self.frames = 0
        self.bytes = 0
        self.size: tuple[int, int] | None = None
        self.first_pts: int | None = None
        self.last_pts: int | None = None
        self.started_at: float | None = None
        self.keyframe = asyncio.Event()

    def accept(self, frame: EncodedFrame) -> None:
        if self.first_pts is None:
            if not frame.keyframe:
                return
            try:
                self.size = picture_size(self.codec, frame.data)
            except KeyframeError:
                return
            self.first_pts, self.started_at = frame.pts, time.monotonic()
            self.keyframe.set()
        self.frames += 1
        self.bytes += len(frame.data)
        self.last_pts = frame.pts


async def measure(
    meter: FrameMeter,
    window_s: float,
    packets: Callable[[], Awaitable[tuple[int, int]]],
    rtt: Callable[[], Awaitable[float | None]],
) -> Measurement:
    """Waits for the first keyframe (the caller bounds this), then measures for `window_s`."""
    await meter.keyframe.wait()
    received0, lost0 = await packets()
    samples: list[float] = []
    deadline = time.monotonic() + window_s
    while (left := deadline - time.monotonic()) > 0:
        if (sample := await rtt()) is not None:
            samples.append(sample)
        await asyncio.sleep(min(left, window_s / 5))
    received1, lost1 = await packets()
    elapsed = time.monotonic() - (meter.started_at or time.monotonic())
    fps = None
    if meter.first_pts is not None and meter.last_pts is not None and meter.last_pts > meter.first_pts:
        fps = round((meter.frames - 1) * VIDEO_CLOCK / (meter.last_pts - meter.first_pts), 2)
    got, lost = received1 - received0, lost1 - lost0
    width, height = meter.size or (None, None)
    return Measurement(
        codec=meter.codec,
        width=width,
        height=height,
        fps=fps,
        bitrate_kbps=round(meter.bytes * 8 / 1000 / elapsed, 1) if elapsed > 0 else None,
        packet_loss_pct=round(100.0 * lost / (got + lost), 3) if got + lost > 0 else None,
        rtt_ms=round(statistics.median(samples), 2) if samples else None,
        frames=meter.frames,
        window_s=round(elapsed, 3),
    )
