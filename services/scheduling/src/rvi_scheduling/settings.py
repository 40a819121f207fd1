from __future__ import annotations

from datetime import time
from typing import ClassVar, Literal

from rvi_shared.events.payloads import UploadKind
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
    minutes_per_site: int = 25
    # Fair load: inspections per officer counted this many days either side of the slot.
    fairness_period_days: int = 28
    planning_horizon_days: int = 60
    # GACC-RVI 4(II): a passed equipment test counts this long; the notice asks for these uploads
    # unless the request names its own (the documents service's upload endpoint produces them).
    equipment_test_max_age_days: int = 14
    required_documents: list[UploadKind] = []
    # Day plans (CP-SAT): buffers for the enterprise to move its camera between sites.
    offered_slots: int = 3
    site_buffer_minutes: int = 10
    camera_move_speed_kmh: float = 40.0
    solver_time_limit_s: float = 0.2
    team_pairs_per_day: int = 6
