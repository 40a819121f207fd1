"""Encoded video as it travels through the gateway: never decoded on the relay or recording
path (decoding costs many times passthrough: `vs_decode_x` in README, Benchmarks). Timestamps are on the RTP video clock."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal, Protocol

import av

# H.265 and MJPEG come from RTSP cameras only: recorded as received; WebRTC viewers get H.264 from
# the transcoding pool (media.transcode).
Codec = Literal["h264", "vp8", "h265", "mjpeg"]
FFMPEG_NAME: dict[str, str] = {"h264": "h264", "vp8": "vp8", "h265": "hevc", "mjpeg": "mjpeg"}
# Audio relayed as received (RFC 7874: Opus and G.711 are WebRTC's mandatory audio codecs).
# AAC comes from RTSP cameras only: recorded as received; WebRTC viewers get it as Opus (media.transcode).
AudioCodec = Literal["opus", "pcma", "pcmu", "aac"]
AUDIO_CLOCK: dict[AudioCodec, int] = {"opus": 48_000, "pcma": 8_000, "pcmu": 8_000}
VIDEO_CLOCK = 90_000
TIME_BASE = Fraction(1, VIDEO_CLOCK)

_H264_START = b"\x00\x00\x01"
_H264_IDR = 5
_H264_SPS = 7


def h264_nal_types(annexb: bytes) -> list[int]:
    """The NAL unit types of an Annex B access unit (3- or 4-byte start codes)."""
    types = []
    at = annexb.find(_H264_START)
    while at != -1 and at + 3 < len(annexb):
        types.append(annexb[at + 3] & 0x1F)
        at = annexb.find(_H264_START, at + 3)
    return types


def _h264_keyframe(annexb: bytes) -> bool:
    """Parameter sets and an IDR slice come before any other slice of an access unit, so the scan
    stops at the first slice instead of searching the whole frame for start codes."""
    at = annexb.find(_H264_START)
    while at != -1 and at + 3 < len(annexb):
        kind = annexb[at + 3] & 0x1F
        if kind in (_H264_IDR, _H264_SPS):
            return True
        if 1 <= kind <= 4:  # a non-IDR slice
            return False
        at = annexb.find(_H264_START, at + 3)
    return False


def h265_nal_types(annexb: bytes) -> list[int]:
    """The NAL unit types of an H.265 Annex B access unit (RFC 7798 1.1.4: type in bits 1-6)."""
    types = []
    at = annexb.find(_H264_START)
    while at != -1 and at + 3 < len(annexb):
        types.append((annexb[at + 3] >> 1) & 0x3F)
        at = annexb.find(_H264_START, at + 3)
    return types


def _h265_keyframe(annexb: bytes) -> bool:
    """An IRAP picture (BLA, IDR, CRA: types 16-21) is where decoding can start."""
    for kind in h265_nal_types(annexb):
        if 16 <= kind <= 21:
            return True
        if kind < 16:  # a non-IRAP slice
            return False
    return False


def sequence_parameter_set(codec: Codec, annexb: bytes) -> bytes | None:
    """The access unit's first SPS NAL unit (H.264 type 7, H.265 type 33) without its start code;
    None when it carries none (or for VP8 and MJPEG, which have none)."""
    if codec not in ("h264", "h265"):
        return None
    at = annexb.find(_H264_START)
    while at != -1 and at + 3 < len(annexb):
        header = annexb[at + 3]
        kind = (header >> 1) & 0x3F if codec == "h265" else header & 0x1F
        following = annexb.find(_H264_START, at + 3)
        if kind == (33 if codec == "h265" else _H264_SPS):
            end = len(annexb) if following == -1 else following
            return annexb[at + 3 : end].rstrip(b"\x00")
        at = following
    return None


def is_keyframe(codec: Codec, data: bytes) -> bool:
    if codec == "h264":
        return _h264_keyframe(data)
    if codec == "h265":
        return _h265_keyframe(data)
    if codec == "mjpeg":
        return True  # every JPEG picture stands alone
    # VP8 (RFC 6386 9.1): bit 0 of the frame tag is 0 on a key frame.
    return bool(data) and not data[0] & 0x01


@dataclass(frozen=True, slots=True)
class EncodedFrame:
    """One access unit (H.264 Annex B), one VP8 frame, or one audio packet (an Opus packet, 20 ms
    of G.711), as received."""

    data: bytes
    pts: int  # on the media clock: 90 kHz for video, the codec's rate for audio
    keyframe: bool  # always True for audio
    received_at: float  # time.monotonic() when the gateway got it
    audio: bool = False
    clock_rate: int = VIDEO_CLOCK
    dts: int | None = None  # decoding time when the source knows it (B-frames: dts < pts)

    def to_av_packet(self) -> av.Packet:
        packet = av.Packet(self.data)
        packet.pts = self.pts
        packet.dts = self.dts if self.dts is not None else self.pts
        packet.time_base = TIME_BASE if self.clock_rate == VIDEO_CLOCK else Fraction(1, self.clock_rate)
        packet.is_keyframe = self.keyframe
        return packet


class FrameSink(Protocol):
    """Where a source delivers frames; called on the event loop's thread."""

    def on_frame(self, frame: EncodedFrame) -> None: ...

    def on_lost(self, reason: str) -> None: ...
