"""The picture size a keyframe tells, read from its parameter sets, against what decoding it gives."""

from __future__ import annotations

from fractions import Fraction

import av
import pytest

from rvi_video_gateway.media.keyframes import KeyframeError, picture_size
from rvi_video_gateway.media.packets import FFMPEG_NAME, Codec

ENCODERS: dict[Codec, str] = {"h264": "libx264", "h265": "libx265"}


def keyframe(codec: Codec, width: int, height: int) -> bytes:
    encoder = av.CodecContext.create(ENCODERS[codec], "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
    encoder.time_base = Fraction(1, 25)
    picture = av.VideoFrame(width, height, "yuv420p")
    for plane in picture.planes:
        plane.update(bytes(range(256)) * (plane.buffer_size // 256) + bytes(plane.buffer_size % 256))
    picture.pts = 0
    packets = encoder.encode(picture) + encoder.encode(None)
    return bytes(packets[0])


def decoded_size(codec: Codec, data: bytes) -> tuple[int, int]:
    decoder = av.CodecContext.create(FFMPEG_NAME[codec], "r")
    picture = (decoder.decode(av.Packet(data)) + decoder.decode(None))[0]
    return picture.width, picture.height


@pytest.mark.parametrize("codec", ["h264", "h265"])
@pytest.mark.parametrize("size", [(1920, 1080), (642, 362), (320, 240)])
def test_the_size_read_from_the_parameter_sets_is_the_decoded_size_cropping_applied(
    codec: Codec, size: tuple[int, int]
) -> None:
    data = keyframe(codec, *size)
    assert picture_size(codec, data) == decoded_size(codec, data) == size


@pytest.mark.parametrize("codec", ["h264", "h265"])
def test_a_keyframe_without_its_parameter_sets_or_no_keyframe_at_all_tells_no_size(codec: Codec) -> None:
    data = keyframe(codec, 320, 240)
    without_parameter_sets = data[data.rindex(b"\x00\x00\x01") :]
    for bad in (b"", b"not a keyframe" * 8, without_parameter_sets):
        with pytest.raises(KeyframeError):
            picture_size(codec, bad)
