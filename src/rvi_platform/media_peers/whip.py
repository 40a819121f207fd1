"""A WHIP (RFC 9725) publisher: one sendonly video track, codec forced on the offer."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
from aiortc import RTCRtpSender

from rvi_platform.media_peers import signalling
from rvi_platform.media_peers.tracks import ClipTrack
from rvi_video_gateway.media.packets import Codec


@dataclass(frozen=True, slots=True)
class PublisherStats:
    frames_sent: int
    first_frame_at: float | None
    connected_at: float | None
    codec: Codec | None
    state: str


class WhipPublisher(signalling.ResourceClient):
    def __init__(
        self,
        url: str,
        token: str,
        track: ClipTrack,
        codec: Codec = "h264",
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if codec != track.codec:
            raise ValueError(f"the track carries {track.codec}; forcing {codec} would mislabel its bytes")
        super().__init__(url, token, client)
        self.track, self.requested_codec = track, codec
        self.connected_at: float | None = None

    async def start(self, connect_within_s: float = 20.0) -> None:
        """Offers, posts, applies the answer and waits until media flows (raises otherwise)."""
        transceiver = self.pc.addTransceiver(self.track, direction="sendonly")
        signalling.force_codecs(transceiver, [self.requested_codec])
        _forward_keyframe_requests(transceiver.sender, self.track)
        sdp = await signalling.offer(self.pc)
        result = await self._exchange(sdp, "WHIP publish")
        if self.codec != self.requested_codec:
            await self.close()
            raise signalling.SignallingError(
                f"WHIP answer settled on {self.codec}, not {self.requested_codec}", 201, ""
            )
        await signalling.accept(self.pc, result.answer)
        await signalling.connected(self.pc, connect_within_s)
        self.connected_at = time.monotonic()

    @property
    def stats(self) -> PublisherStats:
        return PublisherStats(
            frames_sent=self.track.log.frames_sent,
            first_frame_at=self.track.log.first_sent_at,
            connected_at=self.connected_at,
            codec=self.codec,
            state=self.pc.connectionState,
        )

    async def _release(self) -> None:
        self.track.stop()


def _forward_keyframe_requests(sender: RTCRtpSender, track: ClipTrack) -> None:
    """aiortc's sender turns a PLI/FIR into a flag for its encoder, which a pre-encoded track never
    consults; pass the request on to the track as well."""
    ask_encoder = sender._send_keyframe

    def ask_both() -> None:
        ask_encoder()
        track.request_keyframe()

    sender._send_keyframe = ask_both  # type: ignore[method-assign]
