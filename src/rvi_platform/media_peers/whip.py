"""A WHIP (RFC 9725) publisher: a sendonly video track (codec forced on the offer) and/or a
sendonly audio track (a camera's microphone, or an officer's talk-back voice alone)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
from aiortc import RTCRtpSender

from rvi_platform.media_peers import signalling
from rvi_platform.media_peers.tracks import AudioClipTrack, ClipTrack
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
        track: ClipTrack | None,
        codec: Codec = "h264",
        client: httpx.AsyncClient | None = None,
        audio: AudioClipTrack | None = None,
    ) -> None:
        if track is not None and codec != track.codec:
            raise ValueError(f"the track carries {track.codec}; forcing {codec} would mislabel its bytes")
        if track is None and audio is None:
            raise ValueError("a publisher sends video, audio or both")
        super().__init__(url, token, client)
        self.track, self.requested_codec, self.audio = track, codec, audio
        self.connected_at: float | None = None
        self.warning: str | None = None

    async def start(self, connect_within_s: float = 20.0) -> None:
        """Offers, posts, applies the answer and waits until media flows (raises otherwise)."""
        if self.track is not None:
            transceiver = self.pc.addTransceiver(self.track, direction="sendonly")
            signalling.force_codecs(transceiver, [self.requested_codec])
            _forward_keyframe_requests(transceiver.sender, self.track)
        if self.audio is not None:
            audio = self.pc.addTransceiver(self.audio, direction="sendonly")
            signalling.force_audio_codec(audio, self.audio.codec)
        sdp = await signalling.offer(self.pc)
        result = await self._exchange(sdp, "WHIP publish")
        self.warning = result.warning
        if self.track is not None and self.codec != self.requested_codec:
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
            frames_sent=self.track.log.frames_sent if self.track else 0,
            first_frame_at=self.track.log.first_sent_at if self.track else None,
            connected_at=self.connected_at,
            codec=self.codec,
            state=self.pc.connectionState,
        )

    async def _release(self) -> None:
        if self.track is not None:
            self.track.stop()
        if self.audio is not None:
            self.audio.stop()


def _forward_keyframe_requests(sender: RTCRtpSender, track: ClipTrack) -> None:
    """aiortc's sender turns a PLI/FIR into a flag for its encoder, which a pre-encoded track never
    consults; pass the request on to the track as well."""
    ask_encoder = sender._send_keyframe

    def ask_both() -> None:
        ask_encoder()
        track.request_keyframe()

    sender._send_keyframe = ask_both  # type: ignore[method-assign]
