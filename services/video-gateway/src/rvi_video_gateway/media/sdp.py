"""Checks on the SDP offers of WHIP publishers and WHEP viewers, and the narrowing of a viewer's
offer to the one codec its feed carries (aiortc's answering side ignores codec preferences set
after setRemoteDescription, so the offer itself is narrowed before it is applied)."""

from __future__ import annotations

from typing import Literal

from aiortc.sdp import MediaDescription, SessionDescription

from rvi_video_gateway.media.packets import Codec

MAX_SDP_BYTES = 64 * 1024
RELAYABLE: dict[str, Codec] = {"video/h264": "h264", "video/vp8": "vp8"}
Role = Literal["publish", "view"]


class SdpError(ValueError):
    """A malformed or unacceptable offer; the message is the reason sent back with the 400."""


def _relayable(media: MediaDescription) -> list[Codec]:
    codecs: list[Codec] = []
    for codec in media.rtp.codecs:
        name = RELAYABLE.get(codec.mimeType.lower())
        if name == "h264" and str(codec.parameters.get("packetization-mode", "0")) != "1":
            continue  # the relay packetizes with FU-A (packetization-mode 1)
        if name is not None and name not in codecs:
            codecs.append(name)
    return codecs


def parse_offer(sdp: str, role: Role) -> SessionDescription:
    """The offer, or SdpError naming what is wrong with it."""
    if not sdp.strip():
        raise SdpError("the SDP offer is empty")
    if len(sdp.encode("utf-8", "replace")) > MAX_SDP_BYTES:
        raise SdpError(f"the SDP offer is larger than {MAX_SDP_BYTES} bytes")
    if not sdp.lstrip().startswith("v=0"):
        raise SdpError("the SDP offer does not start with 'v=0' (RFC 8866 5)")
    try:
        description = SessionDescription.parse(sdp)
    except (AssertionError, ValueError, IndexError, KeyError, TypeError) as exc:
        raise SdpError(f"the SDP offer cannot be parsed: {exc}") from exc
    videos = [m for m in description.media if m.kind == "video" and m.port != 0]
    if not videos:
        raise SdpError("the SDP offer has no video media section")
    wanted = ("sendonly", "sendrecv") if role == "publish" else ("recvonly", "sendrecv")
    for media in description.media:
        if media.port == 0:
            continue
        if not media.ice.usernameFragment or not media.ice.password:
            raise SdpError(f"the {media.kind} section has no ICE credentials (a=ice-ufrag / a=ice-pwd)")
    if "a=fingerprint:" not in sdp:
        raise SdpError("the SDP offer has no DTLS fingerprint (a=fingerprint)")
    for media in videos:
        direction = media.direction or "sendrecv"
        if direction not in wanted:
            verb = "publish (sendonly)" if role == "publish" else "receive (recvonly)"
            raise SdpError(f"the video section is {direction!r}; an offer to {verb} video is expected")
        if not _relayable(media):
            offered = sorted({c.mimeType for c in media.rtp.codecs}) or ["none"]
            raise SdpError(
                f"the video section offers {', '.join(offered)}; the gateway relays H.264 "
                "(packetization-mode=1) or VP8 as received"
            )
    return description


def narrow_to(description: SessionDescription, codec: Codec) -> str:
    """The offer with its video sections narrowed to `codec` (and its retransmission format)."""
    for media in description.media:
        if media.kind != "video" or media.port == 0:
            continue
        keep = {
            c.payloadType
            for c in media.rtp.codecs
            if RELAYABLE.get(c.mimeType.lower()) == codec
            and (codec != "h264" or str(c.parameters.get("packetization-mode", "0")) == "1")
        }
        if not keep:
            raise SdpError(f"the video section does not offer {codec.upper()}, the codec this feed carries")
        keep |= {
            c.payloadType
            for c in media.rtp.codecs
            if c.mimeType.lower() == "video/rtx" and c.parameters.get("apt") in keep
        }
        media.rtp.codecs = [c for c in media.rtp.codecs if c.payloadType in keep]
        media.fmt = [f for f in media.fmt if f in keep]
    return str(description)


def video_codecs(description: SessionDescription) -> list[Codec]:
    """The relayable video codecs of the first video section, in the offerer's order."""
    for media in description.media:
        if media.kind == "video" and media.port != 0:
            return _relayable(media)
    return []
