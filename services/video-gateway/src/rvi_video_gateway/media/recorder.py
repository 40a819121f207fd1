"""A key step's clip: the feed's video and audio packets remuxed as received, never re-encoded,
cut at most every `fragment_s` seconds, so a crash loses at most the fragment being written and
what is on disk stays playable.

Containers (FFmpeg's muxers decide what each can hold):
- H.264 or H.265 with Opus or no audio: fragmented MP4 (Opus in ISOBMFF, the `Opus` sample
  entry; H.265 as `hev1`, parameter sets in-band as the camera sends them);
- H.264 or H.265 with G.711 (PCMA/PCMU): fragmented QuickTime MOV (`alaw`/`ulaw` sample entries: MP4 has no
  G.711 mapping in FFmpeg);
- MJPEG: QuickTime MOV (with G.711 or AAC; Opus is left out and `audio_note` says so);
- VP8 with Opus or no audio: WebM (FFmpeg's MP4 muxer has no VP8 mapping; WebM is VP8's own
  container). VP8 with G.711: WebM holds no G.711, so the clip is video only and `audio_note`
  says so (it goes into the manifest entry's note).

Audio and video come on separate RTP clocks with unrelated origins; the audio is placed against
the video by arrival time once, at its first packet in the clip."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from rvi_video_gateway import metrics
from rvi_video_gateway.media.keyframes import KeyframeError, keyframe_stream
from rvi_video_gateway.media.packets import AUDIO_CLOCK, TIME_BASE, AudioCodec, Codec, EncodedFrame

log = logging.getLogger(__name__)

_FFMPEG_AUDIO: dict[AudioCodec, tuple[str, str]] = {
    "opus": ("opus", "stereo"),
    "pcma": ("pcm_alaw", "mono"),
    "pcmu": ("pcm_mulaw", "mono"),
    "aac": ("aac", "mono"),
}


def container_for(codec: Codec, audio: AudioCodec | None) -> tuple[str, str, AudioCodec | None]:
    """(FFmpeg format, file extension, the audio it records) for a feed's codecs."""
    if codec == "vp8":
        return "webm", "webm", audio if audio == "opus" else None
    if codec == "mjpeg":  # an RTSP camera's JPEG pictures, as received (QuickTime's `jpeg` sample entry)
        return "mov", "mov", audio if audio in ("pcma", "pcmu", "aac") else None
    if audio == "aac":
        return "mp4", "mp4", audio  # an RTSP camera's AAC, as received (ISO 14496-3 in MP4)
    if audio in ("pcma", "pcmu"):
        return "mov", "mov", audio
    return "mp4", "mp4", audio


def _container_options(fmt: str, fragment_s: float) -> dict[str, str]:
    # flush_packets: each finished fragment goes to the file at once, not into a 32 KB buffer.
    if fmt in ("mp4", "mov"):
        # empty_moov: the header needs no sample table, so each fragment stands on its own.
        flags = "frag_keyframe+empty_moov+default_base_moof"
        return {"movflags": flags, "frag_duration": str(int(fragment_s * 1_000_000)), "flush_packets": "1"}
    return {"cluster_time_limit": str(int(fragment_s * 1000)), "flush_packets": "1"}


@dataclass(frozen=True)
class ClipResult:
    path: Path | None  # None when no keyframe ever arrived: nothing playable to keep
    frames: int
    bytes: int
    audio_packets: int = 0
    audio_codec: AudioCodec | None = None
    skipped: int = 0  # video frames that could not be written (timestamps out of order)
    audio_note: str | None = None  # why the feed's audio is not in the clip


class Recorder:
    """A frame consumer writing one clip; it starts at the first keyframe it sees."""

    def __init__(
        self,
        path_stem: Path,
        codec: Codec,
        fragment_s: float = 2.0,
        audio_codec: AudioCodec | None = None,
        audio_rate: int | None = None,
        audio_channels: int | None = None,
    ) -> None:
        self.audio_rate = audio_rate or (AUDIO_CLOCK.get(audio_codec, 8000) if audio_codec else None)
        self.audio_channels = audio_channels
        self.format, extension, self.audio_codec = container_for(codec, audio_codec)
        self.audio_note = (
            f"audio ({audio_codec}) not recorded: a {extension.upper()} clip cannot hold it"
            if audio_codec is not None and self.audio_codec is None
            else None
        )
        self.path = path_stem.with_suffix("." + extension)
        self.codec = codec
        self.fragment_s = fragment_s
        self.frames = 0
        self.bytes = 0
        self.audio_packets = 0
        self.skipped = 0
        self._container: av.container.OutputContainer | None = None
        self._stream: av.video.stream.VideoStream | None = None
        self._audio: av.audio.stream.AudioStream | None = None
        self._origin: int | None = None
        self._opened_at = 0.0
        self._last_dts = -1
        self._audio_origin: int | None = None
        self._last_audio_pts = -1
        self._closed = False

    def accept(self, frame: EncodedFrame) -> None:
        if self._closed:
            return
        if frame.audio:
            self._accept_audio(frame)
            return
        if self._container is None:
            if not frame.keyframe or not self._open(frame):
                return
        assert self._stream is not None and self._container is not None
        assert self._origin is not None
        # A source that knows its decoding order (RTSP: FFmpeg's parser) gives dts; B-frames then
        # have pts ahead of dts. Without one, dts is pts and must rise. One origin for both keeps
        # the first keyframe's pts - dts (its reordering delay).
        pts = frame.pts - self._origin
        dts = (frame.dts - self._origin) if frame.dts is not None else pts
        if dts <= self._last_dts or pts < dts:
            self.skipped += 1
            return  # the muxer needs strictly rising dts, and pts not before dts
        packet = frame.to_av_packet()
        packet.pts, packet.dts = pts, dts
        packet.stream = self._stream
        try:
            self._container.mux(packet)
        except av.FFmpegError as exc:
            log.warning("recording %s: a frame could not be written: %s", self.path.name, exc)
            self.skipped += 1
            return
        self._last_dts = dts
        self.frames += 1
        self.bytes += len(frame.data)
        metrics.RECORDING_BYTES.inc(len(frame.data))

    def _accept_audio(self, frame: EncodedFrame) -> None:
        if self._container is None or self._audio is None:
            return  # the clip starts with the picture's first keyframe
        rate = frame.clock_rate
        if self._audio_origin is None:
            offset = max(0, round((frame.received_at - self._opened_at) * rate))
            self._audio_origin = frame.pts - offset
        pts = frame.pts - self._audio_origin
        if pts <= self._last_audio_pts:
            return
        packet = frame.to_av_packet()
        packet.pts = packet.dts = pts
        packet.time_base = Fraction(1, rate)
        packet.stream = self._audio
        try:
            self._container.mux(packet)
        except av.FFmpegError as exc:
            log.warning("recording %s: an audio packet could not be written: %s", self.path.name, exc)
            return
        self._last_audio_pts = pts
        self.audio_packets += 1
        self.bytes += len(frame.data)
        metrics.RECORDING_BYTES.inc(len(frame.data))

    def _open(self, keyframe: EncodedFrame) -> bool:
        options = _container_options(self.format, self.fragment_s)
        try:
            with keyframe_stream(self.codec, keyframe.data) as template:
                container = av.open(str(self.path), "w", format=self.format, options=options)
                stream = container.add_stream_from_template(template, opaque=True)
        except (KeyframeError, av.FFmpegError) as exc:
            log.warning("recording %s: keyframe unusable, waiting for the next: %s", self.path.name, exc)
            return False
        stream.time_base = TIME_BASE
        if self.audio_codec is not None:
            name, layout = _FFMPEG_AUDIO[self.audio_codec]
            if self.audio_channels:
                layout = "stereo" if self.audio_channels == 2 else "mono"
            rate = self.audio_rate or 8000
            # An encoder's stream description, never fed frames: packets are muxed as received.
            audio = container.add_stream(name, rate=rate, layout=layout)
            audio.time_base = Fraction(1, rate)
            self._audio = audio
        self._container, self._stream = container, stream
        self._origin = keyframe.dts if keyframe.dts is not None else keyframe.pts
        self._opened_at = keyframe.received_at
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
        return ClipResult(
            path=self.path if self._container is not None else None,
            frames=self.frames,
            bytes=self.bytes,
            audio_packets=self.audio_packets,
            audio_codec=self.audio_codec if self.audio_packets else None,
            skipped=self.skipped,
            audio_note=self.audio_note,
        )
