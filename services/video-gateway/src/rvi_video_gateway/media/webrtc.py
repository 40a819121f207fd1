"""The gateway's WebRTC peers: a WHIP publisher's connection (its video and audio taken before
aiortc's decoder, into the feed) and a WHEP viewer's (the feed's frames and audio packets
packetized as received). Offers are checked (`sdp.parse_offer`) before they get here; whatever
aiortc still refuses is answered 422 with its reason, never 500."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription, rtp
from aiortc.codecs import CODECS
from aiortc.sdp import SessionDescription

from rvi_video_gateway.media.codec_table import add_video_codec
from rvi_video_gateway.media.feed import Feed, FrameConsumer
from rvi_video_gateway.media.h265 import register_h265
from rvi_video_gateway.media.packets import AudioCodec, Codec, EncodedFrame
from rvi_video_gateway.media.passthrough import request_keyframe, tap_receiver
from rvi_video_gateway.media.sdp import (
    Narrowed,
    SdpError,
    UnusableOffer,
    first_audio_codec,
    first_h264_profile_level_id,
    h264_profile_of,
    narrow_to,
    publisher_offer,
    splice_rejected,
    video_codecs,
    with_offered_levels,
)
from rvi_video_gateway.media.viewer import AudioViewerTrack, ViewerTrack

log = logging.getLogger(__name__)

# Main, High and Constrained High (profile-level-id at level 3.1; the answer takes the offer's
# level): what FFmpeg's WHIP muxer, GStreamer and cameras publish. aiortc knows only the two
# Baseline entries, so an offer with only these would find no common codec (MEDIA facts).
EXTRA_H264_PROFILES = ("4d001f", "64001f", "640c1f")


def extend_h264_profiles() -> None:
    """Adds the profiles to aiortc's codec table (idempotent). The relay never decodes, so any
    profile is carried as received; only negotiation needs to know the names."""
    video = CODECS["video"]
    known = {str(c.parameters.get("profile-level-id", "")).lower() for c in video if c.mimeType.lower() == "video/h264"}
    for profile in EXTRA_H264_PROFILES:
        if profile not in known:
            add_video_codec(
                "video/H264",
                {"level-asymmetry-allowed": "1", "packetization-mode": "1", "profile-level-id": profile},
            )


def answer_with_offered_payload_types() -> None:
    """RFC 3264 6.1: the answer names each codec it takes by the offer's payload type. aiortc
    does so only for 96-127 and keeps its own number otherwise, but browsers also number codecs
    in 35-63 (RFC 5761 4 leaves them free with rtcp-mux): aiortc's own number could then be one
    the offer gave another format (an answer with H.264 and RTX under one payload type)."""
    rtp.DYNAMIC_PAYLOAD_TYPES = (*range(35, 64), *range(96, 128))  # type: ignore[assignment]


extend_h264_profiles()
register_h265()
answer_with_offered_payload_types()


def ice_configuration(ice_servers: list[str]) -> RTCConfiguration:
    return RTCConfiguration(iceServers=[RTCIceServer(urls=url) for url in ice_servers])


def _discard(frame: EncodedFrame) -> None:
    """Sections of a peer the gateway does not relay (a viewer's own sending side)."""


class ViewerSource(Protocol):
    """Where a viewer's tracks take frames from: the feed itself, or a transcode standing in for
    what WebRTC cannot carry as received (media.transcode)."""

    @property
    def codec(self) -> Codec | None: ...

    @property
    def audio_codec(self) -> AudioCodec | None: ...

    @property
    def h264_profile_level_id(self) -> str | None: ...

    @property
    def keyframe_request(self) -> Callable[[], Awaitable[object]] | None: ...

    def attach(self, consumer: FrameConsumer, from_cached_keyframe: bool = True) -> None: ...

    def attach_audio(self, consumer: FrameConsumer) -> None: ...

    def detach(self, consumer: FrameConsumer) -> None: ...


@dataclass(eq=False)
class Peer:
    resource_id: str
    feed_id: str
    role: str  # publish | view
    pc: RTCPeerConnection
    receiver: RTCRtpReceiver | None = None
    track: ViewerTrack | None = None
    audio_track: AudioViewerTrack | None = None
    warning: str | None = None  # a section rejected in the answer, and why
    etag: str = ""
    subject: str | None = None  # whom the media token was issued to
    session_id: str | None = None
    # Let go of the sources the tracks were attached to (a transcode stops with its last viewer).
    detachers: list[Callable[[], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.etag:
            self.etag = f'"{uuid.uuid4().hex}"'

    async def close(self) -> None:
        for detach in self.detachers:
            detach()
        self.detachers.clear()
        if self.track is not None:
            self.track.stop()
        if self.audio_track is not None:
            self.audio_track.stop()
        await self.pc.close()


async def _answer(pc: RTCPeerConnection) -> str:
    answer = await pc.createAnswer()
    await pc.setLocalDescription(answer)  # non-trickle: gathering is complete when this returns
    return pc.localDescription.sdp


async def _close_quietly(pc: RTCPeerConnection) -> None:
    """A connection left half set up by a refused offer may fail to close (aiortc stops
    transports it never made); the offer's refusal is what the caller must hear."""
    try:
        await pc.close()
    except Exception as exc:
        log.info("closing a refused offer's connection failed: %s: %s", type(exc).__name__, exc)


async def _negotiate(pc: RTCPeerConnection, prepared: Narrowed, setup: Callable[[], None]) -> str:
    """setRemoteDescription, the caller's setup, createAnswer; aiortc's refusals become 422."""
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=prepared.sdp, type="offer"))
        setup()
        return await _answer(pc)
    except SdpError:
        await _close_quietly(pc)
        raise
    except Exception as exc:  # aiortc raises assorted types for offers it cannot use
        await _close_quietly(pc)
        log.info("an offer aiortc refused: %s: %s", type(exc).__name__, exc)
        raise UnusableOffer(f"the offer cannot be negotiated: {type(exc).__name__}: {exc}") from None


async def accept_publisher(
    feed: Feed, description: SessionDescription, configuration: RTCConfiguration, audio_only: bool = False
) -> tuple[Peer, str]:
    """WHIP: the publisher's offer answered recvonly; its first video section (none for talk-back)
    and first relayable audio section feed `feed`, other sections are answered rejected."""
    prepared = publisher_offer(description, audio_only)
    pc = RTCPeerConnection(configuration)
    peer = Peer(resource_id=uuid.uuid4().hex, feed_id=feed.feed_id, role="publish", pc=pc, warning=prepared.warning)
    video_receiver: list[RTCRtpReceiver] = []

    def tap() -> None:
        audio_tapped = False
        for transceiver in pc.getTransceivers():
            if transceiver.kind == "video" and not video_receiver:
                video_receiver.append(transceiver.receiver)
                tap_receiver(transceiver.receiver, feed.on_frame)
            elif transceiver.kind == "audio" and not audio_tapped:
                audio_tapped = True
                tap_receiver(transceiver.receiver, feed.on_frame)
                if audio_only:
                    peer.receiver = transceiver.receiver
            else:
                tap_receiver(transceiver.receiver, _discard)

    answer = await _negotiate(pc, prepared, tap)
    answered = SessionDescription.parse(answer)
    codecs = video_codecs(answered)
    if not audio_only and not codecs:
        await pc.close()
        raise UnusableOffer("no codec in common: the gateway relays H.264 (packetization-mode=1) or VP8")
    audio = first_audio_codec(answered)
    if audio_only and audio is None:
        await pc.close()
        raise UnusableOffer("no audio codec in common: the gateway relays Opus, PCMA or PCMU")
    answer = with_offered_levels(SessionDescription.parse(prepared.sdp), answer)
    feed.codec = None if audio_only else codecs[0]
    feed.audio_codec = audio
    if feed.codec == "h264":
        feed.h264_profile_level_id = first_h264_profile_level_id(SessionDescription.parse(answer))
    if video_receiver:
        receiver = peer.receiver = video_receiver[0]
        feed.keyframe_request = lambda: request_keyframe(receiver)

    @pc.on("connectionstatechange")
    async def on_state() -> None:
        # "closed": the publisher hung up (DTLS close_notify), an end like a WHIP DELETE;
        # "failed": ICE gave up, a loss. A killed publisher says neither: the silence watch finds it.
        if pc.connectionState == "closed":
            feed.close()
        elif pc.connectionState == "failed":
            feed.on_lost("publisher connection failed")

    return peer, splice_rejected(answer, prepared.rejected)


async def accept_viewer(
    feed: Feed,
    offer_description: SessionDescription,
    configuration: RTCConfiguration,
    video: ViewerSource | None = None,
    audio: ViewerSource | None = None,
) -> tuple[Peer, str]:
    """WHEP: the viewer's offer narrowed to the codecs of its sources (the feed's own unless a
    transcode stands in for its video or audio; H.264 entries of the source's profile first),
    answered sendonly with their frames and audio packets."""
    video_source: ViewerSource = video or feed
    audio_source: ViewerSource = audio or feed
    level_id = video_source.h264_profile_level_id
    profile = h264_profile_of(level_id) if level_id else None
    narrowed = narrow_to(offer_description, video_source.codec, audio_source.audio_codec, profile)
    pc = RTCPeerConnection(configuration)

    def keyframe_needed() -> None:
        request = video_source.keyframe_request
        if request is not None:
            asyncio.ensure_future(request())

    track = ViewerTrack(keyframe_needed) if video_source.codec is not None else None
    peer = Peer(
        resource_id=uuid.uuid4().hex, feed_id=feed.feed_id, role="view", pc=pc, track=track, warning=narrowed.warning
    )

    def attach_tracks() -> None:
        for transceiver in pc.getTransceivers():
            tap_receiver(transceiver.receiver, _discard)
        if track is not None:
            pc.addTrack(track)
        if audio_source.audio_codec is not None and any(t.kind == "audio" for t in pc.getTransceivers()):
            peer.audio_track = AudioViewerTrack()
            pc.addTrack(peer.audio_track)

    answer = await _negotiate(pc, narrowed, attach_tracks)
    answer = with_offered_levels(SessionDescription.parse(narrowed.sdp), answer)
    if track is not None:
        video_source.attach(track)
        peer.detachers.append(lambda: video_source.detach(track))
    if peer.audio_track is not None:
        audio_track = peer.audio_track
        audio_source.attach_audio(audio_track)
        peer.detachers.append(lambda: audio_source.detach(audio_track))
    # A late viewer of a WebRTC feed gets a fresh keyframe at once; the cached GOP covers RTSP.
    keyframe_needed()

    @pc.on("connectionstatechange")
    async def on_state() -> None:
        if pc.connectionState in ("failed", "closed"):
            for detach in peer.detachers:
                detach()
            peer.detachers.clear()
            for consumer in (track, peer.audio_track):
                if consumer is not None:
                    consumer.stop()

    return peer, splice_rejected(answer, narrowed.rejected)


async def round_trip_ms(pc: RTCPeerConnection) -> float | None:
    """One STUN binding check on the nominated candidate pair (the RFC 7675 consent check),
    timed. aiortc exposes no RTT on the receiving side; this measures the same network path."""
    try:
        transport = pc.getTransceivers()[0].receiver.transport.transport
        connection = transport._connection
        pairs = list(connection._nominated.values())
        if not pairs or connection.remote_password is None:
            return None
        pair = pairs[0]
        request = connection.build_request(pair, nominate=False)
        started = time.perf_counter()
        await pair.protocol.request(
            request, pair.remote_addr, integrity_key=connection.remote_password.encode("utf8"), retransmissions=0
        )
        return (time.perf_counter() - started) * 1000.0
    except Exception as exc:  # a check lost on the way is a missing sample, not a failure
        log.debug("round-trip check failed: %s", exc)
        return None


async def inbound_packets(receiver: RTCRtpReceiver) -> tuple[int, int]:
    """(received, lost) RTP packets of the receiver's sources so far."""
    received = lost = 0
    for stats in (await receiver.getStats()).values():
        if getattr(stats, "type", None) == "inbound-rtp":
            received += stats.packetsReceived
            lost += max(stats.packetsLost, 0)
    return received, lost
