"""The bounded transcoding pool of a gateway instance: what a WebRTC viewer cannot take as
received is decoded and encoded once per feed, off the event loop, and shared by that feed's
viewers.

- Video: H.265 (aiortc has no RFC 7798 packetizer) and MJPEG (RFC 2435 has no WebRTC mapping)
  become H.264 Constrained Baseline (libx264 `ultrafast`, `zerolatency`: no B-frames, SPS/PPS in
  front of every IDR) at the feed's picture size. At most `transcode_limit` run on an instance;
  one more is refused with `TranscodePoolFull` (HTTP 503 with `Retry-After`) instead of slowing
  every session of the instance.
- Audio: AAC (WebRTC has no AAC, RFC 7874) is decoded, resampled to 48 kHz and encoded as Opus
  in 20 ms packets. Cheap, so not counted against the limit.

Recordings never go through here: they keep the camera's own stream.

Each transcode consumes its feed (from the cached keyframe on) and is the source of its
viewers' tracks. The codec work runs in a thread of its own (PyAV releases the GIL while it
decodes and encodes) that talks to the loop only through `call_soon_threadsafe`; its CPU time
(`time.thread_time`) is counted into `rvi_gateway_transcode_cpu_seconds_total`."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from fractions import Fraction
from typing import ClassVar

import av
import av.error

from rvi_shared.errors import DomainError
from rvi_video_gateway import metrics
from rvi_video_gateway.media.feed import Feed, FrameConsumer
from rvi_video_gateway.media.packets import FFMPEG_NAME, TIME_BASE, AudioCodec, Codec, EncodedFrame

log = logging.getLogger(__name__)

TRANSCODED_VIDEO: tuple[Codec, ...] = ("h265", "mjpeg")
TRANSCODED_AUDIO: tuple[AudioCodec, ...] = ("aac",)
# What aiortc offers first: Constrained Baseline, level 3.1 (the answer takes the offer's level).
H264_OUT_PROFILE = "42e01f"
OPUS_RATE = 48_000
OPUS_FRAME = 960  # 20 ms
# About a second of input: a transcode further behind drops to the next keyframe.
INBOX_FRAMES = 25
GOP_FRAMES = 50


class TranscodePoolFull(DomainError):
    """503: every transcoding slot of this instance is taken; the reason and when to retry."""

    status_code = 503

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message, retry_after_s=retry_after_s)
        self.retry_after_s = retry_after_s


class _Transcode:
    """A feed consumer whose frames are converted in a worker thread and fanned out, on the
    loop's thread, to the consumers attached here."""

    kind: ClassVar[str] = ""
    codec: Codec | None = None
    audio_codec: AudioCodec | None = None
    h264_profile_level_id: str | None = None

    def __init__(self, feed: Feed, on_idle: Callable[[_Transcode], None]) -> None:
        self.feed = feed
        self._on_idle = on_idle
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inbox: queue.Queue[EncodedFrame | None] = queue.Queue(INBOX_FRAMES)
        self._consumers: list[FrameConsumer] = []
        self._thread = threading.Thread(target=self._run, name=f"transcode-{self.kind}-{feed.feed_id}", daemon=True)
        self._resync = False
        self.stopped = False
        self.started_at = time.monotonic()
        self.cpu_s = 0.0
        self.frames_in = 0
        self.frames_out = 0
        self.dropped = 0

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread.start()
        self._subscribe()

    def _subscribe(self) -> None:
        raise NotImplementedError

    # --- on the loop's thread ---

    def accept(self, frame: EncodedFrame) -> None:
        if self.stopped or frame.audio != (self.kind == "audio"):
            return
        if self._resync:
            if not frame.keyframe:
                self.dropped += 1
                return
            self._resync = False
        try:
            self._inbox.put_nowait(frame)
        except queue.Full:
            # Behind: a predicted picture without its reference would not decode.
            self.dropped += 1
            self._resync = True

    def attach(self, consumer: FrameConsumer, from_cached_keyframe: bool = True) -> None:
        self._consumers.append(consumer)
        self.request_keyframe()

    def attach_audio(self, consumer: FrameConsumer) -> None:
        self._consumers.append(consumer)

    def detach(self, consumer: FrameConsumer) -> None:
        if consumer in self._consumers:
            self._consumers.remove(consumer)
        if not self._consumers:
            self.stop()

    def request_keyframe(self) -> None:
        """Video: the next picture is encoded as an IDR (a viewer joined or fell behind)."""

    async def keyframe_request(self) -> None:
        self.request_keyframe()

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        self.feed.detach(self)
        self._consumers.clear()
        while True:
            try:
                self._inbox.put_nowait(None)
                break
            except queue.Full:
                self._inbox.get_nowait()
        self._on_idle(self)

    @property
    def consumers(self) -> int:
        return len(self._consumers)

    @property
    def cpu_fraction(self) -> float:
        """CPU seconds per wall-clock second since the start (1.0: one core)."""
        return self.cpu_s / max(time.monotonic() - self.started_at, 1e-6)

    def _deliver(self, frames: list[EncodedFrame]) -> None:
        if self.stopped:
            return
        self.frames_out += len(frames)
        for frame in frames:
            for consumer in list(self._consumers):
                consumer.accept(frame)

    # --- in the worker thread ---

    def _run(self) -> None:
        while True:
            frame = self._inbox.get()
            if frame is None or self.stopped:
                break
            began = time.thread_time()
            try:
                out = self._convert(frame)
            except (av.FFmpegError, ValueError) as exc:
                log.info("transcode %s of feed %s: a frame failed: %s", self.kind, self.feed.feed_id, exc)
                out = []
            spent = time.thread_time() - began
            self.cpu_s += spent
            self.frames_in += 1
            metrics.TRANSCODE_CPU.labels(self.kind).inc(spent)
            if out:
                try:
                    assert self._loop is not None
                    self._loop.call_soon_threadsafe(self._deliver, out)
                except RuntimeError:  # the loop is closed
                    break

    def _convert(self, frame: EncodedFrame) -> list[EncodedFrame]:
        raise NotImplementedError


class VideoTranscode(_Transcode):
    """H.265 or MJPEG in, H.264 Constrained Baseline out, at the feed's picture size."""

    kind = "video"
    codec: Codec | None = "h264"
    h264_profile_level_id = H264_OUT_PROFILE

    def __init__(self, feed: Feed, on_idle: Callable[[_Transcode], None], fps: float = 25.0) -> None:
        super().__init__(feed, on_idle)
        assert feed.codec is not None
        self.source_codec: Codec = feed.codec
        # What a camera's RTP stream suggests can be its clock rate (90000) rather than a frame rate.
        self._fps = fps if 1 <= fps <= 60 else 25.0
        self._decoder: av.CodecContext | None = None
        self._encoder: av.VideoCodecContext | None = None
        self._size: tuple[int, int] | None = None
        self._keyframe_wanted = threading.Event()
        self._last_pts = -1

    def _subscribe(self) -> None:
        # From the next keyframe: the cached GOP would arrive as a burst of old pictures.
        self._resync = True
        self.feed.attach(self, from_cached_keyframe=False)

    def request_keyframe(self) -> None:
        self._keyframe_wanted.set()

    def _open_encoder(self, width: int, height: int) -> av.VideoCodecContext:
        encoder = av.CodecContext.create("libx264", "w")
        assert isinstance(encoder, av.VideoCodecContext)
        encoder.width, encoder.height = width, height
        encoder.pix_fmt = "yuv420p"
        encoder.time_base = TIME_BASE
        encoder.framerate = Fraction(self._fps).limit_denominator(1000)
        # About 0.1 bit per pixel: 2.3 Mb/s at 720p25, the bitrate of the relayed H.264 cameras.
        encoder.bit_rate = max(300_000, int(width * height * self._fps * 0.1))
        encoder.gop_size = GOP_FRAMES
        encoder.thread_count = 1  # one transcode, one core at most: the pool's limit bounds the CPU
        encoder.options = {"preset": "ultrafast", "tune": "zerolatency", "profile": "baseline"}
        return encoder

    def _convert(self, frame: EncodedFrame) -> list[EncodedFrame]:
        if self._decoder is None:
            self._decoder = av.CodecContext.create(FFMPEG_NAME[self.source_codec], "r")
            self._decoder.thread_count = 1
        packet = av.Packet(frame.data)
        packet.pts = frame.pts
        packet.dts = frame.dts if frame.dts is not None else frame.pts
        packet.time_base = TIME_BASE
        out: list[EncodedFrame] = []
        for picture in self._decoder.decode(packet):
            assert isinstance(picture, av.VideoFrame)
            size = (picture.width - picture.width % 2, picture.height - picture.height % 2)
            if self._encoder is None or size != self._size:
                self._encoder, self._size = self._open_encoder(*size), size
                self._keyframe_wanted.set()
            pts = picture.pts if picture.pts is not None else frame.pts
            pts = max(pts, self._last_pts + 1)
            self._last_pts = pts
            picture = picture.reformat(width=size[0], height=size[1], format="yuv420p")
            picture.pts, picture.time_base = pts, TIME_BASE
            if self._keyframe_wanted.is_set():
                self._keyframe_wanted.clear()
                picture.pict_type = av.video.frame.PictureType.I
            for encoded in self._encoder.encode(picture):
                out.append(
                    EncodedFrame(
                        data=bytes(encoded),
                        pts=int(encoded.pts if encoded.pts is not None else pts),
                        keyframe=encoded.is_keyframe,
                        received_at=frame.received_at,
                    )
                )
        return out


class AudioTranscode(_Transcode):
    """AAC in (the camera's AudioSpecificConfig as decoder extradata), Opus 48 kHz mono out."""

    kind = "audio"
    audio_codec: AudioCodec | None = "opus"

    def __init__(self, feed: Feed, on_idle: Callable[[_Transcode], None]) -> None:
        super().__init__(feed, on_idle)
        self._decoder: av.AudioCodecContext | None = None
        self._encoder: av.AudioCodecContext | None = None
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=OPUS_RATE)
        self._fifo = av.AudioFifo()
        self._next_pts = 0

    def _subscribe(self) -> None:
        self.feed.attach_audio(self)

    def _convert(self, frame: EncodedFrame) -> list[EncodedFrame]:
        if self._decoder is None:
            decoder = av.CodecContext.create("aac", "r")
            assert isinstance(decoder, av.AudioCodecContext)
            if self.feed.audio_config:
                decoder.extradata = self.feed.audio_config
            self._decoder = decoder
            encoder = av.CodecContext.create("libopus", "w")
            assert isinstance(encoder, av.AudioCodecContext)
            encoder.sample_rate = OPUS_RATE
            encoder.layout = "mono"
            encoder.format = "s16"
            encoder.time_base = Fraction(1, OPUS_RATE)
            encoder.bit_rate = 32_000
            self._encoder = encoder
        assert self._encoder is not None
        packet = av.Packet(frame.data)
        packet.pts = packet.dts = frame.pts
        packet.time_base = Fraction(1, frame.clock_rate)
        out: list[EncodedFrame] = []
        for decoded in self._decoder.decode(packet):
            for resampled in self._resampler.resample(decoded):
                resampled.pts = None
                self._fifo.write(resampled)
            while self._fifo.samples >= OPUS_FRAME:
                chunk = self._fifo.read(OPUS_FRAME)
                chunk.pts, chunk.time_base = self._next_pts, Fraction(1, OPUS_RATE)
                self._next_pts += OPUS_FRAME
                for encoded in self._encoder.encode(chunk):
                    out.append(
                        EncodedFrame(
                            data=bytes(encoded),
                            pts=int(encoded.pts if encoded.pts is not None else chunk.pts),
                            keyframe=True,
                            received_at=frame.received_at,
                            audio=True,
                            clock_rate=OPUS_RATE,
                        )
                    )
        return out


class TranscodePool:
    """This instance's transcodes: one video and one audio transcode per feed at most, shared
    by the feed's viewers; at most `limit` video transcodes at once."""

    def __init__(self, limit: int, retry_after_s: int) -> None:
        self.limit = limit
        self.retry_after_s = retry_after_s
        self.video: dict[str, VideoTranscode] = {}
        self.audio: dict[str, AudioTranscode] = {}
        metrics.TRANSCODE_SLOTS.set(limit)

    def video_for(self, feed: Feed, fps: float | None = None) -> VideoTranscode:
        """The feed's running video transcode, or a new one; TranscodePoolFull when none is free."""
        running = self.video.get(feed.feed_id)
        if running is not None and not running.stopped:
            return running
        if len(self.video) >= self.limit:
            raise TranscodePoolFull(
                f"the transcoding pool of this gateway instance is full ({len(self.video)} of {self.limit} "
                f"transcodes running): feed {feed.feed_id} carries {str(feed.codec).upper()}, which WebRTC viewers "
                f"receive only transcoded to H.264; retry in {self.retry_after_s} s, or watch from an offer that "
                "includes the feed's codec",
                self.retry_after_s,
            )
        transcode = VideoTranscode(feed, self._idle, fps or 25.0)
        self.video[feed.feed_id] = transcode
        transcode.start()
        self._gauge()
        return transcode

    def audio_for(self, feed: Feed) -> AudioTranscode:
        running = self.audio.get(feed.feed_id)
        if running is not None and not running.stopped:
            return running
        transcode = AudioTranscode(feed, self._idle)
        self.audio[feed.feed_id] = transcode
        transcode.start()
        return transcode

    def release_unused(self, feed_id: str) -> None:
        """After a viewer's negotiation failed: a transcode nobody took stops."""
        for transcode in (self.video.get(feed_id), self.audio.get(feed_id)):
            if transcode is not None and not transcode.consumers:
                transcode.stop()

    def _idle(self, transcode: _Transcode) -> None:
        table: dict[str, VideoTranscode] | dict[str, AudioTranscode] = (
            self.video if isinstance(transcode, VideoTranscode) else self.audio
        )
        if table.get(transcode.feed.feed_id) is transcode:
            del table[transcode.feed.feed_id]
        self._gauge()

    def _gauge(self) -> None:
        metrics.TRANSCODES.set(len(self.video))

    def cpu_fraction(self) -> float:
        """The running video transcodes' CPU, in cores."""
        return sum(t.cpu_fraction for t in self.video.values())

    def stop_all(self) -> None:
        for transcode in [*self.video.values(), *self.audio.values()]:
            transcode.stop()
