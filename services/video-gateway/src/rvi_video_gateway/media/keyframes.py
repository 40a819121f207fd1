"""What one keyframe tells without touching the relay path: the picture size, a stream
template for remuxing, and a JPEG snapshot (the only place the gateway decodes, one frame at a
time, on request)."""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from contextlib import contextmanager

import av
from av.video.stream import VideoStream

from rvi_video_gateway.media.packets import FFMPEG_NAME, VIDEO_CLOCK, Codec


class KeyframeError(ValueError):
    pass


def _ivf(data: bytes) -> bytes:
    """A one-frame IVF file (the simplest VP8 container FFmpeg reads), sized from the frame."""
    width, height = vp8_size(data)
    header = b"DKIF" + struct.pack("<HH4sHHIIII", 0, 32, b"VP80", width, height, VIDEO_CLOCK, 1, 1, 0)
    return header + struct.pack("<IQ", len(data), 0) + data


def vp8_size(data: bytes) -> tuple[int, int]:
    """RFC 6386 9.1: a key frame's start code, then 14-bit width and height."""
    if len(data) < 10 or data[0] & 0x01 or data[3:6] != b"\x9d\x01\x2a":
        raise KeyframeError("not a VP8 key frame")
    width, height = struct.unpack("<HH", data[6:10])
    return width & 0x3FFF, height & 0x3FFF


@contextmanager
def keyframe_stream(codec: Codec, data: bytes) -> Iterator[VideoStream]:
    """A demuxed one-frame stream whose codec parameters (size, SPS/PPS) come from the keyframe
    itself; `add_stream_from_template(..., opaque=True)` copies them without opening a codec."""
    raw, fmt = (_ivf(data), "ivf") if codec == "vp8" else (data, FFMPEG_NAME[codec])
    try:
        container = av.open(io.BytesIO(raw), format=fmt)
    except av.FFmpegError as exc:
        raise KeyframeError(f"the keyframe cannot be read: {exc}") from exc
    try:
        stream = container.streams.video[0]
        if not stream.codec_context.width:
            raise KeyframeError("the keyframe carries no picture size (no SPS?)")
        yield stream
    finally:
        container.close()


def picture_size(codec: Codec, data: bytes) -> tuple[int, int]:
    """(width, height) in pixels, cropping applied; KeyframeError when the keyframe tells none."""
    if codec == "vp8":
        return vp8_size(data)
    if codec in ("h264", "h265"):
        return _parsed_size(codec, data)
    with keyframe_stream(codec, data) as stream:
        return stream.codec_context.width, stream.codec_context.height


def _parsed_size(codec: Codec, data: bytes) -> tuple[int, int]:
    """The size FFmpeg's bitstream parser reads from the SPS, without decoding the picture (which
    opening the keyframe as a stream does to probe it)."""
    parser = av.CodecContext.create(FFMPEG_NAME[codec], "r")
    try:
        parser.parse(data)
        parser.parse(None)
    except av.FFmpegError as exc:
        raise KeyframeError(f"the keyframe cannot be read: {exc}") from exc
    if not parser.width or not parser.height:
        raise KeyframeError("the keyframe carries no picture size (no SPS?)")
    return parser.width, parser.height


def jpeg_snapshot(codec: Codec, data: bytes, quality: int = 3) -> tuple[bytes, int, int]:
    """Decodes one keyframe and encodes it as a JPEG (`quality`: MJPEG qscale, 2 best .. 31)."""
    decoder = av.CodecContext.create(FFMPEG_NAME[codec], "r")
    try:
        frames = decoder.decode(av.Packet(data)) + decoder.decode(None)
    except av.FFmpegError as exc:
        raise KeyframeError(f"the keyframe does not decode: {exc}") from exc
    if not frames:
        raise KeyframeError("the keyframe decoded to no picture")
    picture = frames[0]
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height = picture.width, picture.height
    encoder.pix_fmt = "yuvj420p"
    encoder.time_base = picture.time_base or av.time_base  # type: ignore[assignment]
    encoder.options = {"qscale": str(quality)}
    encoder.flags |= av.codec.context.Flags.qscale  # type: ignore[attr-defined]
    encoder.global_quality = quality * 118  # FF_QP2LAMBDA
    picture = picture.reformat(format="yuvj420p")
    picture.pts = 0
    packets = encoder.encode(picture) + encoder.encode(None)
    return b"".join(bytes(p) for p in packets), picture.width, picture.height
