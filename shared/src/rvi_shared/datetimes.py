"""Strict dates and times at every edge (REST bodies and queries, event payloads, the envelope).

`Rfc3339DateTime` accepts only an RFC 3339 `date-time` (section 5.6) with an explicit offset:
`2026-01-02T03:04:05+08:00`, `2026-01-02T03:04:05.123456Z`. Refused, with a message naming the
rule (a 422 naming the field on REST, a DLQ entry with the same reason on Kafka):

- no offset (`2026-01-02T03:04:05`): the instant would be a guess;
- compact forms (`20260102`, `20260102030405`) and numbers (epoch seconds or milliseconds), which
  pydantic's lax mode would read as epoch times;
- an offset beyond ±15:59 (the widest real offsets are -12:00 and +14:00);
- more than 6 fractional digits: Python's datetime and PostgreSQL keep microseconds, and a value
  is refused rather than cut;
- a leap second (`:60`), which neither can represent.

A `T` or `t` separates date and time, `Z`/`z` means UTC. `Rfc3339Date` is a `full-date` only
(`2026-01-02`). Python `datetime` objects (internal producers) must be timezone-aware.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

_DATE_TIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt](?P<time>\d{2}:\d{2}:(?P<second>\d{2}))(?:\.(?P<fraction>\d+))?"
    r"(?:(?P<utc>[Zz])|(?P<sign>[+-])(?P<oh>\d{2}):(?P<om>\d{2}))?"
)
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_OFFSET_HOURS = 15
MAX_FRACTION_DIGITS = 6


def parse_rfc3339(value: Any) -> datetime:
    """The aware datetime `value` denotes; ValueError naming the rule it breaks."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("a date-time needs an explicit UTC offset (RFC 3339), e.g. 2026-01-02T03:04:05+08:00")
        return value
    if isinstance(value, bool | int | float):
        raise ValueError("numbers are not date-times: give an RFC 3339 string with an offset, not epoch time")
    if not isinstance(value, str):
        raise ValueError("a date-time is an RFC 3339 string, e.g. 2026-01-02T03:04:05+08:00")
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        raise ValueError(
            f"{_shorten(value)!r} is not an RFC 3339 date-time (YYYY-MM-DDThh:mm:ss[.ffffff]±hh:mm or Z); "
            "compact and epoch forms are not accepted"
        )
    if match["utc"] is None and match["sign"] is None:
        raise ValueError("a date-time needs an explicit UTC offset (RFC 3339), e.g. 2026-01-02T03:04:05+08:00")
    fraction = match["fraction"] or ""
    if len(fraction) > MAX_FRACTION_DIGITS:
        raise ValueError(f"at most {MAX_FRACTION_DIGITS} fractional second digits (microseconds) are kept")
    if match["second"] == "60":
        raise ValueError("leap seconds (:60) cannot be represented")
    if match["sign"] is not None:
        hours, minutes = int(match["oh"]), int(match["om"])
        if hours > MAX_OFFSET_HOURS or minutes > 59:
            raise ValueError(f"UTC offset {match['sign']}{match['oh']}:{match['om']} is beyond ±15:59")
        offset = timedelta(hours=hours, minutes=minutes) * (-1 if match["sign"] == "-" else 1)
        tz = timezone(offset)
    else:
        tz = UTC
    try:
        naive = datetime.fromisoformat(f"{match['date']}T{match['time']}{'.' + fraction if fraction else ''}")
    except ValueError as exc:
        raise ValueError(f"{_shorten(value)!r} is not a real date-time: {exc}") from None
    try:
        naive.replace(tzinfo=tz).astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{_shorten(value)!r} is outside years 0001-9999 in UTC") from None
    return naive.replace(tzinfo=tz)


def parse_full_date(value: Any) -> date:
    if isinstance(value, datetime):
        raise ValueError("a date is YYYY-MM-DD, not a date-time")
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or _FULL_DATE.fullmatch(value) is None:
        raise ValueError("a date is an RFC 3339 full-date, YYYY-MM-DD; compact and epoch forms are not accepted")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a real date: {exc}") from None


def _shorten(value: str) -> str:
    return value if len(value) <= 40 else value[:40] + "…"


Rfc3339DateTime = Annotated[
    datetime,
    BeforeValidator(parse_rfc3339),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
Rfc3339Date = Annotated[
    date,
    BeforeValidator(parse_full_date),
    WithJsonSchema({"type": "string", "format": "date"}),
]
