"""Video and audio tracks that hand pre-encoded clips to aiortc's sender at real-time pace.

aiortc's sender packetizes an `av.Packet` without encoding it (RTCRtpSender._next_encoded_frame →
encoder.pack), so a publisher costs what a real camera's sender costs, not an encoder."""

from __future__ import annotations

import asyncio
import hashlib
import math
import random
import struct
import time
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from rvi_platform.media_peers.clips import ClipFrame, frame_digest
from rvi_video_gateway.media.packets import TIME_BASE, VIDEO_CLOCK, Codec


@dataclass
class SendLog:
    """When each frame went to the sender, by pts and by digest (a looping clip repeats a digest
    once per loop; a receiver matches the latest send before its receipt)."""

    frames_sent: int = 0
    first_sent_at: float | None = None
    by_pts: dict[int, float] = field(default_factory=dict)
    by_digest: defaultdict[bytes, list[float]] = field(default_factory=lambda: defaultdict(list))

    def sent_before(self, digest: bytes, received_at: float) -> float | None:
        times = self.by_digest.get(digest)
        if not times:
            return None
        for sent_at in reversed(times):
            if sent_at <= received_at:
                return sent_at
        return None

    def sent_between(self, start: float, end: float) -> int:
        return sum(1 for t in self.by_pts.values() if start <= t < end)


class ClipTrack(MediaStreamTrack):
    kind = "video"

    def __init__(self, frames: list[ClipFrame], codec: Codec, fps: int = 25, keep_log: bool = True) -> None:
        super().__init__()
        if not frames:
            raise ValueError("a clip needs at least one frame")
        self.frames = frames
        self.codec = codec
        self.fps = fps
        self.digests = [frame_digest(codec, f.data) for f in frames]
        self.log = SendLog()
        self.keep_log = keep_log
        self.keyframes_on_request = 0
        self._keyframes = [i for i, f in enumerate(frames) if f.keyframe]
        self._sent = 0  # frames handed out: sets pts and pace
        self._position = 0  # where in the clip
        self._keyframe_wanted = False
        self._started_at: float | None = None

    def request_keyframe(self) -> None:
        """A PLI/FIR reached the sender: continue from the clip's next keyframe, as a live encoder
        would start a new picture (the frames skipped are never sent)."""
        self._keyframe_wanted = True

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        if self._started_at is None:
            self._started_at = time.monotonic()
        due = self._started_at + self._sent / self.fps
        if (wait := due - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        if self._keyframe_wanted:
            self._keyframe_wanted = False
            self._skip_to_keyframe()
        frame = self.frames[self._position]
        packet = av.Packet(frame.data)
        packet.pts = packet.dts = self._sent * VIDEO_CLOCK // self.fps
        packet.time_base = TIME_BASE
        packet.is_keyframe = frame.keyframe
        self._record(packet.pts, self.digests[self._position])
        self._sent += 1
        self._position = (self._position + 1) % len(self.frames)
        return packet

    def _skip_to_keyframe(self) -> None:
        if self.frames[self._position].keyframe or not self._keyframes:
            return
        later = [i for i in self._keyframes if i > self._position]
        self._position = later[0] if later else self._keyframes[0]
        self.keyframes_on_request += 1

    def _record(self, pts: int, digest: bytes) -> None:
        now = time.monotonic()
        log = self.log
        log.frames_sent += 1
        if log.first_sent_at is None:
            log.first_sent_at = now
        if self.keep_log:
            log.by_pts[pts] = now
            log.by_digest[digest].append(now)


AUDIO_PACKET_MS = 20


@dataclass(frozen=True, slots=True)
class AudioClip:
    """Pre-encoded audio packets of 20 ms each, as a microphone's encoder would send them."""

    codec: str  # opus | pcma | pcmu
    clock_rate: int
    packets: list[bytes]

    @property
    def samples_per_packet(self) -> int:
        return self.clock_rate * AUDIO_PACKET_MS // 1000


def encode_audio_clip(codec: str = "opus", seconds: float = 4.0, seed: int = 1) -> AudioClip:
    """A tone gliding in pitch with seeded noise, so every packet's bytes differ: Opus at 48 kHz
    stereo (libopus) or G.711 (A-law/mu-law) at 8 kHz mono."""

    rate, layout, encoder_name = {
        "opus": (48_000, "stereo", "libopus"),
        "pcma": (8_000, "mono", "pcm_alaw"),
        "pcmu": (8_000, "mono", "pcm_mulaw"),
    }[codec]
    channels = 2 if layout == "stereo" else 1
    samples = rate * AUDIO_PACKET_MS // 1000
    encoder = av.CodecContext.create(encoder_name, "w")
    encoder.sample_rate, encoder.layout, encoder.format = rate, layout, "s16"  # type: ignore[attr-defined]
    if codec == "opus":
        encoder.bit_rate = 32_000
    encoder.open()
    noise = random.Random(seed)
    packets: list[bytes] = []
    for index in range(round(seconds * 1000 / AUDIO_PACKET_MS)):
        pcm = bytearray()
        for n in range(samples):
            t = (index * samples + n) / rate
            value = int(8000 * math.sin(2 * math.pi * (300 + 200 * (t % 1.0)) * t)) + noise.randint(-300, 300)
            pcm += struct.pack("<h", value) * channels
        frame = av.AudioFrame(format="s16", layout=layout, samples=samples)
        frame.planes[0].update(bytes(pcm))
        frame.sample_rate = rate
        frame.pts = index * samples
        packets.extend(bytes(p) for p in encoder.encode(frame))  # type: ignore[attr-defined]
    packets.extend(bytes(p) for p in encoder.encode(None))  # type: ignore[attr-defined]
    return AudioClip(codec, rate, [p for p in packets if p])


class AudioClipTrack(MediaStreamTrack):
    """Hands pre-encoded audio packets to aiortc's sender every 20 ms (its encoder `pack`s them
    without encoding); `digests` and `sent` say what went out, for byte-identical checks."""

    kind = "audio"

    def __init__(self, clip: AudioClip) -> None:
        super().__init__()
        self.clip = clip
        self.codec = clip.codec
        self.sent = 0
        self.digests: set[bytes] = set()
        self._started_at: float | None = None

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        if self._started_at is None:
            self._started_at = time.monotonic()
        due = self._started_at + self.sent * AUDIO_PACKET_MS / 1000
        if (wait := due - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        data = self.clip.packets[self.sent % len(self.clip.packets)]
        packet = av.Packet(data)
        packet.pts = packet.dts = self.sent * self.clip.samples_per_packet
        packet.time_base = Fraction(1, self.clip.clock_rate)
        self.digests.add(hashlib.sha1(data).digest())
        self.sent += 1
        return packet
