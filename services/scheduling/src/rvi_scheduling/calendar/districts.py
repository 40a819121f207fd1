"""Office hours and time zone of the customs district responsible for an inspection."""

from __future__ import annotations

from rvi_scheduling.calendar.rules import NoticeRule, OfficeHours
from rvi_scheduling.settings import SchedulingSettings


def office_hours(settings: SchedulingSettings, district: str | None) -> OfficeHours:
    zone = settings.district_timezones.get(district or "", settings.timezone)
    return OfficeHours(timezone=zone, opens=settings.office_opens, closes=settings.office_closes)


def notice_rule(settings: SchedulingSettings) -> NoticeRule:
    return NoticeRule(days=settings.notice_days, unit=settings.notice_unit)
