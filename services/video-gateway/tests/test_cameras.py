"""Every common camera, each a real GStreamer RTSP camera: probed at registration (DESCRIBE and
the first keyframe) with what was found stored, refused with the reason when unusable; B-frames
recorded with every frame and its decoding order; H.265 recorded as received and relayed as
received (RFC 7798) or through the transcoding pool; MJPEG through the pool, which answers 503
when full; AAC heard as Opus; a camera whose codec contradicts its SDP label named as such."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import av
import httpx
from aiortc import RTCPeerConnection
from fastapi import FastAPI

from rvi_platform.media_peers.clips import frame_digest
from rvi_platform.media_peers.signalling import offer
from rvi_platform.testing import Tokens, eventually
from rvi_platform.testing_camera.cameras import running_rtsp_camera
from rvi_video_gateway.media.packets import EncodedFrame
from rvi_video_gateway.media.rtsp_source import RtspSource
from rvi_video_gateway.settings import VideoGatewaySettings

if TYPE_CHECKING:
    from conftest import MediaPeers, StartSession


async def register(client: httpx.AsyncClient, tokens: Tokens, session: dict[str, Any], url: str) -> httpx.Response:
    return await client.post(
        f"/v1/sessions/{session['session_id']}/feeds",
        json={"kind": "rtsp", "label": "site camera", "url": url},
        headers=tokens.header(tokens.enterprise(session["enterprise_id"])),
    )


async def record(
    client: httpx.AsyncClient, tokens: Tokens, session: dict[str, Any], feed_id: str, frames: int
) -> dict[str, Any]:
    """A key step's clip of at least `frames` frames from the feed."""
    officer = tokens.header(tokens.officer())
    sid = session["session_id"]

    async def relayed() -> int:
        feeds = (await client.get(f"/v1/sessions/{sid}/feeds", headers=officer)).json()
        return int(next(f for f in feeds if f["feed_id"] == feed_id)["frames"])

    before = await relayed()
    started = await client.post(
        f"/v1/sessions/{sid}/recordings",
        json={"feed_id": feed_id, "kind": "checklist_item:I2", "site_id": "S1", "note": "crop rows"},
        headers=officer,
    )
    assert started.status_code == 201, started.text

    async def enough() -> bool:
        return await relayed() >= before + frames

    await eventually(enough, f"{frames} frames from the camera", 40)
    stopped = await client.post(f"/v1/sessions/{sid}/recordings/{started.json()['recording_id']}/stop", headers=officer)
    assert stopped.status_code == 200, stopped.text
    return dict(stopped.json())


async def test_b_frames_are_probed_and_every_frame_is_recorded(
    start_session: StartSession,
    client: httpx.AsyncClient,
    tokens: Tokens,
    settings: VideoGatewaySettings,
) -> None:
    """Issue 9: an x264 High camera with bframes=2 gave a clip of only I and P frames (53 frames in
    5.2 s) signed as evidence; now every frame is in it, in decoding order, with its own pts."""
    session = await start_session()
    async with running_rtsp_camera(
        "h264", width=640, height=360, bitrate_kbps=800, key_int_max=25, profile="high", bframes=2
    ) as camera:
        registered = await register(client, tokens, session, camera.url)
        assert registered.status_code == 201, registered.text
        probe = registered.json()["probe"]
        assert probe["video_codec"] == "h264" and probe["profile"] == "High" and probe["b_frames"] is True
        assert (probe["width"], probe["height"]) == (640, 360) and probe["relayed_to_webrtc"] is True
        clip = await record(client, tokens, session, registered.json()["feed_id"], 100)
    assert "not written" not in clip["note"], clip["note"]
    path = Path(settings.evidence_dir) / session["session_id"] / clip["file"]
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        packets = [p for p in container.demux(stream) if p.size]
        duration_s = float((packets[-1].dts - packets[0].dts) * stream.time_base)
    with av.open(str(path)) as container:
        pictures = list(container.decode(video=0))
    assert len(packets) == clip["frames"] >= 75
    dts = [p.dts for p in packets]
    assert dts == sorted(dts) and len(set(dts)) == len(dts), "decoding order kept, strictly rising"
    assert any(p.pts > p.dts for p in packets), "B-frames: presentation after decoding"
    # Every frame: the camera's 25 fps, not the 10 fps of a clip without its B-frames.
    assert 22 <= (len(packets) - 1) / duration_s <= 28, (len(packets), duration_s)
    types = [{1: "I", 2: "P", 3: "B"}.get(int(p.pict_type), "?") for p in pictures]
    assert len(pictures) == len(packets), "each recorded frame decodes"
    assert types.count("B") >= len(types) // 2, types[:20]
    assert types[0] == "I"


async def test_an_h265_camera_is_recorded_as_received_and_reaches_webrtc_viewers_as_h264(
    start_session: StartSession,
    client: httpx.AsyncClient,
    tokens: Tokens,
    media: MediaPeers,
    app: FastAPI,
) -> None:
    """Issue 9: an H.265 camera's viewers got 409. Now the clip keeps the camera's H.265 and the
    viewers get H.264 from one transcode of the feed, shared."""
    session = await start_session()
    async with running_rtsp_camera("h265", width=640, height=360, bitrate_kbps=800, key_int_max=25) as camera:
        registered = await register(client, tokens, session, camera.url)
        assert registered.status_code == 201, registered.text
        feed = registered.json()
        assert feed["codec"] == "h265" and feed["probe"]["video_codec"] == "hevc"
        assert feed["probe"]["relayed_to_webrtc"] is False and "transcoded to H.264" in feed["probe"]["notes"][0]
        viewer_feed = await media.with_view_token(session, feed)
        watching = await media.view(viewer_feed, decode=True)
        await watching.frames(25, within_s=30)
        assert watching.codec == "h264" and (watching.width, watching.height) == (640, 360)
        relayed = await media.view(viewer_feed)
        await relayed.frames(25, within_s=30)
        assert relayed.codec == "h264" and relayed.keyframes >= 1
        assert len(app.state.media_plane.transcodes.video) == 1, "one transcode per feed, shared by its viewers"
        clip = await record(client, tokens, session, feed["feed_id"], 60)
    path = Path(app.state.media_plane.settings.evidence_dir) / session["session_id"] / clip["file"]
    assert path.suffix == ".mp4"
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "hevc"
        assert stream.codec_context.codec_tag in ("hev1", "hvc1")
        assert sum(1 for _ in container.decode(stream)) == clip["frames"] >= 50


async def test_an_h265_camera_reaches_a_viewer_offering_h265_as_received(
    start_session: StartSession, client: httpx.AsyncClient, tokens: Tokens, media: MediaPeers, app: FastAPI
) -> None:
    """RFC 7798 both ways (media.h265): every frame the camera sent, in order, its coded slices
    byte-identical, and no transcode."""
    session = await start_session()
    async with running_rtsp_camera("h265", width=640, height=360, bitrate_kbps=800, key_int_max=25) as camera:
        sent: list[bytes] = []
        witness = RtspSource(camera.url, _Collect(sent))
        await witness.start()
        try:
            registered = await register(client, tokens, session, camera.url)
            assert registered.status_code == 201, registered.text
            feed = await media.with_view_token(session, registered.json())
            viewer = await media.view(feed, codecs=("h265",))
            await viewer.frames(75, within_s=30)
        finally:
            await witness.stop()
        assert viewer.codec == "h265" and not app.state.media_plane.transcodes.video
    received = [r.digest for r in viewer.receipts]
    assert received[0] in sent, "the viewer's first frame is one the camera sent"
    start = sent.index(received[0])
    # Both kept receiving while the other stopped: the frames both saw.
    seen = min(len(received), len(sent) - start)
    assert seen >= 70 and received[:seen] == sent[start : start + seen], "every frame, in order, as sent"


class _Collect:
    """What the camera sent, seen by a second RTSP client of its shared stream."""

    def __init__(self, digests: list[bytes]) -> None:
        self.digests = digests

    def on_frame(self, frame: EncodedFrame) -> None:
        if not frame.audio:
            self.digests.append(frame_digest("h265", frame.data))

    def on_lost(self, reason: str) -> None:
        pass


def _metric(text: str, name: str) -> float:
    line = next(line for line in text.splitlines() if line.startswith(name + " ") or line.startswith(name + "{"))
    return float(line.rsplit(" ", 1)[1])


async def test_mjpeg_cameras_are_accepted_and_a_full_transcoding_pool_answers_503(
    start_session: StartSession,
    client: httpx.AsyncClient,
    tokens: Tokens,
    media: MediaPeers,
    app: FastAPI,
) -> None:
    """Issue 9: MJPEG cameras were refused (422). Now they are recorded as received and watched
    as H.264 through the pool; with every slot taken the next viewer needing a transcode gets
    503 with the reason and Retry-After, and a freed slot admits it."""
    settings = app.state.media_plane.settings
    assert settings.transcode_limit == 2
    session = await start_session()
    small = {"width": 320, "height": 240}
    async with (
        running_rtsp_camera("mjpeg", **small) as mjpeg,
        running_rtsp_camera("h265", bitrate_kbps=300, key_int_max=25, **small) as h265,
        running_rtsp_camera("mjpeg", **small) as third,
    ):
        feeds = []
        for camera in (mjpeg, h265, third):
            registered = await register(client, tokens, session, camera.url)
            assert registered.status_code == 201, registered.text
            feeds.append(await media.with_view_token(session, registered.json()))
        assert feeds[0]["codec"] == "mjpeg" and "MJPEG is recorded as received" in feeds[0]["probe"]["notes"][0]
        first = await media.view(feeds[0], decode=True)
        await first.frames(20, within_s=30)
        assert first.codec == "h264" and (first.width, first.height) == (320, 240)
        second = await media.view(feeds[1], decode=True)
        await second.frames(20, within_s=30)
        refused = await client.post(
            feeds[2]["whep_url"],
            content=await _viewer_offer(),
            headers={"Content-Type": "application/sdp", "Authorization": f"Bearer {feeds[2]['view_token']}"},
        )
        assert refused.status_code == 503, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.headers["Retry-After"] == "15" and refused.json()["retry_after_s"] == 15
        assert "transcoding pool of this gateway instance is full (2 of 2" in refused.json()["detail"]
        exposition = (await client.get("/metrics")).text
        assert _metric(exposition, "rvi_gateway_transcodes") == 2
        assert _metric(exposition, 'rvi_gateway_transcode_cpu_seconds_total{kind="video"}') > 0
        clip = await record(client, tokens, session, feeds[0]["feed_id"], 25)

        await second.close()

        async def freed() -> bool:
            return len(app.state.media_plane.transcodes.video) == 1

        await eventually(freed, "the closed viewer's transcode stopped", 10)
        admitted = await media.view(feeds[2], decode=True)
        await admitted.frames(10, within_s=30)
    path = Path(settings.evidence_dir) / session["session_id"] / clip["file"]
    assert path.suffix == ".mov"
    with av.open(str(path)) as container:
        assert container.streams.video[0].codec_context.name == "mjpeg"
        assert sum(1 for _ in container.decode(video=0)) == clip["frames"] >= 25


async def test_cameras_that_cannot_be_used_are_refused_at_registration_with_the_reason(
    start_session: StartSession, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    session = await start_session()
    async with running_rtsp_camera("vp9", width=320, height=240, key_int_max=10) as camera:
        response = await register(client, tokens, session, camera.url)
    assert response.status_code == 422 and "sends VP9 video" in response.json()["detail"]
    assert response.json()["field"] == "url"
    # Issue 9: a camera whose SDP says H265 but which sends H.264 was "did not answer within 10 s".
    async with running_rtsp_camera("h264", width=320, height=240, key_int_max=10, mislabel=True) as camera:
        response = await register(client, tokens, session, camera.url)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert "labels the video H265, but its packets are not H265" in detail and "contradicts its SDP label" in detail
    # Nobody there: the reason, not a feed that fails later.
    async with running_rtsp_camera("h264", width=320, height=240) as camera:
        gone = camera.url
    response = await register(client, tokens, session, gone)
    assert response.status_code == 422 and "camera at" in response.json()["detail"]


async def _viewer_offer() -> str:
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver("video", direction="recvonly")
        return await offer(pc)
    finally:
        await pc.close()


async def test_camera_sound_g711_relayed_and_recorded_aac_recorded_as_received(
    start_session: StartSession,
    client: httpx.AsyncClient,
    tokens: Tokens,
    media: MediaPeers,
    settings: VideoGatewaySettings,
) -> None:
    session = await start_session()
    async with running_rtsp_camera(
        "h264", width=320, height=240, bitrate_kbps=400, key_int_max=25, audio="pcma"
    ) as camera:
        registered = await register(client, tokens, session, camera.url)
        assert registered.status_code == 201, registered.text
        assert registered.json()["probe"]["audio_codec"] == "pcma"
        feed = await media.with_view_token(session, registered.json())
        viewer = await media.view(feed, audio=True)
        await viewer.audio_arrived(50)
        await viewer.frames(10)
        clip = await record(client, tokens, session, feed["feed_id"], 100)
    assert clip["file"].endswith(".mov") and clip["audio_codec"] == "pcma" and clip["audio_packets"] >= 20
    path = Path(settings.evidence_dir) / session["session_id"] / clip["file"]
    with av.open(str(path)) as container:
        assert container.streams.audio[0].codec_context.name == "pcm_alaw"
        assert sum(1 for p in container.demux(audio=0) if p.size) == clip["audio_packets"]

    async with running_rtsp_camera(
        "h264", width=320, height=240, bitrate_kbps=400, key_int_max=25, audio="aac"
    ) as camera:
        registered = await register(client, tokens, session, camera.url)
        assert registered.status_code == 201, registered.text
        probe = registered.json()["probe"]
        assert probe["audio_codec"] == "aac" and any("AAC" in note for note in probe["notes"])
        feed = await media.with_view_token(session, registered.json())
        # Issue 9: the viewer's audio section was rejected; now the camera's AAC reaches it as Opus.
        listener = await media.view(feed, audio=True)
        await listener.audio_arrived(50)
        assert listener.warning is None and "opus/48000" in (listener.answer or "").lower()
        assert _loudness(listener.audio_payloads) > 0.05, "the Opus decodes to the camera's tone, not silence"
        clip = await record(client, tokens, session, feed["feed_id"], 100)
    assert clip["file"].endswith(".mp4") and clip["audio_codec"] == "aac" and clip["audio_packets"] >= 20
    path = Path(settings.evidence_dir) / session["session_id"] / clip["file"]
    with av.open(str(path)) as container:
        assert container.streams.audio[0].codec_context.name == "aac"
        assert container.streams.audio[0].codec_context.sample_rate == 16000
        decoded = sum(1 for _ in container.decode(audio=0))
    assert decoded >= 20, "the camera's AAC as received decodes from the clip"


def _loudness(opus_packets: list[bytes]) -> float:
    """RMS of the decoded packets, full scale 1.0."""
    decoder = av.CodecContext.create("opus", "r")
    squares = samples = 0.0
    for payload in opus_packets:
        for frame in decoder.decode(av.Packet(payload)):
            pcm = frame.to_ndarray().astype("float64")
            if frame.format.name.startswith("s16"):
                pcm /= 32768.0
            squares += float((pcm**2).sum())
            samples += pcm.size
    return (squares / samples) ** 0.5 if samples else 0.0


async def test_a_camera_with_parameter_sets_only_in_its_sdp_is_probed_and_recorded(
    start_session: StartSession,
    client: httpx.AsyncClient,
    tokens: Tokens,
    settings: VideoGatewaySettings,
) -> None:
    session = await start_session()
    async with running_rtsp_camera(
        "h264", width=320, height=240, bitrate_kbps=400, key_int_max=25, inband_parameter_sets=False
    ) as camera:
        registered = await register(client, tokens, session, camera.url)
        assert registered.status_code == 201, registered.text
        assert (registered.json()["probe"]["width"], registered.json()["probe"]["height"]) == (320, 240)
        clip = await record(client, tokens, session, registered.json()["feed_id"], 50)
    path = Path(settings.evidence_dir) / session["session_id"] / clip["file"]
    with av.open(str(path)) as container:
        assert sum(1 for _ in container.decode(video=0)) == clip["frames"] >= 40
