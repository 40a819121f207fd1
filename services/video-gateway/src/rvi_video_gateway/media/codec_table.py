"""Entries added to aiortc's video codec table (`aiortc.codecs.CODECS`): the way its own
`init_codecs` writes them, a codec with NACK, PLI and REMB feedback followed by its RTX format."""

from __future__ import annotations

from aiortc.codecs import CODECS
from aiortc.rtcrtpparameters import ParametersDict, RTCRtcpFeedback, RTCRtpCodecParameters


def add_video_codec(mime_type: str, parameters: ParametersDict | None = None) -> int:
    """Appends the codec and its RTX entry on the next free payload types; returns the codec's."""
    video = CODECS["video"]
    payload_type = max(c.payloadType for c in video) + 1
    video.append(
        RTCRtpCodecParameters(
            mimeType=mime_type,
            clockRate=90000,
            payloadType=payload_type,
            rtcpFeedback=[
                RTCRtcpFeedback(type="nack"),
                RTCRtcpFeedback(type="nack", parameter="pli"),
                RTCRtcpFeedback(type="goog-remb"),
            ],
            parameters=parameters or {},
        )
    )
    video.append(
        RTCRtpCodecParameters(
            mimeType="video/rtx", clockRate=90000, payloadType=payload_type + 1, parameters={"apt": payload_type}
        )
    )
    return payload_type
