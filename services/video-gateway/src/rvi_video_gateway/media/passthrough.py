"""Encoded frames taken from an aiortc receiver before its decoder (MEDIA facts: aiortc always
decodes incoming tracks, and decoding is what a relay cannot afford).

aiortc's receiver hands each reassembled frame to its decoder thread through a queue; we put a
queue of our own in its place before the receiver starts, so frames reach the sink on the event
loop's thread and the decoder thread only ever waits for the stop signal. This reaches into one
private attribute of `RTCRtpReceiver` (and swaps its video jitter buffer for one that releases
frames on their marker bit); aiortc is pinned and a test fails if a new version moves them."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from typing import Any

from aiortc import RTCRtpReceiver
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtp import RtpPacket

from rvi_video_gateway.media.packets import AudioCodec, Codec, EncodedFrame, is_keyframe

_QUEUE_ATTRIBUTE = "_RTCRtpReceiver__decoder_queue"
_JITTER_ATTRIBUTE = "_RTCRtpReceiver__jitter_buffer"
_CODECS: dict[str, Codec] = {"video/h264": "h264", "video/vp8": "vp8", "video/h265": "h265"}
_AUDIO: dict[str, AudioCodec] = {"audio/opus": "opus", "audio/pcma": "pcma", "audio/pcmu": "pcmu"}


class UnsupportedCodec(ValueError):
    pass


def codec_of(mime_type: str) -> Codec:
    try:
        return _CODECS[mime_type.lower()]
    except KeyError:
        raise UnsupportedCodec(f"codec {mime_type!r} cannot be relayed as received (H.264 and VP8 can)") from None


class _FrameTap:
    """Stands where the decoder queue was: frames go to `deliver`, the stop signal to the idle
    decoder thread so the receiver's track still ends when the receiver stops."""

    def __init__(self, deliver: Callable[[EncodedFrame], None]) -> None:
        self._deliver = deliver
        self._stop: queue.Queue[None] = queue.Queue()

    def put(self, item: tuple[Any, Any] | None) -> None:
        if item is None:
            self._stop.put(None)
            return
        codec, jitter_frame = item
        mime = codec.mimeType.lower()
        if mime in _AUDIO:
            # An audio packet as received (Opus or G.711): nothing to reassemble or decode.
            self._deliver(
                EncodedFrame(
                    data=jitter_frame.data,
                    pts=jitter_frame.timestamp,
                    keyframe=True,
                    received_at=time.monotonic(),
                    audio=True,
                    clock_rate=codec.clockRate,
                )
            )
            return
        try:
            name = codec_of(codec.mimeType)
        except UnsupportedCodec:
            return
        data = jitter_frame.data
        self._deliver(
            EncodedFrame(
                data=data,
                pts=jitter_frame.timestamp,
                keyframe=is_keyframe(name, data),
                received_at=time.monotonic(),
            )
        )

    def get(self) -> None:
        return self._stop.get()


class MarkerJitterBuffer(JitterBuffer):
    """Releases a video frame as soon as its last packet (RTP marker bit, RFC 6184 5.1 / RFC 7741
    4.1) is in and every packet before it is, instead of when the next frame's first packet
    arrives: aiortc's way holds every frame one frame interval (40 ms at 25 fps) per hop."""

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        assert self._origin is not None
        packets: list[RtpPacket] = []
        timestamp = None
        for count in range(self._capacity):
            packet = self._packets[(self._origin + count) % self._capacity]
            if packet is None:
                return None  # a gap: wait for the retransmission (or the buffer to overflow)
            if timestamp is None:
                timestamp = packet.timestamp
            elif packet.timestamp != timestamp:
                # The next frame began without a marker on this one: complete all the same.
                self.remove(count)
                return JitterFrame(data=b"".join(p._data for p in packets), timestamp=timestamp)  # type: ignore[attr-defined]
            packets.append(packet)
            if packet.marker:
                self.remove(count + 1)
                return JitterFrame(data=b"".join(p._data for p in packets), timestamp=timestamp)  # type: ignore[attr-defined]
        return None


class PacketJitterBuffer(JitterBuffer):
    """Audio: every RTP packet is a whole frame (an Opus packet, 20 ms of G.711), passed on as it
    arrives instead of after aiortc's four-packet prefetch (80 ms) and the next packet."""

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        return False, JitterFrame(data=packet._data, timestamp=packet.timestamp)  # type: ignore[attr-defined]


def tap_receiver(receiver: RTCRtpReceiver, deliver: Callable[[EncodedFrame], None]) -> None:
    """Call after setRemoteDescription and before the connection starts its receivers."""
    if not hasattr(receiver, _QUEUE_ATTRIBUTE) or not hasattr(receiver, _JITTER_ATTRIBUTE):
        raise RuntimeError("this aiortc version keeps no decoder queue where expected; passthrough cannot attach")
    setattr(receiver, _QUEUE_ATTRIBUTE, _FrameTap(deliver))
    buffer = getattr(receiver, _JITTER_ATTRIBUTE)
    if buffer._is_video:
        setattr(receiver, _JITTER_ATTRIBUTE, MarkerJitterBuffer(capacity=buffer.capacity, is_video=True))
    else:
        setattr(receiver, _JITTER_ATTRIBUTE, PacketJitterBuffer(capacity=buffer.capacity))


async def request_keyframe(receiver: RTCRtpReceiver) -> bool:
    """RTCP PLI to the publisher (RFC 4585 6.3.1) for each source the receiver has heard."""
    sources = receiver.getSynchronizationSources()
    for source in sources:
        await receiver._send_rtcp_pli(source.source)
    return bool(sources)
