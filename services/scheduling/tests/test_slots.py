"""GACC-RVI 4(I): the enterprise is notified at least three days ahead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rvi_scheduling.slots import earliest_slot, respects_notice

NINGBO = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("now_local", "expected_local"),
    [
        (datetime(2026, 11, 23, 10, 0), datetime(2026, 11, 27, 9, 0)),  # Mon 10:00 → Fri 09:00 (Thu 09:00 too early)
        (datetime(2026, 11, 23, 8, 0), datetime(2026, 11, 26, 9, 0)),  # Mon 08:00 → Thu 09:00
        (datetime(2026, 11, 25, 10, 0), datetime(2026, 11, 30, 9, 0)),  # Wed → Sat 09:00 is a weekend → Mon
        (datetime(2026, 11, 26, 23, 30), datetime(2026, 11, 30, 9, 0)),  # late Thu → Mon
    ],
)
def test_the_earliest_slot_is_a_working_morning_at_least_three_days_ahead(
    now_local: datetime, expected_local: datetime
) -> None:
    now = now_local.replace(tzinfo=NINGBO).astimezone(UTC)
    slot = earliest_slot(now, notice_days=3, hour_local=9, tz="Asia/Shanghai")
    assert slot.astimezone(NINGBO).replace(tzinfo=None) == expected_local
    assert respects_notice(now, slot, 3)
    assert slot.astimezone(NINGBO).weekday() < 5


def test_less_than_three_days_is_not_notice() -> None:
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    assert not respects_notice(now, now + timedelta(days=3) - timedelta(minutes=1), 3)
    assert respects_notice(now, now + timedelta(days=3), 3)
