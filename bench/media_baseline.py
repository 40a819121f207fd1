"""The baseline for make bench-media (bench only, not product): WHIP ingest and WHEP egress with
aiortc's defaults, i.e. the incoming track decoded, fanned out with `MediaRelay` and re-encoded
for each viewer. Same HTTP shape as the gateway: POST application/sdp → 201, Location, answer;
DELETE the Location → 200.

`--relay passthrough` forwards the encoded frames instead (taken before the decoder with the
gateway's `tap_receiver`), so the peers and the benchmark's frame matching can be checked against
a relay that keeps the bytes, whatever the gateway's state.

    python bench/media_baseline.py --port 8099 [--relay decode|passthrough]
    POST /whip/{stream}   POST /whep/{stream}   DELETE /whip/{stream}/{id}   DELETE /whep/{stream}/{id}
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import uuid
from dataclasses import dataclass, field

import uvicorn
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.sdp import SessionDescription
from fastapi import FastAPI, HTTPException, Request, Response

from rvi_video_gateway.media.packets import Codec, EncodedFrame
from rvi_video_gateway.media.passthrough import codec_of, request_keyframe, tap_receiver

SDP = "application/sdp"


class PacketTrack(MediaStreamTrack):
    """Encoded frames for one viewer, from its first keyframe on; aiortc's sender packs them."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self.queue: asyncio.Queue[EncodedFrame | None] = asyncio.Queue(maxsize=100)
        self.started = False

    def offer(self, frame: EncodedFrame) -> None:
        if not self.started and not frame.keyframe:
            return
        self.started = True
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(frame)

    async def recv(self):  # type: ignore[no-untyped-def]
        frame = await self.queue.get()
        if frame is None or self.readyState != "live":
            raise MediaStreamError
        return frame.to_av_packet()


@dataclass
class Stream:
    publisher: RTCPeerConnection
    resource: str
    codec: Codec | None = None
    decoded: MediaStreamTrack | None = None
    relay: MediaRelay = field(default_factory=MediaRelay)
    viewers: dict[str, tuple[RTCPeerConnection, PacketTrack | None]] = field(default_factory=dict)

    def fan_out(self, frame: EncodedFrame) -> None:
        for _, track in self.viewers.values():
            if track is not None:
                track.offer(frame)


def only_codec(offer: str, codec: Codec) -> str:
    """The offer with its video sections narrowed to `codec` (aiortc's answer follows the offer's
    codec order and ignores the answerer's preferences)."""
    description = SessionDescription.parse(offer)
    for media in description.media:
        if media.kind != "video":
            continue
        kept = [c for c in media.rtp.codecs if codec_of_or_none(c.mimeType) == codec]
        kept_types = {c.payloadType for c in kept}
        kept += [
            c for c in media.rtp.codecs if c.mimeType.lower() == "video/rtx" and c.parameters.get("apt") in kept_types
        ]
        media.rtp.codecs = kept
        media.fmt = [c.payloadType for c in kept]
    return str(description)


def codec_of_or_none(mime: str) -> Codec | None:
    try:
        return codec_of(mime)
    except ValueError:
        return None


def create_app(relay_mode: str) -> FastAPI:
    app = FastAPI(title=f"aiortc media baseline ({relay_mode})")
    streams: dict[str, Stream] = {}

    async def sdp_of(request: Request) -> str:
        if not request.headers.get("content-type", "").startswith(SDP):
            raise HTTPException(415, "Content-Type must be application/sdp")
        return (await request.body()).decode()

    @app.post("/whip/{stream_id}", status_code=201)
    async def publish(stream_id: str, request: Request) -> Response:
        offer = await sdp_of(request)
        if stream_id in streams:
            raise HTTPException(409, f"stream {stream_id} already has a publisher")
        pc = RTCPeerConnection()
        stream = Stream(publisher=pc, resource=uuid.uuid4().hex)

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            stream.decoded = track

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        except ValueError as exc:
            await pc.close()
            raise HTTPException(400, f"bad SDP offer: {exc}") from exc
        transceiver = next(t for t in pc.getTransceivers() if t.kind == "video")
        if relay_mode == "passthrough":
            tap_receiver(transceiver.receiver, stream.fan_out)
        await pc.setLocalDescription(await pc.createAnswer())
        stream.codec = codec_of_or_none(transceiver._codecs[0].mimeType) if transceiver._codecs else None
        streams[stream_id] = stream
        return Response(
            pc.localDescription.sdp,
            status_code=201,
            media_type=SDP,
            headers={"Location": f"/whip/{stream_id}/{stream.resource}"},
        )

    @app.post("/whep/{stream_id}", status_code=201)
    async def view(stream_id: str, request: Request) -> Response:
        offer = await sdp_of(request)
        stream = streams.get(stream_id)
        if stream is None:
            raise HTTPException(404, f"no stream {stream_id}")
        pc = RTCPeerConnection()
        packets: PacketTrack | None = None
        if relay_mode == "passthrough":
            assert stream.codec is not None
            offer = only_codec(offer, stream.codec)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        if relay_mode == "passthrough":
            packets = PacketTrack()
            pc.addTrack(packets)
        else:
            if stream.decoded is None:
                raise HTTPException(409, "the publisher's track has not arrived yet")
            pc.addTrack(stream.relay.subscribe(stream.decoded))
        await pc.setLocalDescription(await pc.createAnswer())
        resource = uuid.uuid4().hex
        stream.viewers[resource] = (pc, packets)
        if packets is not None:
            await request_keyframe(stream.publisher.getTransceivers()[0].receiver)
        return Response(
            pc.localDescription.sdp,
            status_code=201,
            media_type=SDP,
            headers={"Location": f"/whep/{stream_id}/{resource}"},
        )

    @app.delete("/whip/{stream_id}/{resource}")
    async def unpublish(stream_id: str, resource: str) -> dict[str, str]:
        stream = streams.get(stream_id)
        if stream is None or stream.resource != resource:
            raise HTTPException(404, "no such publication")
        del streams[stream_id]
        for pc, _ in stream.viewers.values():
            await pc.close()
        await stream.publisher.close()
        return {"deleted": resource}

    @app.delete("/whep/{stream_id}/{resource}")
    async def unview(stream_id: str, resource: str) -> dict[str, str]:
        stream = streams.get(stream_id)
        if stream is None or resource not in stream.viewers:
            raise HTTPException(404, "no such viewer")
        pc, _ = stream.viewers.pop(resource)
        await pc.close()
        return {"deleted": resource}

    @app.get("/health")
    async def health() -> dict[str, int]:
        return {"streams": len(streams)}

    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--relay", choices=["decode", "passthrough"], default="decode")
    args = parser.parse_args()
    uvicorn.run(create_app(args.relay), host="127.0.0.1", port=args.port, log_level="warning")
