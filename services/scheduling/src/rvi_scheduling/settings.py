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
    # Notifications (GACC-RVI 4(I)): SMTP relay, webhooks, retries, reminders.
    notifications_enabled: bool = True
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "rvi-scheduling@customs.invalid"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_s: float = 10.0
    webhook_timeout_s: float = 10.0
    # Hosts an operator allows webhooks to reach although private or loopback (SSRF guard).
    webhook_allowed_hosts: list[str] = []
    notification_poll_s: float = 0.5
    notification_max_attempts: int = 5
    notification_backoff_s: float = 2.0
    reminder_lead_hours: int = 24
    gateway_public_url: str = "http://127.0.0.1:8003"
    console_url: str = "http://127.0.0.1:8000"
    # No-shows and changes: an inspection still not ready this long after its slot started is a
    # no-show; after `max_no_shows` it goes on-site (GACC-RVI 5(I)); enterprises may ask to
    # reschedule `max_enterprise_reschedules` times.
    no_show_grace_minutes: int = 30
    max_no_shows: int = 2
    max_enterprise_reschedules: int = 2
