from __future__ import annotations

from typing import ClassVar

from rvi_shared.settings import ServiceSettings


class EligibilitySettings(ServiceSettings):
    service_name: ClassVar[str] = "eligibility"
    default_port: ClassVar[int] = 8001
