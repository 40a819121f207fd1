"""An IP camera pulled over RTSP (interleaved TCP) with PyAV: the first video stream is demuxed,
never decoded, and each access unit goes to a FrameSink on the event loop's thread.

What ffmpeg's RTSP demuxer gives (measured with GStreamer's RTSP server, see rvi_platform.testing_camera):
H.264 arrives as Annex B access units (ffmpeg's parser reassembles the RTP fragments, at the cost
of one frame of delay: an access unit is complete only when the next one starts), with
`is_keyframe` set on IDR pictures, and the stream's extradata holds the SDP's
sprop-parameter-sets as Annex B. Cameras differ in whether SPS/PPS also come in-band, so a
keyframe without them gets the extradata's copy: every keyframe is then a place a late viewer or
a recording can start from. VP8 frames come whole, keyframe flag from the payload header.

The demuxer blocks, so it runs in a daemon thread; the thread owns the container (opens, reads,
closes it) and speaks to the loop only through `call_soon_threadsafe`. Sink callbacks check the
source's state on the loop's thread, so nothing reaches the sink after `stop()` and `on_lost`
comes at most once."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import av
import av.error

from rvi_video_gateway.media.keyframes import KeyframeError, picture_size
from rvi_video_gateway.media.packets import (
    AUDIO_CLOCK,
    VIDEO_CLOCK,
    AudioCodec,
    Codec,
    EncodedFrame,
    FrameSink,
    h264_nal_types,
    h265_nal_types,
    sequence_parameter_set,
)
from rvi_video_gateway.media.url_policy import redacted

_CODECS: dict[str, Codec] = {"h264": "h264", "vp8": "vp8", "hevc": "h265", "mjpeg": "mjpeg"}
_AUDIO: dict[str, AudioCodec] = {"pcm_alaw": "pcma", "pcm_mulaw": "pcmu", "opus": "opus", "aac": "aac"}
_H264_SPS = 7
_H264_AUD = 9
_H265_SPS = 33
_H265_AUD = 35
_START_CODE = b"\x00\x00\x01"


class RtspSourceError(RuntimeError):
    """The camera could not be pulled; the message names the URL without its credentials."""


class CameraUnreachable(RtspSourceError):
    pass


class UnsupportedStream(RtspSourceError):
    pass


@dataclass(frozen=True, slots=True)
class StreamInfo:
    codec: Codec
    width: int  # 0 when the camera announced no size and the first packet carried none
    height: int
    fps: float | None
    parameter_sets: bytes  # H.264 SPS/PPS from the SDP, Annex B; empty for VP8 or when absent
    audio_codec: AudioCodec | None = None  # the camera's sound, when the gateway carries it
    audio_rate: int | None = None
    audio_channels: int | None = None
    audio_config: bytes | None = None  # the audio decoder's extradata (AAC: AudioSpecificConfig)


class _State(enum.Enum):
    NEW = "new"
    OPENING = "opening"
    RUNNING = "running"
    LOST = "lost"
    STOPPED = "stopped"


class RtspSource:
    def __init__(
        self,
        url: str,
        sink: FrameSink,
        loop: asyncio.AbstractEventLoop | None = None,
        *,
        open_timeout_s: float = 5.0,
        read_timeout_s: float = 5.0,
        stop_grace_s: float = 1.5,
        audio: bool = False,
    ) -> None:
        self._url = url
        self._sink = sink
        self._loop = loop
        self._open_timeout_s = open_timeout_s
        self._read_timeout_s = read_timeout_s
        self._stop_grace_s = stop_grace_s
        self._audio = audio
        self._state = _State.NEW
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None
        self._opening: asyncio.Future[StreamInfo] | None = None
        self._finished = asyncio.Event()  # set on the loop's thread once the reading thread is done
        self.info: StreamInfo | None = None
        self.lost_reason: str | None = None
        self.frames = 0

    @property
    def redacted_url(self) -> str:
        return redacted(self._url)

    @property
    def codec(self) -> Codec | None:
        return self.info.codec if self.info else None

    @property
    def width(self) -> int:
        return self.info.width if self.info else 0

    @property
    def height(self) -> int:
        return self.info.height if self.info else 0

    @property
    def running(self) -> bool:
        return self._state is _State.RUNNING

    async def start(self) -> StreamInfo:
        """Returns once the camera's stream is open; raises CameraUnreachable when it is not
        within open_timeout_s, UnsupportedStream when it carries no H.264 or VP8 video."""
        if self._state is not _State.NEW:
            raise RuntimeError("an RtspSource is started once")
        loop = self._loop = self._loop or asyncio.get_running_loop()
        self._state = _State.OPENING
        self._opening = loop.create_future()
        self._thread = threading.Thread(target=self._run, name=f"rtsp {self.redacted_url}", daemon=True)
        self._thread.start()
        try:
            return await asyncio.wait_for(asyncio.shield(self._opening), self._open_timeout_s)
        except TimeoutError:
            self._abandon()
            raise CameraUnreachable(
                f"camera at {self.redacted_url} did not answer within {self._open_timeout_s:g} s"
            ) from None
        except BaseException:
            self._abandon()
            raise

    async def stop(self) -> None:
        """No sink call after this; returns when the reading thread has closed the container, or
        after stop_grace_s if a stalled read holds it (it then ends at its read timeout)."""
        self._abandon()
        if self._thread is not None and self._thread.is_alive():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._finished.wait(), self._stop_grace_s)

    def _abandon(self) -> None:
        self._state = _State.STOPPED
        self._halt.set()

    # The reading thread.

    def _run(self) -> None:
        try:
            self._read()
        finally:
            self._post(self._finished.set)

    def _read(self) -> None:
        options = {
            "rtsp_transport": "tcp",
            # ffmpeg's own socket timeout (microseconds, connect included) is only a backstop:
            # PyAV's interrupt below ends the waits.
            "timeout": str(int(max(self._open_timeout_s, self._read_timeout_s) * 1_000_000)),
            # No SETUP for audio the gateway would drop.
            **({} if self._audio else {"allowed_media_types": "video"}),
            # Stop probing at the first packet: the SDP (H.264) or the first keyframe (VP8)
            # gives the size, and ffmpeg's default probing holds the first frame back ~1 s.
            "probesize": "32",
        }
        try:
            container = av.open(self._url, options=options, timeout=(self._open_timeout_s, self._read_timeout_s / 2))
        except Exception as exc:  # any failure to open is start()'s to report
            self._post(self._open_failed, CameraUnreachable(f"camera at {self.redacted_url} {self._describe(exc)}"))
            return
        try:
            try:
                stream, info = self._video_stream(container)
            except RtspSourceError as exc:
                self._post(self._open_failed, exc)
                return
            audio = self._audio_stream(container) if self._audio else None
            if audio is not None:
                name, rate, channels, config = audio
                info = replace(info, audio_codec=name, audio_rate=rate, audio_channels=channels, audio_config=config)
            if self._halt.is_set() or not self._post(self._opened, info):
                return
            reason = self._pump(container, stream, info)
            if reason is not None and not self._halt.is_set():
                self._post(self._lost, reason)
        finally:
            container.close()

    @staticmethod
    def _audio_stream(container: Any) -> tuple[AudioCodec, int, int, bytes | None] | None:
        """The camera's first audio stream the gateway carries: G.711 and Opus are relayed and
        recorded as received, AAC recorded as received and transcoded to Opus for viewers."""
        for stream in container.streams.audio:
            name = _AUDIO.get(stream.codec_context.name or "")
            if name is not None:
                context = stream.codec_context
                rate = int(context.sample_rate or AUDIO_CLOCK.get(name, 8000))
                return name, rate, int(context.channels or 1), bytes(context.extradata or b"") or None
        return None

    def _video_stream(self, container: Any) -> tuple[Any, StreamInfo]:
        if not container.streams.video:
            raise UnsupportedStream(f"camera at {self.redacted_url} offers no video stream")
        stream = container.streams.video[0]
        context = stream.codec_context
        name = (context.name if context is not None else stream.name) or "an unknown codec's"
        codec = _CODECS.get(name)
        if codec is None:
            raise UnsupportedStream(
                f"camera at {self.redacted_url} sends {name} video; the gateway relays H.264 and VP8, and records "
                "H.265 and MJPEG as received"
            )
        extradata = bytes(context.extradata or b"")
        rate = stream.average_rate or stream.guessed_rate
        return stream, StreamInfo(
            codec=codec,
            width=context.width or 0,
            height=context.height or 0,
            fps=float(rate) if rate else None,
            parameter_sets=extradata
            if codec in ("h264", "h265") and extradata.startswith((_START_CODE, b"\x00" + _START_CODE))
            else b"",
        )

    def _pump(self, container: Any, stream: Any, info: StreamInfo) -> str | None:
        """Reads until stopped (None) or the camera is gone (the reason).

        Each read waits read_timeout_s / 2. For H.264, ffmpeg's parser answers the first failed
        read by flushing the access unit it holds and fails on the next one; VP8 has no parser,
        so its first timeout is retried here once. Either way the camera is lost after about
        read_timeout_s of silence."""
        to_clock = Fraction(stream.time_base) * VIDEO_CLOCK
        step = round(VIDEO_CLOCK / info.fps) if info.fps else VIDEO_CLOCK // 25
        timeouts_allowed = 1 if info.codec in ("vp8", "mjpeg") else 0
        last_pts: int | None = None
        first_sps: tuple[bytes, bytes] | None = None  # (the first in-band SPS, its keyframe)
        timeouts = 0
        audio = None
        if info.audio_codec is not None:
            audio = next(
                s for s in container.streams.audio if _AUDIO.get(s.codec_context.name or "") == info.audio_codec
            )
        streams = [stream, audio] if audio is not None else [stream]
        while True:
            try:
                for packet in container.demux(streams):
                    if self._halt.is_set():
                        return None
                    timeouts = 0
                    if not packet.size:  # the flush packet PyAV yields at end of stream
                        continue
                    if audio is not None and packet.stream is audio:
                        if not self._post(self._deliver, self._audio_frame(packet, info)):
                            return None
                        continue
                    stamp = packet.pts if packet.pts is not None else packet.dts
                    if stamp is not None:
                        pts = round(stamp * to_clock)
                    else:
                        pts = last_pts + step if last_pts is not None else 0
                    last_pts = pts
                    data = bytes(packet)
                    sps = sequence_parameter_set(info.codec, data) if packet.is_keyframe else None
                    if sps is not None:
                        if first_sps is None:
                            first_sps = (sps, data)
                        elif sps != first_sps[0]:
                            return self._changed(info.codec, first_sps[1], data)
                    if packet.is_keyframe and info.parameter_sets:
                        data = with_parameter_sets(data, info.parameter_sets, info.codec)
                    # FFmpeg's parser knows the decoding order: with B-frames dts runs behind pts.
                    dts = round(packet.dts * to_clock) if packet.dts is not None else None
                    frame = EncodedFrame(
                        data=data,
                        pts=pts,
                        keyframe=packet.is_keyframe or info.codec == "mjpeg",
                        received_at=time.monotonic(),
                        dts=dts,
                    )
                    if not self._post(self._deliver, frame):
                        return None
                return "the camera ended the stream"
            except (av.error.ExitError, av.error.TimeoutError):
                if self._halt.is_set():
                    return None
                timeouts += 1
                if timeouts > timeouts_allowed:
                    return f"no data from the camera for {self._read_timeout_s:g} s"
            except av.error.FFmpegError as exc:
                return f"the camera connection failed: {self._describe(exc)}"

    @staticmethod
    def _changed(codec: Codec, before: bytes, after: bytes) -> str:
        """Why the stream cannot go on: a clip, a viewer's decoder and the probe stored at
        registration all hold the old parameters, so the feed ends (lost) with what changed."""
        try:
            old, new = picture_size(codec, before), picture_size(codec, after)
            change = f"{old[0]}x{old[1]} -> {new[0]}x{new[1]}" if old != new else "same size, other parameters"
        except KeyframeError:
            change = "its sequence parameter set differs"
        return (
            f"the camera changed its video parameters mid-stream ({change}); the feed ends here and its recordings "
            "are closed: register the camera again to go on"
        )

    @staticmethod
    def _audio_frame(packet: Any, info: StreamInfo) -> EncodedFrame:
        rate = info.audio_rate or 8000
        stamp = packet.pts if packet.pts is not None else packet.dts or 0
        pts = round(stamp * Fraction(packet.time_base) * rate)
        return EncodedFrame(
            data=bytes(packet), pts=pts, keyframe=True, received_at=time.monotonic(), audio=True, clock_rate=rate
        )

    def _post(self, callback: Callable[..., None], *args: Any) -> bool:
        try:
            self._loop.call_soon_threadsafe(callback, *args)  # type: ignore[union-attr]
        except RuntimeError:  # the loop is closed: nobody is listening any more
            self._halt.set()
            return False
        return True

    def _describe(self, exc: BaseException) -> str:
        if isinstance(exc, av.error.ExitError | av.error.TimeoutError):
            return f"did not answer within {self._open_timeout_s:g} s"
        if isinstance(exc, av.error.FFmpegError):
            return f"cannot be opened: {exc.strerror}"  # str(exc) would carry the URL
        return f"cannot be opened: {type(exc).__name__}: {str(exc).replace(self._url, self.redacted_url)}"

    # On the loop's thread.

    def _opened(self, info: StreamInfo) -> None:
        if self._state is not _State.OPENING or self._opening is None or self._opening.done():
            return
        self.info = info
        self._state = _State.RUNNING
        self._opening.set_result(info)

    def _open_failed(self, error: RtspSourceError) -> None:
        if self._state is not _State.OPENING or self._opening is None or self._opening.done():
            return
        self._state = _State.STOPPED
        self._opening.set_exception(error)

    def _deliver(self, frame: EncodedFrame) -> None:
        if self._state is _State.RUNNING:
            self.frames += 1
            self._sink.on_frame(frame)

    def _lost(self, reason: str) -> None:
        if self._state is _State.RUNNING:
            self._state = _State.LOST
            self.lost_reason = reason
            self._sink.on_lost(reason)


def with_parameter_sets(access_unit: bytes, parameter_sets: bytes, codec: Codec = "h264") -> bytes:
    """An H.264 (or H.265) keyframe made self-contained: the parameter sets put in front unless it
    carries an SPS, after the access unit delimiter if there is one (it must stay first)."""
    if codec == "h265":
        types, sps, aud = h265_nal_types(access_unit), _H265_SPS, _H265_AUD
    else:
        types, sps, aud = h264_nal_types(access_unit), _H264_SPS, _H264_AUD
    if sps in types:
        return access_unit
    at = 0
    first = access_unit.find(_START_CODE)
    if first != -1 and first + 3 < len(access_unit) and types and types[0] == aud:
        following = access_unit.find(_START_CODE, first + 3)
        if following == -1:
            at = len(access_unit)
        else:
            at = following - 1 if access_unit[following - 1] == 0 else following
    return access_unit[:at] + parameter_sets + access_unit[at:]
