"""A WHEP viewer: a recvonly video transceiver offering H.264 and VP8, and with audio=True a
recvonly audio transceiver (Opus, PCMA, PCMU) whose packets are taken before aiortc's decoder
and recorded by digest (`audio_digests`); video=False makes a listener (talk-back).

With decode=False the encoded frames are taken before aiortc's decoder (`tap_receiver`) and each
is recorded with a digest of its bytes, which matches the publisher's `SendLog` exactly across a
relay that forwards as received (RTP timestamps do not survive a relay: each aiortc sender starts
from a random base and each receiver rebases to 0). With decode=True frames are decoded, to check
they are real pictures."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from dataclasses import dataclass

import httpx
from aiortc import RTCRtpReceiver
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtp import RtpPacket

from rvi_platform.media_peers import signalling
from rvi_platform.media_peers.clips import frame_digest
from rvi_video_gateway.media.h265 import register_h265
from rvi_video_gateway.media.packets import Codec, EncodedFrame
from rvi_video_gateway.media.passthrough import tap_receiver

AUDIO_KEPT = 500
register_h265()  # H.265 cameras' frames as received (RFC 7798): aiortc has no payload format for it


@dataclass(frozen=True, slots=True)
class Receipt:
    pts: int
    received_at: float  # arrival of the frame's last RTP packet (what a browser could act on)
    delivered_at: float  # when aiortc's jitter buffer let it go: one frame later (see _ArrivalClock)
    keyframe: bool
    size: int
    digest: bytes


class _ArrivalClock:
    """When each frame's last packet arrived. aiortc's jitter buffer only releases a frame when
    the first packet of the next one arrives (it ignores the RTP marker bit), which would charge
    one frame interval of this viewer's own delay to whatever it measures. Wraps the receiver's
    packet handler; maps the receiver's rebased frame timestamps back to RTP timestamps with its
    TimestampMapper (private to aiortc, checked in tests/test_peers.py)."""

    _MAPPER = "_RTCRtpReceiver__timestamp_mapper"

    def __init__(self, receiver: RTCRtpReceiver) -> None:
        self._last_arrival: dict[int, float] = {}
        self._mapper = getattr(receiver, self._MAPPER, None)
        handle = receiver._handle_rtp_packet

        async def timed(packet: RtpPacket, arrival_time_ms: int) -> None:
            self._last_arrival[packet.timestamp] = time.monotonic()
            await handle(packet, arrival_time_ms)

        receiver._handle_rtp_packet = timed  # type: ignore[method-assign]

    @property
    def exact(self) -> bool:
        return self._mapper is not None

    def completed_at(self, pts: int, fallback: float) -> float:
        origin = getattr(self._mapper, "_origin", None)
        if origin is None:
            return fallback
        rtp_timestamp = (pts + origin) & 0xFFFFFFFF
        at = self._last_arrival.pop(rtp_timestamp, fallback)
        if len(self._last_arrival) > 512:
            # Frames the jitter buffer dropped: forget the oldest half.
            for stale in list(self._last_arrival)[:256]:
                del self._last_arrival[stale]
        return at


@dataclass(frozen=True, slots=True)
class ViewerStats:
    frames_received: int
    keyframes: int
    bytes_received: int
    first_frame_at: float | None
    first_keyframe_at: float | None
    width: int | None
    height: int | None
    codec: Codec | None
    state: str


class WhepViewer(signalling.ResourceClient):
    def __init__(
        self,
        url: str,
        token: str,
        decode: bool = False,
        codecs: tuple[Codec, ...] = ("h264", "vp8"),
        client: httpx.AsyncClient | None = None,
        keep_receipts: bool = True,
        audio: bool = False,
        video: bool = True,
    ) -> None:
        super().__init__(url, token, client)
        self.audio, self.video = audio, video
        self.audio_packets = 0
        self.audio_digests: list[bytes] = []
        self.audio_payloads: list[bytes] = []  # the first AUDIO_KEPT packets as received, to decode
        self.audio_codec: str | None = None
        self.warning: str | None = None
        self.decode, self.codecs = decode, codecs
        self.receipts: list[Receipt] = []
        self.keep_receipts = keep_receipts
        self.frames_received = 0
        self.keyframes = 0
        self.bytes_received = 0
        self.first_frame_at: float | None = None
        self.first_keyframe_at: float | None = None
        self.width: int | None = None
        self.height: int | None = None
        self._consumer: asyncio.Task[None] | None = None
        self._arrivals: _ArrivalClock | None = None
        self._arrived = asyncio.Event()

    async def start(self, connect_within_s: float = 20.0) -> None:
        transceiver = self.pc.addTransceiver("video", direction="recvonly") if self.video else None
        if transceiver is not None:
            signalling.force_codecs(transceiver, self.codecs)
        listener = self.pc.addTransceiver("audio", direction="recvonly") if self.audio else None
        if self.decode:
            self.pc.on("track", self._consume)
        sdp = await signalling.offer(self.pc)
        result = await self._exchange(sdp, "WHEP view")
        self.warning = result.warning
        await signalling.accept(self.pc, result.answer)
        if transceiver is not None and not self.decode:
            # After the answer is applied and before the connection task starts the receiver.
            self._arrivals = _ArrivalClock(transceiver.receiver)
            tap_receiver(transceiver.receiver, self._on_encoded)
        if listener is not None:
            tap_receiver(listener.receiver, self._on_audio)
        await signalling.connected(self.pc, connect_within_s)

    def _on_audio(self, frame: EncodedFrame) -> None:
        if not frame.audio:
            return
        self.audio_packets += 1
        self.audio_digests.append(hashlib.sha1(frame.data).digest())
        if len(self.audio_payloads) < AUDIO_KEPT:
            self.audio_payloads.append(frame.data)
        self._arrived.set()

    async def audio_arrived(self, at_least: int, within_s: float = 20.0) -> None:
        """Waits until `at_least` audio packets have arrived (TimeoutError otherwise)."""
        async with asyncio.timeout(within_s):
            while self.audio_packets < at_least:
                self._arrived.clear()
                await self._arrived.wait()

    def _on_encoded(self, frame: EncodedFrame) -> None:
        assert self._arrivals is not None
        received_at = self._arrivals.completed_at(frame.pts, frame.received_at)
        self._count(frame.keyframe, len(frame.data), received_at)
        if self.keep_receipts and self.codec is not None:
            digest = frame_digest(self.codec, frame.data)
            self.receipts.append(
                Receipt(frame.pts, received_at, frame.received_at, frame.keyframe, len(frame.data), digest)
            )

    @property
    def exact_arrival_times(self) -> bool:
        """False if this aiortc moved its timestamp mapper: receipt times then include the jitter
        buffer's one-frame hold."""
        return self._arrivals is not None and self._arrivals.exact

    def _count(self, keyframe: bool, size: int, at: float) -> None:
        self.frames_received += 1
        self.bytes_received += size
        self._arrived.set()
        if self.first_frame_at is None:
            self.first_frame_at = at
        if keyframe:
            self.keyframes += 1
            if self.first_keyframe_at is None:
                self.first_keyframe_at = at

    def _consume(self, track: MediaStreamTrack) -> None:
        async def run() -> None:
            with contextlib.suppress(MediaStreamError):
                while True:
                    picture = await track.recv()
                    self.width, self.height = picture.width, picture.height
                    self._count(bool(picture.key_frame), 0, time.monotonic())

        self._consumer = asyncio.ensure_future(run())

    async def frames(self, at_least: int, within_s: float = 20.0) -> None:
        """Waits until `at_least` frames have arrived (TimeoutError otherwise)."""
        async with asyncio.timeout(within_s):
            while self.frames_received < at_least:
                self._arrived.clear()
                await self._arrived.wait()

    @property
    def stats(self) -> ViewerStats:
        return ViewerStats(
            frames_received=self.frames_received,
            keyframes=self.keyframes,
            bytes_received=self.bytes_received,
            first_frame_at=self.first_frame_at,
            first_keyframe_at=self.first_keyframe_at,
            width=self.width,
            height=self.height,
            codec=self.codec,
            state=self.pc.connectionState,
        )

    async def _release(self) -> None:
        if self._consumer is not None:
            self._consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._consumer
