"""The gateway's WebRTC peers: a WHIP publisher's connection (its video taken before aiortc's
decoder, into the feed) and a WHEP viewer's (the feed's frames packetized as received)."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription
from aiortc.sdp import SessionDescription

from rvi_video_gateway.media.feed import Feed
from rvi_video_gateway.media.packets import EncodedFrame
from rvi_video_gateway.media.passthrough import request_keyframe, tap_receiver
from rvi_video_gateway.media.sdp import SdpError, narrow_to, video_codecs
from rvi_video_gateway.media.viewer import ViewerTrack

log = logging.getLogger(__name__)


def ice_configuration(ice_servers: list[str]) -> RTCConfiguration:
    return RTCConfiguration(iceServers=[RTCIceServer(urls=url) for url in ice_servers])


def _discard(frame: EncodedFrame) -> None:
    """Audio and extra video sections of a publisher are not relayed (video only, one feed each)."""


@dataclass(eq=False)
class Peer:
    resource_id: str
    feed_id: str
    role: str  # publish | view
    pc: RTCPeerConnection
    receiver: RTCRtpReceiver | None = None
    track: ViewerTrack | None = None

    async def close(self) -> None:
        if self.track is not None:
            self.track.stop()
        await self.pc.close()


async def _answer(pc: RTCPeerConnection) -> str:
    answer = await pc.createAnswer()
    await pc.setLocalDescription(answer)  # non-trickle: gathering is complete when this returns
    return pc.localDescription.sdp


async def accept_publisher(feed: Feed, offer: str, configuration: RTCConfiguration) -> tuple[Peer, str]:
    """WHIP: the publisher's offer answered recvonly; the first video section feeds `feed`."""
    pc = RTCPeerConnection(configuration)
    peer = Peer(resource_id=uuid.uuid4().hex, feed_id=feed.feed_id, role="publish", pc=pc)
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        for transceiver in pc.getTransceivers():
            if transceiver.kind == "video" and peer.receiver is None:
                peer.receiver = transceiver.receiver
                tap_receiver(transceiver.receiver, feed.on_frame)
            else:
                tap_receiver(transceiver.receiver, _discard)
        assert peer.receiver is not None, "parse_offer guarantees a video section"
        answer = await _answer(pc)
    except Exception:
        await pc.close()
        raise
    codecs = video_codecs(SessionDescription.parse(answer))
    if not codecs:
        await pc.close()
        raise SdpError("no codec in common: the gateway relays H.264 (packetization-mode=1) or VP8")
    feed.codec = codecs[0]
    receiver = peer.receiver
    feed.keyframe_request = lambda: request_keyframe(receiver)

    @pc.on("connectionstatechange")
    async def on_state() -> None:
        # "closed": the publisher hung up (DTLS close_notify), an end like a WHIP DELETE;
        # "failed": ICE gave up, a loss. A killed publisher says neither: the silence watch finds it.
        if pc.connectionState == "closed":
            feed.close()
        elif pc.connectionState == "failed":
            feed.on_lost("publisher connection failed")

    return peer, answer


async def accept_viewer(
    feed: Feed, offer_description: SessionDescription, configuration: RTCConfiguration
) -> tuple[Peer, str]:
    """WHEP: the viewer's offer narrowed to the feed's codec, answered sendonly with its frames."""
    assert feed.codec is not None
    narrowed = narrow_to(offer_description, feed.codec)
    pc = RTCPeerConnection(configuration)

    def keyframe_needed() -> None:
        if feed.keyframe_request is not None:
            asyncio.ensure_future(feed.keyframe_request())

    track = ViewerTrack(keyframe_needed)
    peer = Peer(resource_id=uuid.uuid4().hex, feed_id=feed.feed_id, role="view", pc=pc, track=track)
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=narrowed, type="offer"))
        for transceiver in pc.getTransceivers():
            tap_receiver(transceiver.receiver, _discard)
        pc.addTrack(track)
        answer = await _answer(pc)
    except Exception:
        await pc.close()
        raise
    feed.attach(track)
    # A late viewer of a WebRTC feed gets a fresh keyframe at once; the cached GOP covers RTSP.
    keyframe_needed()

    @pc.on("connectionstatechange")
    async def on_state() -> None:
        if pc.connectionState in ("failed", "closed"):
            feed.detach(track)
            track.stop()

    return peer, answer


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
