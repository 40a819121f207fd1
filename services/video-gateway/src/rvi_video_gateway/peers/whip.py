"""A WHIP (RFC 9725) publisher: one sendonly video track, codec forced on the offer."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
from aiortc import RTCPeerConnection, RTCRtpSender

from rvi_video_gateway.media.packets import Codec
from rvi_video_gateway.peers import signalling
from rvi_video_gateway.peers.tracks import ClipTrack


@dataclass(frozen=True, slots=True)
class PublisherStats:
    frames_sent: int
    first_frame_at: float | None
    connected_at: float | None
    codec: Codec | None
    state: str


class WhipPublisher:
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
        self.url, self.token, self.track, self.requested_codec = url, token, track, codec
        self.pc = RTCPeerConnection()
        self.location: str | None = None
        self.answer: str | None = None
        self.codec: Codec | None = None
        self.connected_at: float | None = None
        self._client = client
        self._own_client = client is None
        self._closed = False

    @property
    def http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=30)
        return self._client

    async def start(self, connect_within_s: float = 20.0) -> None:
        """Offers, posts, applies the answer and waits until media flows (raises otherwise)."""
        transceiver = self.pc.addTransceiver(self.track, direction="sendonly")
        signalling.force_codecs(transceiver, [self.requested_codec])
        _forward_keyframe_requests(transceiver.sender, self.track)
        sdp = await signalling.offer(self.pc)
        result = await signalling.exchange(self.http, self.url, self.token, sdp, "WHIP publish")
        self.location, self.answer, self.codec = result.location, result.answer, result.codec
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

    async def close(self) -> int | None:
        """DELETEs the session resource (its status, or None without one), then closes the pc."""
        if self._closed:
            return None
        self._closed = True
        status = None
        try:
            if self.location is not None:
                status = await signalling.delete(self.http, self.location, self.token)
        finally:
            await self.pc.close()
            self.track.stop()
            if self._own_client and self._client is not None:
                await self._client.aclose()
        return status


def _forward_keyframe_requests(sender: RTCRtpSender, track: ClipTrack) -> None:
    """aiortc's sender turns a PLI/FIR into a flag for its encoder, which a pre-encoded track never
    consults; pass the request on to the track as well."""
    ask_encoder = sender._send_keyframe

    def ask_both() -> None:
        ask_encoder()
        track.request_keyframe()

    sender._send_keyframe = ask_both  # type: ignore[method-assign]
