"""make bench-media's transcoding figure: one 720p25 H.265 camera (GStreamer's RTSP server,
rvi_platform.testing_camera) registered on the gateway under test, one WHEP viewer offering only
H.264, so the gateway's transcoding pool decodes the camera and encodes H.264 for it. The pool's
CPU comes from the gateway's own counter (`rvi_gateway_transcode_cpu_seconds_total{kind="video"}`,
the worker thread's CPU time) over the window: percent of one core per transcoded stream, scaled
to the camera's 25 fps when the machine's load kept the camera or the pool below it."""

from __future__ import annotations

import asyncio
import time

import httpx

from rvi_platform.media_peers.whep import WhepViewer
from rvi_platform.testing_camera.cameras import running_rtsp_camera

FPS = 25
COUNTER = 'rvi_gateway_transcode_cpu_seconds_total{kind="video"}'


async def pool_cpu_s(http: httpx.AsyncClient) -> float:
    text = (await http.get("/metrics")).text
    for line in text.splitlines():
        if line.startswith(COUNTER + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def transcode_pct(http: httpx.AsyncClient, feeds_url: str, officer: dict[str, str], window_s: float) -> float:
    """Registers the camera as an RTSP feed at `feeds_url` (a session's feeds), watches it as
    H.264 and returns the pool's CPU over `window_s` in % of one core."""
    async with running_rtsp_camera("h265", width=1280, height=720, fps=FPS, bitrate_kbps=2000, key_int_max=50) as cam:
        feed = await http.post(
            feeds_url, json={"kind": "rtsp", "label": "bench H.265 camera", "url": cam.url}, headers=officer
        )
        if feed.status_code != 201:
            raise RuntimeError(f"register the H.265 camera: {feed.status_code} {feed.text[:300]}")
        body = feed.json()
        viewer = WhepViewer(body["whep_url"], body["view_token"], codecs=("h264",), client=http, keep_receipts=False)
        try:
            await viewer.start()
            await viewer.frames(25, within_s=60)  # past the first keyframe and the encoder's start
            cpu0, frames0, t0 = await pool_cpu_s(http), viewer.frames_received, time.monotonic()
            await asyncio.sleep(window_s)
            cpu1, frames1, t1 = await pool_cpu_s(http), viewer.frames_received, time.monotonic()
        finally:
            await viewer.close()
    fps = (frames1 - frames0) / (t1 - t0)
    pct = 100.0 * (cpu1 - cpu0) / (t1 - t0)
    # On a busy machine the camera's own x265 encoder may fall behind 25 fps: scaled to all frames,
    # as the decode baseline's figure is.
    full = pct * FPS / fps if fps > 0 else float("nan")
    print(
        f"[bench] transcoding pool: one 1280x720 {FPS} fps H.265 camera -> H.264 viewer: {pct:.1f} % of a core at "
        f"{fps:.1f} fps delivered, {full:.1f} % scaled to {FPS} fps",
        flush=True,
    )
    return full
