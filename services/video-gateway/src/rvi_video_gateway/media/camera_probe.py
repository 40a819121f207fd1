"""What an RTSP camera sends, looked at when it is registered: DESCRIBE (FFmpeg's RTSP demuxer
opens the session and reads the SDP) and the first keyframe, bounded in time. The codecs,
profile, picture size, B-frames and audio are stored with the feed; a camera the gateway cannot
use is refused with the reason (422) instead of failing later when someone watches (409).

A camera whose SDP labels its video H265 while it sends H.264 makes FFmpeg's RTP/HEVC
depacketizer reject every packet (MEDIA facts); the probe names that contradiction from
FFmpeg's own complaints instead of reporting a timeout."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import av
import av.error
import av.logging

from rvi_video_gateway.media.packets import Codec, is_keyframe
from rvi_video_gateway.media.url_policy import redacted

RECORDABLE: dict[str, Codec] = {"h264": "h264", "vp8": "vp8", "hevc": "h265", "mjpeg": "mjpeg"}
RELAYABLE_TO_WEBRTC = ("h264", "vp8")
AUDIO_NAMES = {"pcm_alaw": "pcma", "pcm_mulaw": "pcmu", "opus": "opus", "aac": "aac"}
_LABELS = {"hevc": "H265", "h264": "H264"}


class CameraUnusable(ValueError):
    """The camera cannot be used; the message is the reason (credentials redacted)."""


@dataclass(frozen=True)
class CameraProbe:
    video_codec: str  # FFmpeg's name: h264, hevc, vp8, mjpeg...
    codec: Codec | None  # the gateway's name when it can record it
    profile: str | None
    width: int
    height: int
    fps: float | None
    b_frames: bool
    audio_codec: str | None  # pcma, pcmu, opus, aac or FFmpeg's name
    audio_sample_rate: int | None
    audio_channels: int | None
    keyframe_after_s: float
    relayed_to_webrtc: bool
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def probe_camera(url: str, timeout_s: float) -> CameraProbe:
    """Blocking (run it in a thread): opens the camera, reads until the first video keyframe or
    `timeout_s`, closes. Raises CameraUnusable with the reason."""
    shown = redacted(url)
    started = time.monotonic()
    # PyAV delivers nothing to Capture below its level (none by default); set for the probe only.
    previous = av.logging.get_level()
    av.logging.set_level(av.logging.WARNING)
    try:
        return _probe(url, shown, started, timeout_s)
    finally:
        av.logging.set_level(previous)


def _probe(url: str, shown: str, started: float, timeout_s: float) -> CameraProbe:
    with av.logging.Capture(True) as logs:
        try:
            container = av.open(
                url,
                options={"rtsp_transport": "tcp", "timeout": str(int(timeout_s * 1_000_000))},
                timeout=(timeout_s, timeout_s / 2),
            )
        except av.error.ExitError:
            raise CameraUnusable(f"camera at {shown} did not answer within {timeout_s:g} s") from None
        except av.FFmpegError as exc:
            raise CameraUnusable(f"camera at {shown} cannot be opened: {exc.strerror}") from None
        try:
            return _read_first_keyframe(container, shown, started, timeout_s, logs)
        finally:
            container.close()


def _read_first_keyframe(
    container: Any, shown: str, started: float, timeout_s: float, logs: list[tuple[int, str, str]]
) -> CameraProbe:
    if not container.streams.video:
        raise CameraUnusable(f"camera at {shown} offers no video stream")
    video = container.streams.video[0]
    name = video.codec_context.name or "unknown"
    codec = RECORDABLE.get(name)
    if codec is None:
        raise CameraUnusable(
            f"camera at {shown} sends {name.upper()} video; the gateway relays H.264 and VP8, records H.265 and MJPEG "
            "as received and transcodes them to H.264 for WebRTC viewers; set the camera to one of these"
        )
    audio = container.streams.audio[0] if container.streams.audio else None
    keyframe_at: float | None = None
    deadline = started + timeout_s
    try:
        for packet in container.demux(video):
            if time.monotonic() > deadline:
                break
            if not packet.size:
                continue
            if codec == "mjpeg" or packet.is_keyframe and (codec == "vp8" or is_keyframe(codec, bytes(packet))):
                keyframe_at = time.monotonic() - started
                break
    except (av.error.ExitError, av.error.TimeoutError):
        pass
    except av.FFmpegError as exc:
        raise CameraUnusable(f"camera at {shown}: reading failed: {exc.strerror}") from None
    if keyframe_at is None:
        complaints = _complaints(logs, name)
        if complaints:
            raise CameraUnusable(
                f"camera at {shown}: its SDP labels the video {_LABELS.get(name, name.upper())}, but its packets are "
                f"not {_LABELS.get(name, name.upper())} (FFmpeg's depacketizer: {complaints}); the camera's codec "
                "contradicts its SDP label: set the camera's stream to the codec it announces"
            )
        raise CameraUnusable(f"camera at {shown} sent no keyframe within {timeout_s:g} s")
    context = video.codec_context
    rate = video.average_rate or video.guessed_rate
    audio_name = audio.codec_context.name if audio is not None else None
    notes = []
    if codec in ("h265", "mjpeg"):
        notes.append(
            f"{'H.265' if codec == 'h265' else 'MJPEG'} is recorded as received; WebRTC viewers get it transcoded to H.264 "
            "(the instance's transcoding pool: 503 when full)"
        )
    if audio_name == "aac":
        notes.append("AAC audio is recorded as received; WebRTC viewers get it transcoded to Opus")
    return CameraProbe(
        video_codec=name,
        codec=codec,
        profile=context.profile,
        width=context.width or 0,
        height=context.height or 0,
        fps=float(rate) if rate else None,
        b_frames=bool(getattr(context, "has_b_frames", 0)),
        audio_codec=AUDIO_NAMES.get(audio_name, audio_name) if audio_name else None,
        audio_sample_rate=audio.codec_context.sample_rate if audio is not None else None,
        audio_channels=audio.codec_context.channels if audio is not None else None,
        keyframe_after_s=round(keyframe_at, 3),
        relayed_to_webrtc=name in RELAYABLE_TO_WEBRTC,
        notes=notes,
    )


def _complaints(logs: list[tuple[int, str, str]], name: str) -> str:
    """FFmpeg's distinct warnings about the stream's packets, briefly."""
    seen: list[str] = []
    for _level, _source, message in logs:
        text = message.strip()
        if not text or text in seen or text.startswith(" is not implemented"):
            continue
        if (
            name == "hevc"
            and ("HEVC" in text or "RTP" in text)
            or name == "h264"
            and ("H.264" in text or "RTP" in text)
        ):
            seen.append(text)
    return "; ".join(seen[:3])
