"""The video jitter buffer of the passthrough releases a frame on its marker bit."""

from __future__ import annotations

from aiortc.rtp import RtpPacket

from rvi_video_gateway.media.passthrough import MarkerJitterBuffer


def packet(seq: int, timestamp: int, data: bytes, marker: bool = False) -> RtpPacket:
    p = RtpPacket(payload_type=96, sequence_number=seq, timestamp=timestamp, marker=marker)
    p._data = data  # type: ignore[attr-defined]
    return p


def test_a_frame_leaves_with_its_last_packet_not_with_the_next_frame() -> None:
    buffer = MarkerJitterBuffer(capacity=128, is_video=True)
    assert buffer.add(packet(10, 3000, b"a"))[1] is None
    assert buffer.add(packet(11, 3000, b"b"))[1] is None
    frame = buffer.add(packet(12, 3000, b"c", marker=True))[1]
    assert frame is not None and frame.data == b"abc" and frame.timestamp == 3000
    frame = buffer.add(packet(13, 6600, b"d", marker=True))[1]
    assert frame is not None and frame.data == b"d"


def test_a_gap_holds_the_frame_until_the_retransmission_fills_it() -> None:
    buffer = MarkerJitterBuffer(capacity=128, is_video=True)
    assert buffer.add(packet(20, 100, b"a"))[1] is None
    assert buffer.add(packet(22, 100, b"c", marker=True))[1] is None
    frame = buffer.add(packet(21, 100, b"b"))[1]
    assert frame is not None and frame.data == b"abc"


def test_a_frame_whose_marker_was_lost_completes_when_the_next_begins() -> None:
    buffer = MarkerJitterBuffer(capacity=128, is_video=True)
    assert buffer.add(packet(30, 100, b"a"))[1] is None
    frame = buffer.add(packet(31, 200, b"b"))[1]
    assert frame is not None and frame.data == b"a" and frame.timestamp == 100
