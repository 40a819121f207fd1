"""Synthetic encoded clips for test publishers: a moving gradient with a grain box, encoded once
with PyAV and cached on disk, so a publisher sends real H.264/VP8 bytes without encoding live.

Each frame's grain is drawn from a seeded generator, so every frame's bytes are unique within a
clip and `frame_digest` identifies a frame on both sides of a relay."""

from __future__ import annotations

import hashlib
import os
import random
import struct
import tempfile
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

import av

from rvi_video_gateway.media.packets import Codec

_FORMAT_VERSION = 1
_START = b"\x00\x00\x01"
_VCL_NAL_TYPES = frozenset(range(1, 6))  # coded slices: what a relay must carry unchanged
_RECORD = struct.Struct("!?I")


class ClipFrame(NamedTuple):
    data: bytes
    keyframe: bool


@dataclass(frozen=True, slots=True)
class ClipSpec:
    codec: Codec = "h264"
    width: int = 1280
    height: int = 720
    fps: int = 25
    seconds: float = 10.0
    bitrate: int = 2_000_000
    keyframe_interval: int = 50
    seed: int = 1

    @property
    def frame_count(self) -> int:
        return max(1, round(self.seconds * self.fps))

    @property
    def key(self) -> str:
        text = repr(sorted(asdict(self).items())) + f"/v{_FORMAT_VERSION}"
        return hashlib.sha1(text.encode()).hexdigest()[:16]


def default_cache_dir() -> Path:
    if configured := os.environ.get("RVI_CLIP_CACHE"):
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "rvi" / "clips"


def load_clip(spec: ClipSpec = ClipSpec(), cache_dir: Path | None = None) -> list[ClipFrame]:
    """The clip's frames in decoding order, from the cache or encoded now (a 10 s 720p clip
    takes a few seconds)."""
    directory = cache_dir or default_cache_dir()
    path = directory / f"{spec.codec}-{spec.width}x{spec.height}-{spec.fps}-{spec.key}.clip"
    if path.exists():
        return _read(path)
    frames = encode_clip(spec)
    _write_atomically(path, frames)
    return frames


def encode_clip(spec: ClipSpec) -> list[ClipFrame]:
    context = av.CodecContext.create("libx264" if spec.codec == "h264" else "libvpx", "w")
    context.width, context.height, context.pix_fmt = spec.width, spec.height, "yuv420p"
    context.time_base = Fraction(1, spec.fps)
    context.framerate = Fraction(spec.fps)
    context.bit_rate = spec.bitrate
    context.gop_size = spec.keyframe_interval
    context.options = _encoder_options(spec)
    context.open()
    painter = _Painter(spec)
    frames: list[ClipFrame] = []
    for index in range(spec.frame_count):
        picture = painter.paint(index)
        picture.pts = index
        frames.extend(ClipFrame(bytes(p), p.is_keyframe) for p in context.encode(picture))
    frames.extend(ClipFrame(bytes(p), p.is_keyframe) for p in context.encode(None))
    if not frames or not frames[0].keyframe:
        raise RuntimeError(f"the {spec.codec} encoder did not start with a keyframe")
    return frames


def frame_digest(codec: Codec, data: bytes) -> bytes:
    """Identifies a frame across a relay: for H.264 and H.265 the coded slices only (a packetizer
    may change start code lengths and parameter sets may be sent apart), for VP8 the frame itself."""
    if codec == "vp8":
        return hashlib.sha1(data).digest()
    digest = hashlib.sha1()
    for nal in _nal_units(data):
        # H.265's type is bits 1-6 of its two-byte header; its coded slices are types 0-31.
        if not nal:
            continue
        if ((nal[0] >> 1) & 0x3F < 32) if codec == "h265" else (nal[0] & 0x1F in _VCL_NAL_TYPES):
            digest.update(len(nal).to_bytes(4, "big"))
            digest.update(nal)
    return digest.digest()


def _nal_units(annexb: bytes) -> list[bytes]:
    units = []
    at = annexb.find(_START)
    while at != -1:
        start = at + 3
        at = annexb.find(_START, start)
        end = len(annexb) if at == -1 else at
        units.append(annexb[start:end].rstrip(b"\x00"))
    return units


def _encoder_options(spec: ClipSpec) -> dict[str, str]:
    kbps = spec.bitrate // 1000
    if spec.codec == "h264":
        # Constrained baseline, Annex B, SPS/PPS before every IDR: what WebRTC peers and a recorder
        # joining mid-stream need; fixed GOP so keyframes come every `keyframe_interval` frames.
        params = (
            f"repeat-headers=1:keyint={spec.keyframe_interval}:min-keyint={spec.keyframe_interval}:scenecut=0"
            f":vbv-maxrate={kbps}:vbv-bufsize={kbps // 2}"
        )
        return {"preset": "ultrafast", "tune": "zerolatency", "profile": "baseline", "x264-params": params}
    return {
        "deadline": "realtime",
        "cpu-used": "8",
        "lag-in-frames": "0",
        "auto-alt-ref": "0",
        "keyint_min": str(spec.keyframe_interval),
    }


class _Painter:
    """A diagonal gradient moving 4 px a frame, with a box of seeded grain in the middle (so the
    encoder has work to do at the target bitrate and no two frames are alike)."""

    def __init__(self, spec: ClipSpec) -> None:
        self.spec = spec
        self.gradient = bytes(range(256)) * (spec.width // 256 + 2)
        self.grain_table = bytes(112 + (b >> 3) for b in range(256))
        self.box_x, self.box_w = spec.width // 4, spec.width // 2
        self.box_y, self.box_h = spec.height // 4, spec.height // 2
        self.random = random.Random(spec.seed)
        self.chroma = bytes([128]) * ((spec.width // 2) * (spec.height // 2))

    def paint(self, index: int) -> av.VideoFrame:
        spec = self.spec
        grain = self.random.randbytes(self.box_w * self.box_h).translate(self.grain_table)
        rows = []
        for y in range(spec.height):
            offset = (index * 4 + y) % 256
            row = self.gradient[offset : offset + spec.width]
            if self.box_y <= y < self.box_y + self.box_h:
                at = (y - self.box_y) * self.box_w
                row = row[: self.box_x] + grain[at : at + self.box_w] + row[self.box_x + self.box_w :]
            rows.append(row)
        picture = av.VideoFrame(spec.width, spec.height, "yuv420p")
        _fill(picture.planes[0], b"".join(rows), spec.width)
        _fill(picture.planes[1], self.chroma, spec.width // 2)
        _fill(picture.planes[2], self.chroma, spec.width // 2)
        return picture


def _fill(plane: av.video.plane.VideoPlane, data: bytes, width: int) -> None:
    if plane.line_size == width:
        plane.update(data)
        return
    # Padded lines (odd sizes): copy row by row into the plane's stride.
    stride = plane.line_size
    padded = b"".join(
        data[row * width : (row + 1) * width] + bytes(stride - width) for row in range(len(data) // width)
    )
    plane.update(padded)


def _read(path: Path) -> list[ClipFrame]:
    blob = path.read_bytes()
    frames, at = [], 0
    while at < len(blob):
        keyframe, size = _RECORD.unpack_from(blob, at)
        at += _RECORD.size
        frames.append(ClipFrame(blob[at : at + size], keyframe))
        at += size
    return frames


def _write_atomically(path: Path, frames: list[ClipFrame]) -> None:
    # Several load processes may build the same clip at once: write aside, then rename.
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".clip-", delete=False) as out:
        for frame in frames:
            out.write(_RECORD.pack(frame.keyframe, len(frame.data)))
            out.write(frame.data)
    os.chmod(out.name, 0o644)
    os.replace(out.name, path)
