"""Trickle ICE and ICE restart over HTTP PATCH (RFC 9725 4.3; the body is an SDP fragment,
`application/trickle-ice-sdpfrag`, RFC 8840 9): the fragment's ICE credentials and candidates.

aiortc cannot restart ICE (MEDIA facts), so a fragment with new credentials is refused with 422:
RFC 9725 4.3 has a session that supports trickle ICE but not ICE restarts answer 422 to the
restart request; the client then starts a new session (a new POST)."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiortc import RTCIceCandidate
from aiortc.sdp import candidate_from_sdp

from rvi_video_gateway.media.sdp import MAX_SDP_BYTES, SdpError, UnusableOffer

SDPFRAG = "application/trickle-ice-sdpfrag"


@dataclass
class Fragment:
    ufrag: str | None = None
    pwd: str | None = None
    candidates: list[RTCIceCandidate] = field(default_factory=list)
    end_of_candidates: bool = False


def parse_fragment(text: str) -> Fragment:
    """The fragment, or SdpError naming the line that is not one of RFC 8840's."""
    if len(text.encode("utf-8", "replace")) > MAX_SDP_BYTES:
        raise SdpError(f"the SDP fragment is larger than {MAX_SDP_BYTES} bytes")
    fragment = Fragment()
    mid: str | None = None
    mline = -1
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("m="):
            mline += 1
            mid = None
            continue
        if not line.startswith("a="):
            raise SdpError(f"line {number} {line[:80]!r}: an ICE fragment holds a= and m= lines only (RFC 8840 9)")
        attr, _, value = line[2:].partition(":")
        if attr == "ice-ufrag":
            fragment.ufrag = value.strip()
        elif attr == "ice-pwd":
            fragment.pwd = value.strip()
        elif attr == "mid":
            mid = value.strip()
        elif attr == "candidate":
            try:
                candidate = candidate_from_sdp(value)
            except Exception as exc:  # aiortc's candidate parser raises on any malformed field
                raise SdpError(f"line {number} {line[:80]!r}: not an ICE candidate (RFC 8839 5.1): {exc}") from None
            candidate.sdpMid = mid
            candidate.sdpMLineIndex = max(mline, 0)
            fragment.candidates.append(candidate)
        elif attr == "end-of-candidates":
            fragment.end_of_candidates = True
    return fragment


def check_not_restart(fragment: Fragment, ufrag: str | None, pwd: str | None) -> None:
    if fragment.ufrag is not None and ufrag is not None and (fragment.ufrag != ufrag or (fragment.pwd or pwd) != pwd):
        raise UnusableOffer(
            "ICE restart is not supported by this gateway (aiortc has none): RFC 9725 4.3 answers 422; "
            "start a new session with a new POST"
        )
