from __future__ import annotations

from typing import ClassVar

from rvi_shared.settings import ServiceSettings


class EligibilitySettings(ServiceSettings):
    service_name: ClassVar[str] = "eligibility"
    default_port: ClassVar[int] = 8001

    decision_pool_size: int = 4  # asyncpg connections of the single-decision hot path (adhoc.py)
