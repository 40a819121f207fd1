from __future__ import annotations

from typing import ClassVar

from rvi_shared.settings import ServiceSettings


class EligibilitySettings(ServiceSettings):
    service_name: ClassVar[str] = "eligibility"
    default_port: ClassVar[int] = 8001

    # How often the service clock is checked for facts recorded ahead of time that are now in effect.
    recheck_interval_s: float = 5.0
