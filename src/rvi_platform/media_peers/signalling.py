"""What WHIP (RFC 9725) and WHEP clients share: one HTTP exchange of SDP, a resource URL to
DELETE, and codecs forced from the offering side (MEDIA facts: the answering aiortc does not
narrow its answer, and passthrough is only right if the negotiated codec is the bytes' codec)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx
from aiortc import RTCPeerConnection, RTCRtpSender, RTCRtpTransceiver, RTCSessionDescription
from aiortc.rtcrtpparameters import RTCRtpCodecCapability
from aiortc.sdp import SessionDescription

from rvi_video_gateway.media.packets import Codec

_MIME: dict[Codec, str] = {"h264": "video/h264", "vp8": "video/vp8", "h265": "video/h265"}
# Constrained baseline first: what browsers and the synthetic clips send.
_H264_PROFILES = ("42e01f", "42001f")


class SignallingError(RuntimeError):
    def __init__(self, what: str, status: int, body: str) -> None:
        super().__init__(f"{what}: HTTP {status}: {body[:300]}")
        self.status = status
        self.body = body


@dataclass(frozen=True, slots=True)
class Exchange:
    """The answer to an offer and the session resource it created (absolute URL)."""

    answer: str
    location: str
    codec: Codec | None
    warning: str | None = None  # the gateway's Warning header: a section it rejected, and why


def codec_preferences(codecs: Iterable[Codec]) -> list[RTCRtpCodecCapability]:
    """aiortc's capabilities for `codecs`, in that order, H.264 only with packetization-mode=1,
    plus RTX so lost packets are retransmitted."""
    available = RTCRtpSender.getCapabilities("video").codecs
    chosen: list[RTCRtpCodecCapability] = []
    for codec in codecs:
        matches = [c for c in available if c.mimeType.lower() == _MIME[codec]]
        if codec == "h264":
            # Constrained Baseline only: what the synthetic clips are (the gateway, imported in the
            # same process, adds Main and High to aiortc's table for the cameras it receives).
            matches = [
                c
                for c in matches
                if str(c.parameters.get("packetization-mode")) == "1"
                and str(c.parameters.get("profile-level-id", "")).lower() in _H264_PROFILES
            ]
            matches.sort(key=lambda c: _profile_rank(str(c.parameters.get("profile-level-id", ""))))
        if not matches:
            raise ValueError(f"this aiortc cannot negotiate {codec}")
        chosen.extend(matches)
    chosen.extend(c for c in available if c.mimeType.lower() == "video/rtx")
    return chosen


def _profile_rank(profile_level_id: str) -> int:
    return _H264_PROFILES.index(profile_level_id) if profile_level_id in _H264_PROFILES else len(_H264_PROFILES)


def force_codecs(transceiver: RTCRtpTransceiver, codecs: Iterable[Codec]) -> None:
    transceiver.setCodecPreferences(codec_preferences(codecs))


_AUDIO_MIME = {"opus": "audio/opus", "pcma": "audio/pcma", "pcmu": "audio/pcmu"}


def force_audio_codec(transceiver: RTCRtpTransceiver, codec: str) -> None:
    """The audio section offers `codec` only (opus, pcma or pcmu): the bytes sent are that codec's."""
    available = RTCRtpSender.getCapabilities("audio").codecs
    transceiver.setCodecPreferences([c for c in available if c.mimeType.lower() == _AUDIO_MIME[codec]])


def negotiated_codec(sdp: str) -> Codec | None:
    """The codec the first video section of an answer settles on (the first one listed: the one
    aiortc and browsers send)."""
    for media in SessionDescription.parse(sdp).media:
        if media.kind != "video":
            continue
        for codec in media.rtp.codecs:
            name = codec.mimeType.lower()
            if name == "video/rtx":
                continue
            for ours, mime in _MIME.items():
                if name == mime:
                    return ours
            return None
    return None


async def offer(pc: RTCPeerConnection) -> str:
    """An offer with every ICE candidate in it (WHIP/WHEP clients do not trickle here)."""
    await pc.setLocalDescription(await pc.createOffer())
    if pc.iceGatheringState != "complete":
        done = asyncio.Event()

        def gathered() -> None:
            if pc.iceGatheringState == "complete":
                done.set()

        pc.on("icegatheringstatechange", gathered)
        try:
            await asyncio.wait_for(done.wait(), timeout=10)
        finally:
            pc.remove_listener("icegatheringstatechange", gathered)
    return pc.localDescription.sdp


async def exchange(client: httpx.AsyncClient, url: str, token: str, sdp: str, what: str) -> Exchange:
    response = await client.post(
        url, content=sdp.encode(), headers={"Content-Type": "application/sdp", "Authorization": f"Bearer {token}"}
    )
    if response.status_code != 201:
        raise SignallingError(what, response.status_code, response.text)
    location = response.headers.get("Location")
    if not location:
        raise SignallingError(f"{what}: 201 without a Location header", response.status_code, response.text)
    content_type = response.headers.get("Content-Type", "")
    if not content_type.startswith("application/sdp"):
        raise SignallingError(f"{what}: answer is {content_type!r}, not application/sdp", 201, response.text)
    # RFC 9725 4.2: the Location may be relative to the endpoint URL (RFC 3986 5 resolution).
    return Exchange(
        answer=response.text,
        location=urljoin(str(response.url), location),
        codec=negotiated_codec(response.text),
        warning=response.headers.get("Warning"),
    )


async def accept(pc: RTCPeerConnection, answer: str) -> None:
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))


async def delete(client: httpx.AsyncClient, location: str, token: str) -> int:
    response = await client.delete(location, headers={"Authorization": f"Bearer {token}"})
    return response.status_code


async def connected(pc: RTCPeerConnection, within_s: float) -> None:
    if pc.connectionState == "connected":
        return
    changed = asyncio.Event()
    pc.on("connectionstatechange", changed.set)
    try:
        async with asyncio.timeout(within_s):
            while pc.connectionState != "connected":
                if pc.connectionState in ("failed", "closed"):
                    raise ConnectionError(f"peer connection {pc.connectionState}")
                changed.clear()
                await changed.wait()
    finally:
        pc.remove_listener("connectionstatechange", changed.set)


class ResourceClient:
    """What a WHIP publisher and a WHEP viewer share: the peer connection, the HTTP client (their
    own unless given one), the session resource and its DELETE on close."""

    def __init__(self, url: str, token: str, client: httpx.AsyncClient | None) -> None:
        self.url, self.token = url, token
        self.pc = RTCPeerConnection()
        self.location: str | None = None
        self.answer: str | None = None
        self.codec: Codec | None = None
        self._client = client
        self._own_client = client is None
        self._closed = False

    @property
    def http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=30)
        return self._client

    async def _exchange(self, sdp: str, what: str) -> Exchange:
        result = await exchange(self.http, self.url, self.token, sdp, what)
        self.location, self.answer, self.codec = result.location, result.answer, result.codec
        return result

    async def _release(self) -> None:
        """What the subclass holds beyond the connection, let go after it closes."""

    async def close(self) -> int | None:
        """DELETEs the session resource (its status, or None without one), then closes the pc."""
        if self._closed:
            return None
        self._closed = True
        status = None
        try:
            if self.location is not None:
                status = await delete(self.http, self.location, self.token)
        finally:
            await self.pc.close()
            await self._release()
            if self._own_client and self._client is not None:
                await self._client.aclose()
        return status
