"""The demo's live session as people conduct it: the enterprise publishes its camera and
microphone over WHIP (aiortc sending a synthetic H.264 clip and an Opus voice, as a phone would),
an officer talks back over WHIP (audio only) and the enterprise's side hears it over WHEP, an
officer records the credentials step as a clip holding video and audio and takes a snapshot of
the ID card; both go on the evidence chain."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from rvi_platform.media_peers.clips import ClipSpec, load_clip
from rvi_platform.media_peers.tracks import AudioClipTrack, ClipTrack, encode_audio_clip
from rvi_platform.media_peers.whep import WhepViewer
from rvi_platform.media_peers.whip import WhipPublisher

CAMERA = ClipSpec(codec="h264", width=640, height=360, fps=25, seconds=4.0, bitrate=800_000)
CLIP_SECONDS = 2.5
TALK_BACK_PACKETS = 25  # half a second of the officer's voice heard on the enterprise's side


def _ok(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.is_error:
        raise RuntimeError(f"{what}: HTTP {response.status_code}: {response.text}")
    return dict(response.json())


async def record_on_camera(
    client: httpx.AsyncClient,
    session_url: str,
    enterprise: dict[str, str],
    officer: dict[str, str],
    log: Callable[[str], None],
) -> list[dict[str, Any]]:
    """Returns the manifest entries of the clip and the snapshot."""
    feed = _ok(
        await client.post(f"{session_url}/feeds", json={"kind": "webrtc", "label": "site camera"}, headers=enterprise),
        "feed",
    )
    clip = await asyncio.to_thread(load_clip, CAMERA)
    microphone = await asyncio.to_thread(encode_audio_clip, "opus", 4.0, 1)
    camera = WhipPublisher(
        feed["whip_url"],
        feed["publish_token"],
        ClipTrack(clip, "h264"),
        codec="h264",
        client=client,
        audio=AudioClipTrack(microphone),
    )
    await camera.start()
    talk_back: WhipPublisher | None = None
    listener: WhepViewer | None = None
    try:
        log(
            f"enterprise camera and microphone live over WHIP ({camera.codec} + opus); officers watch at {feed['whep_url']}"
        )
        talk = _ok(
            await client.post(f"{session_url}/feeds", json={"kind": "talkback", "label": "Wang Li"}, headers=officer),
            "talk-back feed",
        )
        voice = await asyncio.to_thread(encode_audio_clip, "opus", 4.0, 2)
        voice_track = AudioClipTrack(voice)
        talk_back = WhipPublisher(talk["whip_url"], talk["publish_token"], None, client=client, audio=voice_track)
        await talk_back.start()
        listen = _ok(
            await client.post(
                f"{session_url}/feeds/{talk['feed_id']}/tokens", json={"scope": "view"}, headers=enterprise
            ),
            "listening token",
        )
        listener = WhepViewer(talk["whep_url"], listen["view_token"], client=client, audio=True, video=False)
        await listener.start()
        await listener.audio_arrived(TALK_BACK_PACKETS)
        identical = set(listener.audio_digests) <= voice_track.digests
        log(
            f"officer's talk-back heard on the enterprise's side: {listener.audio_packets} Opus packets, "
            f"{'byte-identical to what was sent' if identical else 'NOT as sent'}"
        )
        recording = _ok(
            await client.post(
                f"{session_url}/recordings",
                json={
                    "feed_id": feed["feed_id"],
                    "kind": "credentials_presented",
                    "note": "Officers' credentials shown to camera and read out",
                },
                headers=officer,
            ),
            "start recording",
        )
        await asyncio.sleep(CLIP_SECONDS)
        closed = _ok(
            await client.post(f"{session_url}/recordings/{recording['recording_id']}/stop", headers=officer),
            "stop recording",
        )
        log(
            f"clip {closed['file']} ({closed['frames']} video frames, {closed['audio_packets']} {closed['audio_codec']} "
            f"packets, as received) sha256 {closed['sha256'][:16]}… on the chain"
        )
        snapshot = _ok(
            await client.post(
                f"{session_url}/snapshots",
                json={
                    "feed_id": feed["feed_id"],
                    "kind": "identity_verified",
                    "note": "Representative Li Mei, ID card",
                },
                headers=officer,
            ),
            "snapshot",
        )
        log(f"snapshot {snapshot['entry']['file']} on the chain")
    finally:
        for peer in (listener, talk_back, camera):
            if peer is not None:
                await peer.close()
    manifest = _ok(await client.get(f"{session_url}/manifest", headers=officer), "manifest")
    return [e["entry"] for e in manifest["entries"] if e["entry"]["file"]]


# The gateway's default thresholds ask for 1280x720 at 15 fps and 1 Mb/s (GACC-RVI 4(II)).
TEST_CAMERA = ClipSpec(codec="h264", width=1280, height=720, fps=25, seconds=4.0, bitrate=2_000_000)


async def run_equipment_test(
    client: httpx.AsyncClient,
    gateway_url: str,
    inspection_id: str,
    enterprise: dict[str, str],
    log: Callable[[str], None],
    timeout_s: float = 90.0,
) -> dict[str, Any]:
    """The enterprise's equipment test (GACC-RVI 4(II)): publish the camera to the test's WHIP
    URL until the gateway has measured it; returns the test with its result."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:  # the gateway learns of a scheduled inspection from scheduling's events, a hop later
        response = await client.post(
            f"{gateway_url}/v1/inspections/{inspection_id}/equipment-tests", headers=enterprise
        )
        if response.status_code != 404 or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.2)
    test = _ok(response, "equipment test")
    clip = await asyncio.to_thread(load_clip, TEST_CAMERA)
    publisher = WhipPublisher(
        test["whip_url"], test["publish_token"], ClipTrack(clip, "h264"), codec="h264", client=client
    )
    await publisher.start()
    try:
        while True:
            result = _ok(
                await client.get(f"{gateway_url}/v1/equipment-tests/{test['test_id']}", headers=enterprise), "test"
            )
            if result["state"] != "waiting":
                break
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"equipment test {test['test_id']} still waiting after {timeout_s} s")
            await asyncio.sleep(0.5)
    finally:
        await publisher.close()
    m = result.get("measurement") or {}
    log(
        f"equipment test {result['state']}: {m.get('width')}x{m.get('height')} {m.get('fps')} fps "
        f"{m.get('bitrate_kbps')} kb/s, loss {m.get('packet_loss_pct')} %, rtt {m.get('rtt_ms')} ms"
    )
    return result
