"""The customs office registry's data (DOMAIN 10): real codes from the sources the data file names
resolve to their office and district; the table is consistent (a code's first two digits are its
district's, no code twice, every source cited)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from importlib import resources

import pytest

from rvi_shared.customs import registry


@pytest.mark.parametrize(
    ("code", "name_zh", "district_zh"),
    [
        ("4300", "济南海关", "济南海关"),  # the Jinan district, outside the pilot
        ("4301", "现场业务", "济南海关"),
        ("2921", "义乌海关", "杭州海关"),
        ("2248", "洋山海关(港区)", "上海海关"),
        ("0802", "锦州海关", "沈阳海关"),
        ("4243", "济宁海关驻曲阜办事处", "青岛海关"),
        ("0403", "唐山海关", "石家庄海关"),
    ],
)
def test_real_codes_resolve_to_their_office_and_district(code: str, name_zh: str, district_zh: str) -> None:
    office = registry().resolve(code)
    assert office is not None and office.code == code
    assert (office.name_zh, office.district.name_zh) == (name_zh, district_zh)


def test_the_jinan_and_hefei_districts_are_real_offices_outside_the_pilot() -> None:
    for name in ("4300", "济南海关", "Jinan", "合肥海关", "Hefei"):
        office = registry().resolve(name)
        assert office is not None and office.is_district, name
        assert not office.district.in_pilot_on(date(2026, 6, 1)), name
    assert registry().resolve("Yiwu") == registry().resolve("2921")


def test_the_table_is_consistent_and_cites_its_sources() -> None:
    document_sources = {"A", "B", "C", "D", "E", "F", "DOMAIN"}
    the = registry()
    codes = [o.code for o in the.offices if o.code] + [d.code for d in the.districts.values() if d.code]
    assert not [c for c, n in Counter(codes).items() if n > 1], "a code twice"
    assert all(len(c) == 4 and c.isdigit() for c in codes)
    for office in the.offices:
        if office.code and office.district.code:
            assert office.code[:2] == office.district.code[:2], office
    raw = json.loads(resources.files("rvi_shared.customs").joinpath("customs_offices.json").read_text("utf-8"))
    assert {o["source"] for o in raw["offices"]} <= document_sources <= set(raw["sources"])
    assert raw["version"] and raw["missing"] and raw["english_names"]
