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

    @property
    def advertised(self) -> str:
        """Where clients are sent for sessions on this instance; a wildcard listen address is no
        address to send anyone to, so the host name stands in for it."""
        if self.advertised_url:
            return self.advertised_url
        host = socket.gethostname() if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.listen_port}"
