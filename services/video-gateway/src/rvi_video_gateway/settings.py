from __future__ import annotations

import os
import socket
from typing import ClassVar

from pydantic import Field

from rvi_shared.settings import ServiceSettings


def default_instance_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class VideoGatewaySettings(ServiceSettings):
    service_name: ClassVar[str] = "video-gateway"
    default_port: ClassVar[int] = 8003

    start_lead_minutes: int = 60
    # The gateway consumes only the slow rvi.inspections projection; polling the broker less often
    # leaves the CPU to media (Tansu holds each fetch for the whole wait).
    consumer_fetch_max_wait_ms: int = 100

    # Evidence manifest signing (DESIGN: Media plane, Evidence): a PEM or base64 raw 32-byte
    # Ed25519 private key; without one a key is generated once under key_dir (local use only).
    signing_key: str | None = None
    key_dir: str = ".rvi/keys"
    # The media plane writes each session's clips and snapshots to <evidence_dir>/<session id>/.
    evidence_dir: str = ".rvi/evidence"

    # GACC-RVI 4(III) confirming location: pass within radius + min(reported accuracy, allowance).
    location_radius_m: float = Field(default=200.0, gt=0)
    max_accuracy_allowance_m: float = Field(default=100.0, ge=0)

    # Gateway registry (DESIGN: Scale).
    instance_id: str = Field(default_factory=default_instance_id, min_length=1, max_length=128)
    advertised_url: str | None = None
    heartbeat_interval_s: float = Field(default=5.0, gt=0)

    # Media plane (DESIGN: Media plane). Tokens: a configured secret, else derived from jwt_secret.
    media_token_secret: str | None = None
    publish_token_ttl_s: float = Field(default=600.0, gt=0)
    view_token_ttl_s: float = Field(default=1800.0, gt=0)
    # A live feed with no frame for this long is lost (a killed publisher's ICE consent takes ~30 s).
    feed_silence_timeout_s: float = Field(default=5.0, gt=0)
    recording_fragment_s: float = Field(default=2.0, gt=0, le=2.0)
    snapshot_quality: int = Field(default=3, ge=2, le=31)
    # STUN/TURN for WebRTC peers, e.g. ["stun:stun.example.org:3478"]; none on a local network.
    ice_servers: list[str] = Field(default_factory=list)
    # RTSP cameras: networks or host names the operator allows although they are loopback,
    # link-local or private (e.g. ["10.20.0.0/16", "cam.site.example"]).
    rtsp_allow: list[str] = Field(default_factory=list)
    rtsp_open_timeout_s: float = Field(default=10.0, gt=0)
    rtsp_read_timeout_s: float = Field(default=5.0, gt=0)
    # A camera nobody watches or records is let go after this long.
    rtsp_idle_s: float = Field(default=10.0, gt=0)

    # The transcoding pool (media.transcode): video transcodes (H.265 or MJPEG to H.264 for WebRTC
    # viewers) running at once on this instance; one more viewer needing one gets 503 with
    # Retry-After. About a quarter of a core each at 720p25; 0 turns transcoding off.
    transcode_limit: int = Field(default=2, ge=0)
    transcode_retry_after_s: int = Field(default=30, gt=0)

    # Equipment test (GACC-RVI 4(II)): the window measured and the thresholds to pass.
    equipment_window_s: float = Field(default=10.0, gt=0)
    equipment_deadline_s: float = Field(default=120.0, gt=0)
    equipment_min_width: int = 1280
    equipment_min_height: int = 720
    equipment_min_fps: float = 15.0
    equipment_min_bitrate_kbps: float = 1000.0
    equipment_max_loss_pct: float = 2.0
    equipment_max_rtt_ms: float = 400.0

    @property
    def advertised(self) -> str:
        """Where clients are sent for sessions on this instance; a wildcard listen address is no
        address to send anyone to, so the host name stands in for it."""
        if self.advertised_url:
            return self.advertised_url
        host = socket.gethostname() if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.listen_port}"
