"""The demo's live video: the enterprise publishes a camera over WHIP (here aiortc sending a
synthetic H.264 clip as a camera would), an officer records the credentials step as a clip and
takes a snapshot of the ID card; both go on the evidence chain."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from rvi_platform.media_peers.clips import ClipSpec, load_clip
from rvi_platform.media_peers.tracks import ClipTrack
from rvi_platform.media_peers.whip import WhipPublisher

CAMERA = ClipSpec(codec="h264", width=640, height=360, fps=25, seconds=4.0, bitrate=800_000)
CLIP_SECONDS = 2.5


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
    publisher = WhipPublisher(
        feed["whip_url"], feed["publish_token"], ClipTrack(clip, "h264"), codec="h264", client=client
    )
    await publisher.start()
    try:
        log(f"enterprise camera live over WHIP ({publisher.codec}); officers watch at {feed['whep_url']}")
        recording = _ok(
            await client.post(
                f"{session_url}/recordings",
                json={
                    "feed_id": feed["feed_id"],
                    "kind": "credentials_presented",
                    "note": "Officers' credentials shown to camera",
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
            f"clip {closed['file']} ({closed['frames']} frames, as received) sha256 {closed['sha256'][:16]}… on the chain"
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
        await publisher.close()
    manifest = _ok(await client.get(f"{session_url}/manifest", headers=officer), "manifest")
    return [e["entry"] for e in manifest["entries"] if e["entry"]["file"]]
