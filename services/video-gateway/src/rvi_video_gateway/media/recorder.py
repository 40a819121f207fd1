"""A key step's clip: the feed's packets remuxed as received, never re-encoded. H.264 goes into
fragmented MP4 and VP8 into WebM (FFmpeg's MP4 muxer has no VP8 mapping; WebM is VP8's own
container), both cut at most every `fragment_s` seconds, so a crash loses at most the fragment
being written and what is on disk stays playable."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import av

from rvi_video_gateway import metrics
from rvi_video_gateway.media.keyframes import KeyframeError, keyframe_stream
from rvi_video_gateway.media.packets import TIME_BASE, Codec, EncodedFrame

log = logging.getLogger(__name__)

EXTENSION: dict[Codec, str] = {"h264": "mp4", "vp8": "webm"}


def _container_options(codec: Codec, fragment_s: float) -> tuple[str, dict[str, str]]:
    # flush_packets: each finished fragment goes to the file at once, not into a 32 KB buffer.
    if codec == "h264":
        # empty_moov: the header needs no sample table, so each fragment stands on its own.
        flags = "frag_keyframe+empty_moov+default_base_moof"
        return "mp4", {"movflags": flags, "frag_duration": str(int(fragment_s * 1_000_000)), "flush_packets": "1"}
    return "webm", {"cluster_time_limit": str(int(fragment_s * 1000)), "flush_packets": "1"}


@dataclass(frozen=True)
class ClipResult:
    path: Path | None  # None when no keyframe ever arrived: nothing playable to keep
    frames: int
    bytes: int


class Recorder:
    """A frame consumer writing one clip; it starts at the first keyframe it sees."""

    def __init__(self, path_stem: Path, codec: Codec, fragment_s: float = 2.0) -> None:
        self.path = path_stem.with_suffix("." + EXTENSION[codec])
        self.codec = codec
        self.fragment_s = fragment_s
        self.frames = 0
        self.bytes = 0
        self._container: av.container.OutputContainer | None = None
        self._stream: av.video.stream.VideoStream | None = None
        self._first_pts: int | None = None
        self._last_pts = -1
        self._closed = False

    def accept(self, frame: EncodedFrame) -> None:
        if self._closed:
            return
        if self._container is None:
            if not frame.keyframe or not self._open(frame):
                return
        assert self._stream is not None and self._container is not None and self._first_pts is not None
        pts = frame.pts - self._first_pts
        if pts <= self._last_pts:
            return  # the muxer needs strictly rising timestamps
        packet = frame.to_av_packet()
        packet.pts = packet.dts = pts
        packet.stream = self._stream
        try:
            self._container.mux(packet)
        except av.FFmpegError as exc:
            log.warning("recording %s: a frame could not be written: %s", self.path.name, exc)
            return
        self._last_pts = pts
        self.frames += 1
        self.bytes += len(frame.data)
        metrics.RECORDING_BYTES.inc(len(frame.data))

    def _open(self, keyframe: EncodedFrame) -> bool:
        fmt, options = _container_options(self.codec, self.fragment_s)
        try:
            with keyframe_stream(self.codec, keyframe.data) as template:
                container = av.open(str(self.path), "w", format=fmt, options=options)
                stream = container.add_stream_from_template(template, opaque=True)
        except (KeyframeError, av.FFmpegError) as exc:
            log.warning("recording %s: keyframe unusable, waiting for the next: %s", self.path.name, exc)
            return False
        stream.time_base = TIME_BASE
        self._container, self._stream, self._first_pts = container, stream, keyframe.pts
        return True

    def close(self) -> ClipResult:
        """Writes the trailer; safe to call twice."""
        if not self._closed:
            self._closed = True
            if self._container is not None:
                try:
                    self._container.close()
                except av.FFmpegError as exc:
                    log.warning("recording %s: closing failed, fragments on disk stay: %s", self.path.name, exc)
        return ClipResult(path=self.path if self._container is not None else None, frames=self.frames, bytes=self.bytes)
