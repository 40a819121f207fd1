"""What a WHEP viewer's RTCRtpSender reads: the feed's encoded frames as `av.Packet`s, which
aiortc packetizes without encoding (`RTCRtpSender._next_encoded_frame` → `encoder.pack`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from rvi_video_gateway import metrics
from rvi_video_gateway.media.packets import EncodedFrame

# About two seconds of video: a viewer further behind than this is cut back to the next keyframe.
QUEUE_FRAMES = 50


class _QueuedTrack(MediaStreamTrack):
    """Hands the sender what `accept` queued; `None` in the queue ends the track."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self._queue: asyncio.Queue[EncodedFrame | None] = asyncio.Queue(size)

    async def recv(self) -> av.Packet:  # type: ignore[override]
        if self.readyState != "live":
            raise MediaStreamError
        frame = await self._queue.get()
        if frame is None:
            raise MediaStreamError
        metrics.BYTES_RELAYED.inc(len(frame.data))
        return frame.to_av_packet()

    def stop(self) -> None:
        if self.readyState == "live":
            super().stop()
            try:
                self._queue.put_nowait(None)
            except asyncio.QueueFull:
                self._queue.get_nowait()
                self._queue.put_nowait(None)


class ViewerTrack(_QueuedTrack):
    kind = "video"

    def __init__(self, on_keyframe_needed: Callable[[], None], joined_at: float | None = None) -> None:
        super().__init__(QUEUE_FRAMES)
        self._needs_keyframe = True
        self._keyframe_needed = on_keyframe_needed
        self._joined_at = joined_at or time.monotonic()
        self._had_keyframe = False

    def accept(self, frame: EncodedFrame) -> None:
        if self.readyState != "live":
            return
        if self._needs_keyframe:
            if not frame.keyframe:
                self._drop(1)
                return
            self._needs_keyframe = False
            if not self._had_keyframe:
                self._had_keyframe = True
                metrics.TIME_TO_FIRST_KEYFRAME.observe(time.monotonic() - self._joined_at)
        if self._queue.full():
            # The viewer's path is slower than the feed: skip to a fresh keyframe rather than
            # let latency grow; predicted frames without their reference would not decode.
            dropped = self._queue.qsize() + 1
            while not self._queue.empty():
                self._queue.get_nowait()
            self._drop(dropped)
            self._needs_keyframe = True
            self._keyframe_needed()
            return
        self._queue.put_nowait(frame)

    def _drop(self, count: int) -> None:
        metrics.FRAMES_DROPPED.inc(count)


# About one second of 20 ms packets: a listener further behind is cut back to the live edge.
AUDIO_QUEUE_PACKETS = 50


class AudioViewerTrack(_QueuedTrack):
    """What a WHEP listener's audio sender reads: the feed's audio packets as received (Opus or
    G.711), which aiortc's encoder `pack`s without encoding."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__(AUDIO_QUEUE_PACKETS)

    def accept(self, frame: EncodedFrame) -> None:
        if self.readyState != "live" or not frame.audio:
            return
        if self._queue.full():
            dropped = self._queue.qsize()
            while not self._queue.empty():
                self._queue.get_nowait()
            metrics.FRAMES_DROPPED.inc(dropped)
        self._queue.put_nowait(frame)
