"""One feed of a session: frames from one source (a WHIP publisher or an RTSP camera) fanned
out as received to its viewers, recorders and meters. Everything here runs on the event loop's
thread, so no locks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from rvi_video_gateway.media.lifecycles import FEED, FeedAction, FeedState
from rvi_video_gateway.media.packets import AudioCodec, Codec, EncodedFrame

FeedKind = Literal["webrtc", "rtsp", "talkback"]

# A GOP longer than this is not cached (a camera with a 10 s key interval): late viewers then
# wait for the next keyframe instead of the gateway holding unbounded memory.
MAX_CACHED_GOP = 250


class FrameConsumer(Protocol):
    def accept(self, frame: EncodedFrame) -> None: ...


@dataclass
class FeedCounters:
    frames: int = 0
    bytes: int = 0
    audio_packets: int = 0
    last_frame_at: float | None = None


@dataclass(eq=False)
class Feed:
    feed_id: str
    session_id: str | None
    inspection_id: str
    kind: FeedKind
    codec: Codec | None = None
    audio_codec: AudioCodec | None = None
    audio_clock_rate: int | None = None  # when it is not the codec's fixed rate (an RTSP camera's AAC)
    audio_channels: int | None = None
    audio_config: bytes | None = None  # the decoder's extradata (AAC's AudioSpecificConfig), when it has one
    h264_profile_level_id: str | None = None  # as negotiated or read from the camera's SPS
    source_url: str | None = None  # RTSP only
    state: FeedState = FeedState.WAITING
    lost_reason: str | None = None
    counters: FeedCounters = field(default_factory=FeedCounters)
    # Asks the source for a fresh keyframe (RTCP PLI to a WebRTC publisher); None for RTSP,
    # where late viewers start from the cached GOP instead.
    keyframe_request: Callable[[], Awaitable[object]] | None = None
    on_state: Callable[[Feed], None] | None = None
    keyframe_seen: asyncio.Event = field(default_factory=asyncio.Event)
    _gop: list[EncodedFrame] = field(default_factory=list)
    _consumers: list[FrameConsumer] = field(default_factory=list)
    _audio_consumers: list[FrameConsumer] = field(default_factory=list)

    # --- FrameSink: called by the source ---

    def on_frame(self, frame: EncodedFrame) -> None:
        if self.state is FeedState.LOST or self.state is FeedState.CLOSED:
            return
        c = self.counters
        if frame.audio:
            c.audio_packets += 1
            c.bytes += len(frame.data)
            if self.codec is None:  # a feed of sound only (talk-back): its packets keep it live
                c.last_frame_at = frame.received_at
                if self.state is FeedState.WAITING:
                    self._move(FeedAction.GO_LIVE)
            for consumer in self._audio_consumers:
                consumer.accept(frame)
            return
        c.frames += 1
        c.bytes += len(frame.data)
        c.last_frame_at = frame.received_at
        if frame.keyframe:
            self._gop = [frame]
            self.keyframe_seen.set()
        elif self._gop and len(self._gop) < MAX_CACHED_GOP:
            self._gop.append(frame)
        else:
            self._gop = []
        if self.state is FeedState.WAITING:
            self._move(FeedAction.GO_LIVE)
        for consumer in self._consumers:
            consumer.accept(frame)

    def on_lost(self, reason: str) -> None:
        if not FEED.can(self.state, FeedAction.LOSE):
            return
        self.lost_reason = reason
        self._move(FeedAction.LOSE)

    def close(self) -> None:
        if FEED.can(self.state, FeedAction.CLOSE):
            self._move(FeedAction.CLOSE)
        self._consumers.clear()
        self._audio_consumers.clear()
        self._gop = []

    def rest(self) -> None:
        """The source was let go on purpose (an idle RTSP pull): waiting again, not lost."""
        if FEED.can(self.state, FeedAction.REST):
            self.state = FEED.transition(self.state, FeedAction.REST)
            self.counters.last_frame_at = None
            self._gop = []

    def _move(self, action: FeedAction) -> None:
        self.state = FEED.transition(self.state, action)
        if self.on_state is not None:
            self.on_state(self)

    # --- consumers ---

    def attach(self, consumer: FrameConsumer, from_cached_keyframe: bool = True) -> None:
        """A late joiner starts from the cached GOP (its latest keyframe and what followed)."""
        if from_cached_keyframe:
            for frame in self._gop:
                consumer.accept(frame)
        self._consumers.append(consumer)

    def attach_audio(self, consumer: FrameConsumer) -> None:
        self._audio_consumers.append(consumer)

    def detach(self, consumer: FrameConsumer) -> None:
        """Removes the consumer from the picture and the sound alike."""
        if consumer in self._consumers:
            self._consumers.remove(consumer)
        if consumer in self._audio_consumers:
            self._audio_consumers.remove(consumer)

    @property
    def consumers(self) -> int:
        return len(self._consumers) + sum(1 for c in self._audio_consumers if c not in self._consumers)

    @property
    def latest_keyframe(self) -> EncodedFrame | None:
        return self._gop[0] if self._gop else None

    def silent_for(self, now: float | None = None) -> float:
        """Seconds since the last frame (or since the feed went live)."""
        last = self.counters.last_frame_at
        return 0.0 if last is None else (now or time.monotonic()) - last
