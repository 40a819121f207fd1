"""RFC 7798 payloads (media.h265) on real H.265 access units (libx265): what the packetizer
writes, the depacketizer rebuilds byte for byte, and it decodes."""

from __future__ import annotations

from fractions import Fraction

import av
import pytest

from rvi_video_gateway.media import h265


def _access_units(count: int = 30) -> list[bytes]:
    encoder = av.CodecContext.create("libx265", "w")
    encoder.width, encoder.height, encoder.pix_fmt = 640, 360, "yuv420p"
    encoder.time_base = Fraction(1, 25)
    encoder.options = {"preset": "ultrafast", "tune": "zerolatency", "x265-params": "log-level=error:keyint=10"}
    units = []
    pattern = bytes(range(251)) * (640 * 360 // 251 + 2)
    for index in range(count):
        picture = av.VideoFrame(640, 360, "yuv420p")
        for plane in picture.planes:
            # A still scene after the first pictures: its predicted slices fit one packet each.
            shift = min(index, 12) * 7
            plane.update(pattern[shift : shift + plane.buffer_size])
        picture.pts = index
        units.extend(bytes(p) for p in encoder.encode(picture))
    units.extend(bytes(p) for p in encoder.encode(None))
    return units


def test_access_units_survive_packetizing_byte_for_byte_and_decode() -> None:
    units = _access_units()
    decoder = av.CodecContext.create("hevc", "r")
    kinds: set[int] = set()
    pictures = 0
    for unit in units:
        payloads = h265.packetize(unit)
        assert all(len(p) <= h265.PACKET_MAX for p in payloads)
        kinds |= {(p[0] >> 1) & 0x3F for p in payloads}
        rebuilt = b"".join(h265.depayload(p) for p in payloads)
        assert list(h265.nal_units(rebuilt)) == list(h265.nal_units(unit))
        pictures += len(decoder.decode(av.Packet(rebuilt)))
    pictures += len(decoder.decode(None))
    assert pictures == 30
    # Parameter sets aggregated, large slices fragmented, small slices alone.
    assert h265.AP_TYPE in kinds and h265.FU_TYPE in kinds and kinds & set(range(32))


def test_malformed_payloads_are_refused() -> None:
    with pytest.raises(ValueError):
        h265.depayload(b"\x60")
    with pytest.raises(ValueError):
        h265.depayload(bytes([h265.AP_TYPE << 1, 1, 0, 50, 0x40, 1]))  # a unit running past the end
    assert h265.depayload(bytes([h265.PACI_TYPE << 1, 1, 0, 0])) == b""
