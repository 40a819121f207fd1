"""Real RTSP cameras for tests: rtsp_camera.py under Debian's python (GStreamer's RTSP server),
one subprocess per camera on a port the OS picks.

    with rtsp_camera("vp8", fps=15) as camera:  # or: async with running_rtsp_camera(...)
        source = RtspSource(camera.url, sink, loop)
        ...
        camera.kill()  # the camera vanishes mid-stream

The test command installs GStreamer first (`make system-deps`)."""

from __future__ import annotations

import asyncio
import os
import selectors
import signal
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

SCRIPT = Path(__file__).with_name("rtsp_camera.py")
CameraCodec = Literal["h264", "h265", "mjpeg", "vp8", "vp9"]
SYSTEM_PYTHON = "/usr/bin/python3"
READY = "READY "
INSTALL_HINT = "the RTSP test camera needs GStreamer's RTSP server: run `make system-deps` (Debian 12)"


@dataclass
class RtspCamera:
    url: str
    codec: CameraCodec
    width: int
    height: int
    fps: int
    bitrate_kbps: int
    key_int_max: int
    process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: the camera vanishes without a TEARDOWN, as a camera losing power does."""
        if self.alive:
            self.process.kill()
        self.process.wait(5)

    def stop(self) -> None:
        if self.alive:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@contextmanager
def rtsp_camera(
    codec: CameraCodec = "h264",
    *,
    width: int = 1280,
    height: int = 720,
    fps: int = 25,
    bitrate_kbps: int = 2000,
    key_int_max: int = 50,
    inband_parameter_sets: bool = True,
    ready_timeout_s: float = 15.0,
    **options: Any,
) -> Iterator[RtspCamera]:
    """A camera serving rtsp://127.0.0.1:<port>/cam1 until the block ends (or kill()). vp9 is
    there as a codec the gateway refuses, mjpeg as one it transcodes; inband_parameter_sets=False keeps H.264's
    SPS/PPS to the SDP, as some cameras do. Options of start_camera: profile and bframes (H.264),
    audio (pcma, pcmu, aac, opus), mislabel (H.264 under an SDP saying H265), resize_after_s and
    resize_to (the picture size changes mid-stream, new parameter sets on the same session)."""
    camera = start_camera(
        codec,
        width=width,
        height=height,
        fps=fps,
        bitrate_kbps=bitrate_kbps,
        key_int_max=key_int_max,
        inband_parameter_sets=inband_parameter_sets,
        ready_timeout_s=ready_timeout_s,
        **options,
    )
    try:
        yield camera
    finally:
        camera.stop()


@asynccontextmanager
async def running_rtsp_camera(codec: CameraCodec = "h264", **options: Any) -> AsyncIterator[RtspCamera]:
    """rtsp_camera for async tests: starting and stopping happen off the event loop's thread."""
    camera = await asyncio.to_thread(start_camera, codec, **options)
    try:
        yield camera
    finally:
        await asyncio.to_thread(camera.stop)


def start_camera(
    codec: CameraCodec = "h264",
    *,
    width: int = 1280,
    height: int = 720,
    fps: int = 25,
    bitrate_kbps: int = 2000,
    key_int_max: int = 50,
    inband_parameter_sets: bool = True,
    ready_timeout_s: float = 15.0,
    profile: str = "constrained-baseline",
    bframes: int = 0,
    audio: str = "none",
    mislabel: bool = False,
    resize_after_s: float = 0,
    resize_to: tuple[int, int] | None = None,
) -> RtspCamera:
    """Starts a camera and returns once its server listens; the caller stops it."""
    if not os.path.exists(SYSTEM_PYTHON):
        raise RuntimeError(f"{SYSTEM_PYTHON} is missing; {INSTALL_HINT}")
    args = [
        SYSTEM_PYTHON,
        str(SCRIPT),
        "--port=0",
        f"--codec={codec}",
        f"--width={width}",
        f"--height={height}",
        f"--fps={fps}",
        f"--bitrate={bitrate_kbps}",
        f"--key-int-max={key_int_max}",
        *([] if inband_parameter_sets else ["--no-inband-parameter-sets"]),
        f"--profile={profile}",
        f"--bframes={bframes}",
        f"--audio={audio}",
        *(["--mislabel"] if mislabel else []),
        *([f"--resize-after={resize_after_s}", f"--resize-to={resize_to[0]}x{resize_to[1]}"] if resize_to else []),
    ]
    # The venv's variables must not steer Debian's python to the venv's packages.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    # GStreamer's warnings go to a file: a pipe nobody reads would fill and stall the camera.
    errors = tempfile.TemporaryFile()
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errors, env=env, start_new_session=True)
    try:
        url = _ready_url(process, ready_timeout_s)
    except BaseException as exc:
        if process.poll() is None:
            process.kill()
        process.wait(5)
        errors.seek(0)
        detail = errors.read().decode(errors="replace").strip()[-2000:]
        raise RuntimeError(f"RTSP test camera did not start: {exc}; {INSTALL_HINT}\n{detail}") from None
    finally:
        errors.close()
    return RtspCamera(
        url=url,
        codec=codec,
        width=width,
        height=height,
        fps=fps,
        bitrate_kbps=bitrate_kbps,
        key_int_max=key_int_max,
        process=process,
    )


def _ready_url(process: subprocess.Popen[bytes], timeout_s: float) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout_s
    buffered = b""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while b"\n" not in buffered:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no ready line within {timeout_s:g} s")
            if not selector.select(remaining):
                continue
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                raise RuntimeError(f"it exited with status {process.wait(5)}")
            buffered += chunk
    line = buffered.split(b"\n", 1)[0].decode()
    if not line.startswith(READY):
        raise RuntimeError(f"unexpected first line {line!r}")
    return line.removeprefix(READY).strip()
