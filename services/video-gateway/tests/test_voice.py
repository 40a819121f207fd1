"""Two-way voice with real aiortc peers: the enterprise's camera and microphone reach every
officer's viewer with the audio packets byte-identical (Opus and G.711 relayed as received), an
officer's talk-back reaches the enterprise, and a key step's clip holds the audio as received."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av
import httpx
import pytest
from aiortc import RTCPeerConnection

from rvi_platform.media_peers.signalling import offer
from rvi_platform.media_peers.whep import WhepViewer
from rvi_platform.testing import Tokens, eventually
from rvi_video_gateway.settings import VideoGatewaySettings

if TYPE_CHECKING:
    from conftest import MediaPeers, StartSession


def clip_streams(path: Path) -> tuple[str, str, list[bytes], int]:
    """(video codec, audio codec, the audio packets' bytes, video packets) of a clip."""
    with av.open(str(path)) as container:
        video = container.streams.video[0].codec_context.name
        audio = container.streams.audio[0].codec_context.name
        audio_packets: list[bytes] = []
        frames = 0
        for packet in container.demux():
            if not packet.size:
                continue
            if packet.stream.type == "audio":
                audio_packets.append(bytes(packet))
            else:
                frames += 1
    return video, audio, audio_packets, frames


@pytest.mark.parametrize(
    ("voice", "container", "ffmpeg_audio"), [("opus", ".mp4", "opus"), ("pcma", ".mov", "pcm_alaw")]
)
async def test_camera_and_microphone_reach_every_officer_and_the_clip(
    voice: str,
    container: str,
    ffmpeg_audio: str,
    start_session: StartSession,
    media: MediaPeers,
    clip: Callable[..., Any],
    client: httpx.AsyncClient,
    tokens: Tokens,
    settings: VideoGatewaySettings,
) -> None:
    session = await start_session()
    feed = await media.create_feed(session)
    publisher = await media.publish(feed, clip("h264", seconds=8.0), audio=voice)
    assert publisher.audio is not None and publisher.warning is None
    viewers = [await media.view(feed, audio=True) for _ in range(2)]
    for viewer in viewers:
        await viewer.audio_arrived(60)
        # Relayed as received: every packet an officer hears is one the microphone sent.
        assert set(viewer.audio_digests) <= publisher.audio.digests
        assert len(set(viewer.audio_digests)) >= 55
        await viewer.frames(25)

    officer = tokens.header(tokens.officer())
    response = await client.post(
        f"/v1/sessions/{session['session_id']}/recordings",
        json={"feed_id": feed["feed_id"], "kind": "credentials_presented", "note": "badge shown and read out"},
        headers=officer,
    )
    assert response.status_code == 201, response.text
    recording = response.json()
    sent_before = publisher.audio.sent
    await eventually(lambda: _async(publisher.audio.sent - sent_before >= 150), "3 s of audio sent", 30)
    response = await client.post(
        f"/v1/sessions/{session['session_id']}/recordings/{recording['recording_id']}/stop", headers=officer
    )
    assert response.status_code == 200, response.text
    closed = response.json()
    assert closed["file"].endswith(container) and closed["audio_codec"] == voice
    assert closed["audio_packets"] >= 100
    path = Path(settings.evidence_dir) / session["session_id"] / closed["file"]
    video, audio, audio_packets, frames = clip_streams(path)
    assert (video, audio) == ("h264", ffmpeg_audio)
    # Remuxed, never re-encoded: the clip's audio packets are the microphone's own bytes.
    assert len(audio_packets) == closed["audio_packets"]
    assert {hashlib.sha1(p).digest() for p in audio_packets} <= publisher.audio.digests
    assert frames == closed["frames"] >= 50
    assert hashlib.sha256(path.read_bytes()).hexdigest() == closed["sha256"]


async def _async(value: bool) -> bool:
    return value


async def test_talk_back_is_heard_by_the_enterprise(
    start_session: StartSession, media: MediaPeers, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    session = await start_session()
    sid, enterprise = session["session_id"], tokens.header(tokens.enterprise(session["enterprise_id"]))
    # The enterprise does not publish talk-back; an officer of the team does.
    response = await client.post(f"/v1/sessions/{sid}/feeds", json={"kind": "talkback"}, headers=enterprise)
    assert response.status_code == 403
    response = await client.post(
        f"/v1/sessions/{sid}/feeds",
        json={"kind": "talkback", "label": "Wang Li"},
        headers=tokens.header(tokens.officer()),
    )
    assert response.status_code == 201, response.text
    talkback = response.json()
    assert talkback["publish_token"] and talkback["whip_url"]
    # The enterprise asks for its listening token; a publish token it does not get.
    response = await client.post(
        f"/v1/sessions/{sid}/feeds/{talkback['feed_id']}/tokens", json={"scope": "view"}, headers=enterprise
    )
    assert response.status_code == 200, response.text
    listen_token = response.json()["view_token"]
    response = await client.post(
        f"/v1/sessions/{sid}/feeds/{talkback['feed_id']}/tokens", json={"scope": "publish"}, headers=enterprise
    )
    assert response.status_code == 403

    officer = await media.publish(talkback, None, audio="opus")
    assert officer.audio is not None
    listener = WhepViewer(talkback["whep_url"], listen_token, client=client, audio=True, video=False)
    media.opened.append(listener)
    await listener.start()
    await listener.audio_arrived(50)
    assert set(listener.audio_digests) <= officer.audio.digests
    assert listener.frames_received == 0

    # A browser's audio + video offer to a talk-back feed: the video section is answered rejected
    # (port 0, RFC 8829 5.3.1) and the Warning header says why.
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver("video", direction="recvonly")
        pc.addTransceiver("audio", direction="recvonly")
        response = await client.post(
            talkback["whep_url"],
            content=await offer(pc),
            headers={"Content-Type": "application/sdp", "Authorization": f"Bearer {listen_token}"},
        )
    finally:
        await pc.close()
    assert response.status_code == 201, response.text
    assert "\r\nm=video 0 " in response.text and "audio only" in response.headers["Warning"]
    await client.delete(response.headers["Location"], headers={"Authorization": f"Bearer {listen_token}"})
    listed = await client.get(f"/v1/sessions/{sid}/feeds", headers=enterprise)
    mine = next(f for f in listed.json() if f["feed_id"] == talkback["feed_id"])
    assert mine["kind"] == "talkback" and mine["audio_codec"] == "opus" and mine["state"] == "live"
