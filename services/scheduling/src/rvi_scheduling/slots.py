"""Slot choice: advance notice of at least three days (GACC-RVI 4(I))."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def earliest_slot(now: datetime, notice_days: int, hour_local: int, tz: str) -> datetime:
    """The first working-day morning slot at least `notice_days` after `now`."""
    zone = ZoneInfo(tz)
    earliest = (now + timedelta(days=notice_days)).astimezone(zone)
    candidate = datetime.combine(earliest.date(), time(hour_local), zone)
    if candidate < earliest:
        candidate += timedelta(days=1)
    while candidate.weekday() >= 5:
        candidate += timedelta(days=1)
    return candidate


def respects_notice(now: datetime, slot_start: datetime, notice_days: int) -> bool:
    return slot_start - now >= timedelta(days=notice_days)
