"""H.265 over RTP (RFC 7798) for aiortc, which has no payload format for it: a packetizer
(single NAL unit packets, aggregation packets, fragmentation units; 4.4.1-4.4.3) for senders
relaying access units as received, a depacketizer for receivers (Annex B out, as aiortc's H.264
depacketizer gives), and a decoder (PyAV's hevc) for a receiver that decodes.

Hand-written: no maintained Python package carries RFC 7798, and aiortc's codec table takes
its payload formats as functions. `register_h265` adds H265 to aiortc's codec table (the way
`webrtc.extend_h264_profiles` adds H.264 profiles) and wraps the three module-level look-ups
aiortc's sender and receiver call (`get_encoder`, `get_decoder`, `depayload`); aiortc is pinned
and the tests fail if a new version moves them. Without DONL (sprop-max-don-diff absent: 0),
so decoding order is transmission order; PACI packets (type 50) are dropped."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import av
from aiortc import rtcrtpreceiver, rtcrtpsender
from aiortc.codecs import CODECS
from aiortc.codecs.base import Decoder, Encoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from rvi_video_gateway.media.codec_table import add_video_codec
from rvi_video_gateway.media.packets import TIME_BASE

MIME = "video/h265"
PACKET_MAX = 1300  # aiortc's H.264 payload bound: fits the path MTU with SRTP and header extensions
AP_TYPE = 48
FU_TYPE = 49
PACI_TYPE = 50
_START = b"\x00\x00\x00\x01"


def nal_units(annexb: bytes) -> Iterator[bytes]:
    """The NAL units of an Annex B access unit, without their start codes."""
    at = annexb.find(b"\x00\x00\x01")
    while at != -1:
        begin = at + 3
        following = annexb.find(b"\x00\x00\x01", begin)
        end = len(annexb) if following == -1 else following
        unit = annexb[begin:end].rstrip(b"\x00") if following != -1 else annexb[begin:end]
        if len(unit) > 2:
            yield unit
        at = following


def _fragments(unit: bytes) -> list[bytes]:
    """FU packets (4.4.3): payload header of type 49 with the unit's F, LayerId and TID, then the
    FU header (S, E, the unit's type) and a slice of the unit without its two-byte header."""
    kind = (unit[0] >> 1) & 0x3F
    header = bytes([(unit[0] & 0x81) | (FU_TYPE << 1), unit[1]])
    body = unit[2:]
    room = PACKET_MAX - 3
    count = -(-len(body) // room)
    size = -(-len(body) // count)  # even slices: no runt last packet
    packets = []
    for index in range(count):
        start = 0x80 if index == 0 else 0
        end = 0x40 if index == count - 1 else 0
        packets.append(header + bytes([start | end | kind]) + body[index * size : (index + 1) * size])
    return packets


def _aggregate(units: list[bytes]) -> bytes:
    """An AP (4.4.2): F is the OR of the units' F bits, LayerId and TID their lowest."""
    forbidden = any(u[0] & 0x80 for u in units)
    layer = min(((u[0] & 0x01) << 5) | (u[1] >> 3) for u in units)
    tid = min(u[1] & 0x07 for u in units)
    header = bytes([(0x80 if forbidden else 0) | (AP_TYPE << 1) | (layer >> 5), ((layer & 0x1F) << 3) | tid])
    return header + b"".join(len(u).to_bytes(2, "big") + u for u in units)


def packetize(annexb: bytes) -> list[bytes]:
    """RTP payloads for one access unit: units too large for a packet fragmented, runs of small
    ones (parameter sets) aggregated, the rest single NAL unit packets."""
    payloads: list[bytes] = []
    pending: list[bytes] = []

    def flush() -> None:
        if len(pending) == 1:
            payloads.append(pending[0])
        elif pending:
            payloads.append(_aggregate(pending))
        pending.clear()

    for unit in nal_units(annexb):
        if len(unit) > PACKET_MAX:
            flush()
            payloads.extend(_fragments(unit))
            continue
        if pending and 2 + sum(2 + len(u) for u in pending) + 2 + len(unit) > PACKET_MAX:
            flush()
        pending.append(unit)
    flush()
    return payloads


def depayload(payload: bytes) -> bytes:
    """Annex B from one RTP payload; a fragment after the first comes without a start code so
    that the jitter buffer's concatenation rebuilds the unit. ValueError on a malformed payload
    (aiortc's receiver then drops the packet)."""
    if len(payload) < 3:
        raise ValueError(f"H.265 RTP payload of {len(payload)} bytes is too short")
    kind = (payload[0] >> 1) & 0x3F
    if kind == AP_TYPE:
        out, at = bytearray(), 2
        while at + 2 <= len(payload):
            size = int.from_bytes(payload[at : at + 2], "big")
            at += 2
            if size < 2 or at + size > len(payload):
                raise ValueError("H.265 aggregation packet with a unit running past its end")
            out += _START + payload[at : at + size]
            at += size
        return bytes(out)
    if kind == FU_TYPE:
        fu = payload[2]
        if fu & 0x80:
            header = bytes([(payload[0] & 0x81) | ((fu & 0x3F) << 1), payload[1]])
            return _START + header + payload[3:]
        return payload[3:]
    if kind == PACI_TYPE:
        return b""
    return _START + payload


class H265Encoder(Encoder):
    """Packs access units relayed as received; it never encodes (the relay does not decode)."""

    def encode(self, frame: Any, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        raise ValueError("this gateway relays H.265 as received; it does not encode it")

    def pack(self, packet: av.Packet) -> tuple[list[bytes], int]:
        time_base = packet.time_base or TIME_BASE
        timestamp = int((packet.pts or 0) * time_base * 90_000)
        return packetize(bytes(packet)), timestamp


class H265Decoder(Decoder):
    def __init__(self) -> None:
        self._codec = av.CodecContext.create("hevc", "r")

    def decode(self, encoded_frame: JitterFrame) -> list[Any]:
        try:
            packet = av.Packet(encoded_frame.data)
            packet.pts = encoded_frame.timestamp
            packet.time_base = TIME_BASE
            return list(self._codec.decode(packet))
        except av.FFmpegError:
            return []


def _wrapped(original: Callable[..., Any], h265: Callable[..., Any]) -> Callable[..., Any]:
    def look_up(codec: RTCRtpCodecParameters, *args: Any) -> Any:
        if codec.mimeType.lower() == MIME:
            return h265(*args)
        return original(codec, *args)

    look_up.h265 = True  # type: ignore[attr-defined]
    return look_up


def register_h265() -> None:
    """Idempotent: H265 in aiortc's video codec table (with its retransmission format) and its
    packetizer, depacketizer and decoder where aiortc's sender and receiver look them up."""
    if not any(c.mimeType.lower() == MIME for c in CODECS["video"]):
        add_video_codec("video/H265")
    if not getattr(rtcrtpsender.get_encoder, "h265", False):
        rtcrtpsender.get_encoder = _wrapped(rtcrtpsender.get_encoder, H265Encoder)  # type: ignore[assignment]
    if not getattr(rtcrtpreceiver.get_decoder, "h265", False):
        rtcrtpreceiver.get_decoder = _wrapped(rtcrtpreceiver.get_decoder, H265Decoder)  # type: ignore[assignment]
    if not getattr(rtcrtpreceiver.depayload, "h265", False):
        rtcrtpreceiver.depayload = _wrapped(rtcrtpreceiver.depayload, depayload)  # type: ignore[assignment]


register_h265()
