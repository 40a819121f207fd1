"""Checks on the SDP offers of WHIP publishers and WHEP viewers (RFC 8866, RFC 8829 JSEP, RFC
9725), the narrowing of a viewer's offer to the codecs its feed carries (aiortc's answering side
ignores codec preferences set after setRemoteDescription, so the offer itself is narrowed before
it is applied), and the H.264 profile levels of an answer.

Every offer goes through `parse_offer` before aiortc sees it: aiortc's parser and its
negotiation raise on inputs real peers send (MEDIA facts: an `a=fmtp` for a payload type with no
`a=rtpmap`, a media section without `a=rtcp-mux`, fingerprints it cannot check), which would
otherwise surface as HTTP 500 or as a 201 whose connection can never come up. `SdpError` (400)
is a malformed offer and names the line; `UnusableOffer` (422) is well-formed but cannot work
here, with the reason."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from aiortc.sdp import MediaDescription, SessionDescription

from rvi_shared.errors import DomainError
from rvi_video_gateway.media.packets import AudioCodec, Codec

MAX_SDP_BYTES = 64 * 1024
RELAYABLE: dict[str, Codec] = {"video/h264": "h264", "video/vp8": "vp8"}
# What a viewer may receive as received: also H.265 (RFC 7798, media.h265) from H.265 cameras.
VIEWABLE: dict[str, Codec] = {**RELAYABLE, "video/h265": "h265"}
# Relayed as received to WebRTC peers (RFC 7874: Opus and G.711 are the mandatory WebRTC audio codecs).
RELAYABLE_AUDIO: dict[str, AudioCodec] = {"audio/opus": "opus", "audio/pcma": "pcma", "audio/pcmu": "pcmu"}
# What aiortc can verify a DTLS certificate against (RFC 8122 5; aiortc's X509_DIGEST_ALGORITHMS).
CHECKABLE_FINGERPRINTS = ("sha-256", "sha-384", "sha-512")
# RTP payload types are 7 bits; 72-76 would collide with RTCP packet types (RFC 5761 4).
_FORBIDDEN_PT = range(72, 77)
_LINE = re.compile(r"^[a-z]=")
_M_LINE = re.compile(r"^m=(\S+) (\d+)(?:/\d+)? (\S+)(?: (.*))?$")
_FINGERPRINT = re.compile(r"^(\S+) ([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})+)$")
_SETUP = ("actpass", "active", "passive")
Role = Literal["publish", "view"]


class SdpError(DomainError):
    """A malformed offer; the message names the line and is sent back with the 400."""

    status_code = 400


class UnusableOffer(SdpError):
    """A well-formed offer the gateway cannot work with (422), with the reason."""

    status_code = 422


@dataclass
class _Section:
    kind: str
    port: int
    line_no: int
    formats: list[str]
    rtpmap: dict[int, str] = field(default_factory=dict)
    rtcp_mux: bool = False
    fingerprints: list[tuple[int, str]] = field(default_factory=list)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def check_lines(sdp: str) -> None:
    """Line by line, what aiortc's parser would trip over; raises naming the line."""
    sections: list[_Section] = []
    session_fingerprints: list[tuple[int, str]] = []
    mids: dict[str, int] = {}
    bundles: list[tuple[int, list[str]]] = []
    for number, raw in enumerate(sdp.replace("\r\n", "\n").split("\n"), start=1):
        line = raw.rstrip("\r")
        if not line:
            continue
        quoted = line if len(line) <= 80 else line[:77] + "..."
        if not _LINE.match(line):
            raise SdpError(f"line {number} {quoted!r} is not <type>=<value> (RFC 8866 5)")
        if line.startswith("m="):
            m = _M_LINE.match(line)
            if m is None:
                raise SdpError(f"line {number} {quoted!r}: an m= line is 'm=<media> <port> <proto> <fmt> ...'")
            kind, port, formats = m.group(1), int(m.group(2)), (m.group(4) or "").split()
            if kind in ("audio", "video"):
                for fmt in formats:
                    pt = _int(fmt)
                    if pt is None or pt > 127 or pt in _FORBIDDEN_PT:
                        raise SdpError(
                            f"line {number} {quoted!r}: {fmt!r} is not an RTP payload type (0-127, not 72-76)"
                        )
            sections.append(_Section(kind, port, number, formats))
            continue
        if line.startswith("c="):
            bits = line[2:].split()
            if len(bits) != 3 or not _is_address(bits[2].split("/")[0]):
                raise SdpError(f"line {number} {quoted!r}: c= is 'IN IP4|IP6 <IP address>' (RFC 8866 5.7)")
            continue
        if not line.startswith("a="):
            continue
        attr, _, value = line[2:].partition(":")
        section = sections[-1] if sections else None
        if attr == "fingerprint":
            fp = _FINGERPRINT.match(value.strip())
            if fp is None:
                raise SdpError(
                    f"line {number} {quoted!r}: a fingerprint is '<hash function> <hex bytes separated by :>'"
                )
            (section.fingerprints if section else session_fingerprints).append((number, fp.group(1).lower()))
        elif attr == "setup" and value.strip() not in _SETUP and value.strip() != "holdconn":
            raise SdpError(f"line {number} {quoted!r}: a=setup is one of {', '.join(_SETUP)} (RFC 4145 4)")
        elif attr == "group" and section is None:
            words = value.split()
            if not words:
                raise SdpError(f"line {number} {quoted!r}: a=group needs a semantics and mids (RFC 5888 5)")
            if words[0] == "BUNDLE":
                bundles.append((number, words[1:]))
        elif attr == "mid" and section is not None:
            mid = value.strip()
            if not mid:
                raise SdpError(f"line {number} {quoted!r}: an empty a=mid (RFC 9143 7.2)")
            if mid in mids:
                raise SdpError(f"line {number} {quoted!r}: mid {mid!r} is already used at line {mids[mid]}")
            mids[mid] = number
        elif section is None or section.kind not in ("audio", "video"):
            continue
        elif attr == "rtcp-mux":
            section.rtcp_mux = True
        elif attr == "rtcp":
            bits = value.split()
            if not bits or _int(bits[0]) is None or (len(bits) > 1 and (len(bits) != 4 or not _is_address(bits[3]))):
                raise SdpError(f"line {number} {quoted!r}: a=rtcp is '<port> [IN IP4|IP6 <address>]' (RFC 3605)")
        elif attr == "rtpmap":
            pt_text, _, encoding = value.partition(" ")
            pt = _int(pt_text)
            bits = encoding.split("/")
            if (
                pt is None
                or len(bits) < 2
                or not bits[0]
                or _int(bits[1]) is None
                or (len(bits) > 2 and _int(bits[2]) is None)
            ):
                raise SdpError(
                    f"line {number} {quoted!r}: a=rtpmap is '<payload type> <encoding>/<clock rate>[/<channels>]'"
                )
            section.rtpmap[pt] = bits[0]
        elif attr in ("fmtp", "rtcp-fb"):
            pt_text, _, rest = value.partition(" ")
            if attr == "rtcp-fb" and pt_text == "*":
                continue
            pt = _int(pt_text)
            if pt is None or (attr == "fmtp" and not rest.strip()):
                raise SdpError(f"line {number} {quoted!r}: a={attr} is '<payload type> <parameters>'")
        elif attr in ("ssrc", "extmap"):
            head, _, rest = value.partition(" ")
            if _int(head.split("/")[0]) is None or not rest.strip() or (attr == "ssrc" and ":" not in rest):
                raise SdpError(f"line {number} {quoted!r}: malformed a={attr}")
        elif attr == "candidate" and len(value.split()) < 8:
            raise SdpError(f"line {number} {quoted!r}: a candidate has at least 8 fields (RFC 8839 5.1)")
    for number, items in bundles:
        for item in items:
            if item not in mids:
                raise SdpError(f"line {number}: a=group:BUNDLE names mid {item!r}, which no m= section has (RFC 9143)")
    # fmtp lines are checked once every rtpmap of their section is known (they may come first).
    _check_fmtp_targets(sdp, sections)
    for section in sections:
        if section.kind not in ("audio", "video") or section.port == 0:
            continue
        if not section.rtcp_mux:
            raise SdpError(
                f"the {section.kind} section at line {section.line_no} has no a=rtcp-mux: the gateway sends RTP "
                "and RTCP on one port (RFC 8858, required by RFC 8829 JSEP)"
            )
        algorithms = {a for _, a in (section.fingerprints or session_fingerprints)}
        if not algorithms:
            raise SdpError("the SDP offer has no DTLS fingerprint (a=fingerprint)")
        if not algorithms & set(CHECKABLE_FINGERPRINTS):
            raise UnusableOffer(
                f"the {section.kind} section at line {section.line_no} offers DTLS fingerprints "
                f"{', '.join(sorted(algorithms))} only; the gateway checks {', '.join(CHECKABLE_FINGERPRINTS)} "
                "(RFC 8122 5): the connection could never be verified"
            )


def _check_fmtp_targets(sdp: str, sections: list[_Section]) -> None:
    index = -1
    for number, raw in enumerate(sdp.replace("\r\n", "\n").split("\n"), start=1):
        line = raw.rstrip("\r")
        if line.startswith("m="):
            index += 1
            continue
        if index < 0 or not line.startswith("a=fmtp:"):
            continue
        section = sections[index]
        if section.kind not in ("audio", "video"):
            continue
        pt = _int(line[7:].split(" ", 1)[0])
        if pt is not None and pt not in section.rtpmap:
            quoted = line if len(line) <= 80 else line[:77] + "..."
            raise SdpError(
                f"line {number} {quoted!r}: a=fmtp for payload type {pt}, which has no a=rtpmap in its "
                f"{section.kind} section (RFC 8866 6.15)"
            )


def _listed(media: MediaDescription) -> None:
    """Drops rtpmap entries whose payload type the m= line does not list (aiortc keeps them and
    would answer a format the offer never offered)."""
    media.rtp.codecs = [c for c in media.rtp.codecs if c.payloadType in media.fmt]


def _relayable(media: MediaDescription, table: dict[str, Codec] = RELAYABLE) -> list[Codec]:
    codecs: list[Codec] = []
    for codec in media.rtp.codecs:
        name = table.get(codec.mimeType.lower())
        if name == "h264" and str(codec.parameters.get("packetization-mode", "0")) != "1":
            continue  # the relay packetizes with FU-A (packetization-mode 1)
        if name is not None and name not in codecs:
            codecs.append(name)
    return codecs


def audio_codecs(media: MediaDescription) -> list[AudioCodec]:
    """The audio codecs of a section the gateway relays as received, in the offerer's order."""
    found: list[AudioCodec] = []
    for codec in media.rtp.codecs:
        name = RELAYABLE_AUDIO.get(codec.mimeType.lower())
        if name is not None and name not in found:
            found.append(name)
    return found


def parse_offer(sdp: str, role: Role, *, audio_only: bool = False) -> SessionDescription:
    """The offer, or SdpError / UnusableOffer naming what is wrong with it."""
    if not sdp.strip():
        raise SdpError("the SDP offer is empty")
    if len(sdp.encode("utf-8", "replace")) > MAX_SDP_BYTES:
        raise SdpError(f"the SDP offer is larger than {MAX_SDP_BYTES} bytes")
    if not sdp.lstrip().startswith("v=0"):
        raise SdpError("the SDP offer does not start with 'v=0' (RFC 8866 5)")
    check_lines(sdp.lstrip())
    try:
        description = SessionDescription.parse(sdp)
        str(description)  # what the narrowing writes back must be writable
    except Exception as exc:  # aiortc's parser raises what its code happens to hit
        raise SdpError(f"the SDP offer cannot be parsed: {type(exc).__name__}: {exc}") from exc
    wanted = ("sendonly", "sendrecv") if role == "publish" else ("recvonly", "sendrecv")
    verb = "publish (sendonly)" if role == "publish" else "receive (recvonly)"
    for media in description.media:
        if media.kind in ("audio", "video"):
            _listed(media)
        if media.port == 0:
            continue
        if not media.ice.usernameFragment or not media.ice.password:
            raise SdpError(f"the {media.kind} section has no ICE credentials (a=ice-ufrag / a=ice-pwd)")
    if audio_only:
        audios = [m for m in description.media if m.kind == "audio" and m.port != 0]
        if not audios:
            raise SdpError("the SDP offer has no audio media section: talk-back carries audio only")
        for media in audios:
            if (media.direction or "sendrecv") not in wanted:
                raise SdpError(f"the audio section is {media.direction!r}; an offer to {verb} audio is expected")
            if not audio_codecs(media):
                raise UnusableOffer(
                    f"the audio section offers {_offered(media)}; the gateway relays Opus, PCMA or PCMU as received"
                )
        return description
    videos = [m for m in description.media if m.kind == "video" and m.port != 0]
    if not videos:
        raise SdpError("the SDP offer has no video media section")
    for media in videos:
        direction = media.direction or "sendrecv"
        if direction not in wanted:
            raise SdpError(f"the video section is {direction!r}; an offer to {verb} video is expected")
        if not _relayable(media, VIEWABLE if role == "view" else RELAYABLE):
            raise UnusableOffer(
                f"the video section offers {_offered(media)}; the gateway relays H.264 "
                "(packetization-mode=1) or VP8 as received"
            )
    return description


def h264_profile_of(profile_level_id: str) -> str:
    """The profile part (profile_idc and constraint flags, 4 hex digits) of a profile-level-id."""
    return profile_level_id[:4].lower()


def _keep_rtcp_mux(media: MediaDescription) -> None:
    """aiortc writes a=rtcp-mux only next to an a=rtcp line (MEDIA facts): an offer without
    a=rtcp (GStreamer webrtcbin, libdatachannel) would lose its rtcp-mux when re-serialized."""
    if media.rtcp_mux and media.rtcp_port is None:
        media.rtcp_port = media.port


@dataclass(frozen=True)
class Narrowed:
    """An offer ready for aiortc, without the sections the gateway rejects (aiortc cannot answer a
    rejected section: it negotiates every m= line), which `splice_rejected` puts back into the
    answer at their places, port 0 (RFC 8829 5.3.1; RFC 8843 7.3.3: not in the BUNDLE group)."""

    sdp: str
    rejected: tuple[tuple[int, str], ...] = ()
    warning: str | None = None  # why a section was rejected, for the caller


def _without(description: SessionDescription, indices: set[int], warning: str | None) -> Narrowed:
    rejected: list[tuple[int, str]] = []
    for index in sorted(indices):
        media = description.media[index]
        fmt = media.fmt[0] if media.fmt else 0
        lines = [f"m={media.kind} 0 {media.profile} {fmt}", "c=IN IP4 0.0.0.0"]
        if media.rtp.muxId:
            lines.append(f"a=mid:{media.rtp.muxId}")
        rejected.append((index, "\r\n".join(lines) + "\r\n"))
    mids = {description.media[i].rtp.muxId for i in indices}
    for group in description.group:
        group.items = [item for item in group.items if str(item) not in mids]
    description.group = [g for g in description.group if g.items]
    description.media = [m for i, m in enumerate(description.media) if i not in indices]
    return Narrowed(str(description), tuple(rejected), warning)


def splice_rejected(answer: str, rejected: tuple[tuple[int, str], ...]) -> str:
    """The answer with the rejected sections back at their offer positions."""
    if not rejected:
        return answer
    head, *sections = answer.split("\r\nm=")
    parts = [head + "\r\n"] + ["m=" + s + ("" if s.endswith("\r\n") else "\r\n") for s in sections]
    body = parts[1:]
    for index, text in rejected:
        body.insert(min(index, len(body)), text)
    return parts[0] + "".join(body)


def _answerable(description: SessionDescription, reject: set[int]) -> Iterator[tuple[int, MediaDescription]]:
    """The offer's audio and video sections with their index, rtcp-mux kept; a section the offer
    itself disabled (port 0) goes to `reject` (answered with port 0 too, RFC 8829 5.3.1)."""
    for index, media in enumerate(description.media):
        if media.kind not in ("audio", "video"):
            continue
        if media.port == 0:
            reject.add(index)
            continue
        _keep_rtcp_mux(media)
        yield index, media


def _offered(media: MediaDescription) -> str:
    return ", ".join(sorted({c.mimeType for c in media.rtp.codecs}) or ["none"])


def narrow_to(
    description: SessionDescription,
    codec: Codec | None,
    audio: AudioCodec | None,
    h264_profile: str | None = None,
) -> Narrowed:
    """The viewer's offer with its video sections narrowed to `codec` (and its retransmission
    format), H.264 entries of the feed's profile first, and its audio sections to `audio`; an audio
    section that cannot carry the feed's audio (or a feed without audio) is rejected (port 0,
    RFC 8829 5.3.1) and the reason returned. codec None: a feed without video (talk-back)."""
    reject: set[int] = set()
    warning: str | None = None
    for index, media in _answerable(description, reject):
        if media.kind == "video":
            if codec is None:
                reject.add(index)
                warning = "video section rejected: this feed carries audio only"
                continue
            _narrow_video(media, codec, h264_profile)
        else:
            keep = {c.payloadType for c in media.rtp.codecs if RELAYABLE_AUDIO.get(c.mimeType.lower()) == audio}
            if audio is None or not keep:
                warning = (
                    "audio section rejected: the feed carries no audio"
                    if audio is None
                    else f"audio section rejected: the feed's audio is {audio}; it offers {_offered(media)} only"
                )
                reject.add(index)
                continue
            media.rtp.codecs = [c for c in media.rtp.codecs if c.payloadType in keep]
            media.fmt = [f for f in media.fmt if f in keep]
    return _without(description, reject, warning)


def _narrow_video(media: MediaDescription, codec: Codec, h264_profile: str | None) -> None:
    chosen = [
        c
        for c in media.rtp.codecs
        if VIEWABLE.get(c.mimeType.lower()) == codec
        and (codec != "h264" or str(c.parameters.get("packetization-mode", "0")) == "1")
    ]
    if not chosen:
        raise UnusableOffer(f"the video section does not offer {codec.upper()}, the codec this feed carries")
    if codec == "h264" and h264_profile:
        # The viewer's entry for the feed's own profile first: the answer (and the sender) use the first.
        chosen.sort(key=lambda c: h264_profile_of(str(c.parameters.get("profile-level-id", "42e01f"))) != h264_profile)
    keep = [c.payloadType for c in chosen]
    keep += [
        c.payloadType for c in media.rtp.codecs if c.mimeType.lower() == "video/rtx" and c.parameters.get("apt") in keep
    ]
    by_pt = {c.payloadType: c for c in media.rtp.codecs}
    media.rtp.codecs = [by_pt[pt] for pt in keep]
    media.fmt = [f for f in keep if f in media.fmt]


def publisher_offer(description: SessionDescription, audio_only: bool = False) -> Narrowed:
    """A publisher's offer for aiortc: its first video section (none for talk-back) and its first
    audio section with a codec relayed as received (Opus, PCMA, PCMU: aiortc would otherwise take
    G.722 and the gateway drop it) are kept, each narrowed to those codecs; every other audio or
    video section is rejected, and the warning says why (never silently)."""
    reject: set[int] = set()
    warnings: list[str] = []
    have_video = have_audio = False
    for index, media in _answerable(description, reject):
        if media.kind == "video":
            if audio_only or have_video:
                reject.add(index)
                warnings.append(
                    "video section rejected: talk-back carries audio only"
                    if audio_only
                    else "extra video section rejected: a feed carries one picture"
                )
                continue
            have_video = True
            keep = {
                c.payloadType
                for c in media.rtp.codecs
                if RELAYABLE.get(c.mimeType.lower()) is not None or c.mimeType.lower() == "video/rtx"
            }
        else:
            keep = {c.payloadType for c in media.rtp.codecs if c.mimeType.lower() in RELAYABLE_AUDIO}
            if have_audio or not keep:
                reject.add(index)
                warnings.append(
                    "extra audio section rejected: a feed carries one sound track"
                    if have_audio
                    else f"audio section rejected: it offers {_offered(media)}; the gateway relays Opus, PCMA "
                    "or PCMU as received"
                )
                continue
            have_audio = True
        media.rtp.codecs = [c for c in media.rtp.codecs if c.payloadType in keep]
        media.fmt = [f for f in media.fmt if f in keep]
    return _without(description, reject, "; ".join(warnings) or None)


def offers_video(description: SessionDescription, codec: Codec) -> bool:
    """Whether the first video section offers `codec` (H.264 with packetization-mode=1)."""
    for media in description.media:
        if media.kind == "video" and media.port != 0:
            return codec in _relayable(media, VIEWABLE)
    return False


def video_codecs(description: SessionDescription) -> list[Codec]:
    """The relayable video codecs of the first video section, in the offerer's order."""
    for media in description.media:
        if media.kind == "video" and media.port != 0:
            return _relayable(media)
    return []


def first_audio_codec(description: SessionDescription) -> AudioCodec | None:
    for media in description.media:
        if media.kind == "audio" and media.port != 0:
            found = audio_codecs(media)
            return found[0] if found else None
    return None


def first_h264_profile_level_id(description: SessionDescription) -> str | None:
    for media in description.media:
        if media.kind == "video" and media.port != 0:
            for c in media.rtp.codecs:
                if c.mimeType.lower() == "video/h264":
                    return str(c.parameters.get("profile-level-id", "42e01f")).lower()
            return None
    return None


def with_offered_levels(offer: SessionDescription, answer: str) -> str:
    """The answer's H.264 profile-level-id set to what the offer gave for the same payload type:
    aiortc answers its own level (3.1), which would tell a 1080p camera (level 4) it may not send
    what it sends; the relay passes any level through as received."""
    offered: dict[int, str] = {}
    for media in offer.media:
        for c in media.rtp.codecs:
            if c.mimeType.lower() == "video/h264" and "profile-level-id" in c.parameters:
                offered[c.payloadType] = str(c.parameters["profile-level-id"])

    def replace(match: re.Match[str]) -> str:
        level = offered.get(int(match.group(1)))
        if level is None:
            return match.group(0)
        return re.sub(r"profile-level-id=[0-9A-Fa-f]{6}", f"profile-level-id={level}", match.group(0))

    return re.sub(r"a=fmtp:(\d+) [^\r\n]*", replace, answer)
