from __future__ import annotations

from datetime import time
from typing import ClassVar, Literal

from rvi_shared.settings import ServiceSettings


class SchedulingSettings(ServiceSettings):
    service_name: ClassVar[str] = "scheduling"
    default_port: ClassVar[int] = 8002

    # GACC-RVI 4(I): notice at least `notice_days` ahead, counted in calendar or working days.
    notice_days: int = 3
    notice_unit: Literal["calendar", "working"] = "calendar"
    # Legal dates are calendar days in the district's zone (DOMAIN 9); Urumqi may set Asia/Urumqi.
    timezone: str = "Asia/Shanghai"
    district_timezones: dict[str, str] = {}
    office_opens: time = time(9, 0)
    office_closes: time = time(17, 30)
    slot_step_minutes: int = 30
    minutes_per_site: int = 25
    # Fair load: inspections per officer counted this many days either side of the slot.
    fairness_period_days: int = 28
    planning_horizon_days: int = 60
