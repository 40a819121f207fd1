"""Strict RFC 3339 date-times: each refused form with its small input, and the envelope's `time`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel, ValidationError

from rvi_shared.datetimes import Rfc3339Date, Rfc3339DateTime


class At(BaseModel):
    at: Rfc3339DateTime


class On(BaseModel):
    on: Rfc3339Date


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ('"2026-01-02T03:04:05"', "explicit UTC offset"),
        ('"20260102"', "not an RFC 3339 date-time"),
        ('"20260102030405"', "not an RFC 3339 date-time"),
        ("20260102", "numbers are not date-times"),
        ("1767225600000", "numbers are not date-times"),
        ("1767225600.5", "numbers are not date-times"),
        ('"2026-01-02T03:04:05+16:00"', "beyond ±15:59"),
        ('"2026-01-02T03:04:05-23:59"', "beyond ±15:59"),
        ('"2026-01-02T03:04:05+08:60"', "beyond ±15:59"),
        ('"2026-01-02T03:04:05.1234567Z"', "at most 6 fractional"),
        ('"2026-01-02T03:04:05.123456789+08:00"', "at most 6 fractional"),
        ('"2026-12-31T23:59:60Z"', "leap seconds"),
        ('"2026-02-30T03:04:05Z"', "not a real date-time"),
        ('"2026-01-02"', "not an RFC 3339 date-time"),
        ('"2026-01-02 03:04:05+08:00"', "not an RFC 3339 date-time"),
        ("null", "RFC 3339 string"),
        ('"0001-01-01T00:00:00+14:00"', "outside years 0001-9999 in UTC"),
        ('"9999-12-31T23:00:00-14:00"', "outside years 0001-9999 in UTC"),
    ],
)
def test_refused_with_the_rule(raw: str, rule: str) -> None:
    with pytest.raises(ValidationError) as caught:
        At.model_validate_json(f'{{"at": {raw}}}')
    [error] = caught.value.errors()
    assert error["loc"] == ("at",) and rule in error["msg"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-01-02T03:04:05+08:00", datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=8)))),
        ("2026-01-02t03:04:05z", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        (
            "2026-01-02T03:04:05.123456-15:59",
            datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=timezone(-timedelta(hours=15, minutes=59))),
        ),
        ("2026-01-02T03:04:05.1Z", datetime(2026, 1, 2, 3, 4, 5, 100000, tzinfo=UTC)),
    ],
)
def test_accepted_exactly(raw: str, expected: datetime) -> None:
    value = At.model_validate_json(f'{{"at": "{raw}"}}').at
    assert value == expected and value.utcoffset() == expected.utcoffset()


def test_a_naive_python_datetime_is_refused() -> None:
    with pytest.raises(ValidationError):
        At(at=datetime(2026, 1, 2))
    assert At(at=datetime(2026, 1, 2, tzinfo=UTC)).at.year == 2026


def test_json_schema_is_the_standard_date_time() -> None:
    schema = At.model_json_schema()["properties"]["at"]
    assert (schema["type"], schema["format"]) == ("string", "date-time")


@pytest.mark.parametrize("raw", ['"20260102"', "20260102", '"2026-01-02T00:00:00Z"', '"2026-13-01"'])
def test_dates_are_full_dates_only(raw: str) -> None:
    with pytest.raises(ValidationError):
        On.model_validate_json(f'{{"on": {raw}}}')
    assert On.model_validate_json('{"on": "2026-01-02"}').on == date(2026, 1, 2)
