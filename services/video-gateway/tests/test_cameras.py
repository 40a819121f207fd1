"""Every common camera, each a real GStreamer RTSP camera: probed at registration (DESCRIBE and
the first keyframe) with what was found stored, refused with the reason when unusable; B-frames
recorded with every frame and its decoding order; H.265 recorded as received; a camera whose
codec contradicts its SDP label named as such."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import av
import httpx
from aiortc import RTCPeerConnection

from rvi_platform.media_peers.signalling import offer
from rvi_platform.testing import Tokens, eventually
from rvi_platform.testing_camera.cameras import running_rtsp_camera
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


async def test_an_h265_camera_is_recorded_as_received_and_not_sent_to_webrtc_viewers(
    start_session: StartSession,
    client: httpx.AsyncClient,
    tokens: Tokens,
    media: MediaPeers,
    settings: VideoGatewaySettings,
) -> None:
    session = await start_session()
    async with running_rtsp_camera("h265", width=640, height=360, bitrate_kbps=800, key_int_max=25) as camera:
        registered = await register(client, tokens, session, camera.url)
        assert registered.status_code == 201, registered.text
        feed = registered.json()
        assert feed["codec"] == "h265" and feed["probe"]["video_codec"] == "hevc"
        assert feed["probe"]["relayed_to_webrtc"] is False and "transcoding" in feed["probe"]["notes"][0]
        viewer_feed = await media.with_view_token(session, feed)
        offer = await _viewer_offer()
        refused = await client.post(
            viewer_feed["whep_url"],
            content=offer,
            headers={"Content-Type": "application/sdp", "Authorization": f"Bearer {viewer_feed['view_token']}"},
        )
        assert refused.status_code == 409 and "H.265" in refused.json()["detail"]
        clip = await record(client, tokens, session, feed["feed_id"], 60)
    path = Path(settings.evidence_dir) / session["session_id"] / clip["file"]
    assert path.suffix == ".mp4"
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "hevc"
        assert stream.codec_context.codec_tag in ("hev1", "hvc1")
        assert sum(1 for _ in container.decode(stream)) == clip["frames"] >= 50


async def test_cameras_that_cannot_be_used_are_refused_at_registration_with_the_reason(
    start_session: StartSession, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    session = await start_session()
    async with running_rtsp_camera("vp9", width=320, height=240, key_int_max=10) as camera:
        response = await register(client, tokens, session, camera.url)
    assert response.status_code == 422 and "sends VP9 video" in response.json()["detail"]
    assert response.json()["field"] == "url"
    # Issue 9: an MJPEG camera was registered (201) and failed when watched (409).
    async with running_rtsp_camera("mjpeg", width=320, height=240) as camera:
        response = await register(client, tokens, session, camera.url)
    assert response.status_code == 422 and "sends MJPEG video" in response.json()["detail"]
    assert "transcoding pool" in response.json()["detail"]
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
        pc = RTCPeerConnection()
        try:
            pc.addTransceiver("video", direction="recvonly")
            pc.addTransceiver("audio", direction="recvonly")
            answered = await client.post(
                feed["whep_url"],
                content=await offer(pc),
                headers={"Content-Type": "application/sdp", "Authorization": f"Bearer {feed['view_token']}"},
            )
        finally:
            await pc.close()
        assert answered.status_code == 201, answered.text
        assert "the feed's audio is aac" in answered.headers["Warning"] and "\r\nm=audio 0 " in answered.text
        clip = await record(client, tokens, session, feed["feed_id"], 100)
    assert clip["file"].endswith(".mp4") and clip["audio_codec"] == "aac" and clip["audio_packets"] >= 20
    path = Path(settings.evidence_dir) / session["session_id"] / clip["file"]
    with av.open(str(path)) as container:
        assert container.streams.audio[0].codec_context.name == "aac"
        assert container.streams.audio[0].codec_context.sample_rate == 16000
        decoded = sum(1 for _ in container.decode(audio=0))
    assert decoded >= 20, "the camera's AAC as received decodes from the clip"


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
