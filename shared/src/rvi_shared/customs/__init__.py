"""The customs office registry (DOMAIN 10): districts (直属海关), their subordinate offices
(隶属海关), their four-digit customs codes (关区代码) and the pilot districts of GACC-RVI 1.

The data is `customs_offices.json` (versioned, with its sources and what is missing). A customs
office is named by its code (`3100`, full-width digits too), its Chinese name (`宁波海关`,
`宁波关区`) or its English name (`Ningbo`, `Ningbo Customs`, case-insensitive)."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Annotated, Any

from pydantic import AfterValidator, Field


@dataclass(frozen=True)
class District:
    code: str | None
    name_zh: str
    name_en: str
    pilot: tuple[tuple[date, date | None], ...] = ()

    def in_pilot_on(self, day: date) -> bool:
        """GACC-RVI 1: the district is in the pilot on `day` (its joining date onward)."""
        return any(start <= day and (end is None or day < end) for start, end in self.pilot)


@dataclass(frozen=True)
class CustomsOffice:
    code: str | None
    name_zh: str
    name_en: str
    district: District

    @property
    def is_district(self) -> bool:
        return self.name_en == self.district.name_en


def _key(value: str) -> str:
    text = " ".join(unicodedata.normalize("NFKC", value).split()).casefold()
    for suffix in (" customs district", " customs", " district"):
        text = text.removesuffix(suffix)
    return text.strip()


class CustomsRegistry:
    def __init__(self, document: dict[str, Any]) -> None:
        self.version: str = document["version"]
        pilot: dict[str, list[tuple[date, date | None]]] = {}
        for entry in document["pilot"]["districts"]:
            end = date.fromisoformat(entry["to"]) if entry.get("to") else None
            pilot.setdefault(entry["district"], []).append((date.fromisoformat(entry["from"]), end))
        self.districts: dict[str, District] = {
            d["name_en"]: District(d["code"], d["name_zh"], d["name_en"], tuple(pilot.get(d["name_en"], ())))
            for d in document["districts"]
        }
        self.offices: list[CustomsOffice] = [
            CustomsOffice(o["code"], o["name_zh"], o["name_en"], self.districts[o["district"]])
            for o in document["offices"]
        ]
        self._by_key: dict[str, CustomsOffice] = {}
        for office in self.offices:
            self._index(office, [office.name_zh, office.name_en])
        for district in self.districts.values():  # a district's own names win over a same-named office
            as_office = CustomsOffice(district.code, district.name_zh, district.name_en, district)
            aliases = next(d.get("aliases_zh", []) for d in document["districts"] if d["name_en"] == district.name_en)
            self._index(as_office, [district.name_zh, district.name_en, *aliases])
        self._district_by_prefix = {d.code[:2]: d for d in self.districts.values() if d.code}
        self.pilot_districts: tuple[str, ...] = tuple(name for name in pilot if name in self.districts)

    def _index(self, office: CustomsOffice, names: list[str]) -> None:
        if office.code:
            self._by_key[office.code] = office
        for name in names:
            self._by_key[_key(name)] = office
            if name.endswith("海关"):
                self._by_key[_key(name.removesuffix("海关"))] = office

    def resolve(self, value: str) -> CustomsOffice | None:
        """The office a code, Chinese name or English name denotes; None when it is no customs office.
        A four-digit code the table does not list is an office of the district whose code shares its
        first two digits (DOMAIN 10), when there is one."""
        key = _key(value)
        office = self._by_key.get(key)
        if office is None and len(key) == 4 and key.isascii() and key.isdigit():
            district = self._district_by_prefix.get(key[:2])
            if district is not None and key[2:] != "00":
                office = CustomsOffice(key, f"{district.name_zh} ({key})", f"{district.name_en} office {key}", district)
        return office


@cache
def registry() -> CustomsRegistry:
    text = resources.files(__package__).joinpath("customs_offices.json").read_text(encoding="utf-8")
    return CustomsRegistry(json.loads(text))


def check_customs_office(value: str) -> str:
    if registry().resolve(value) is None:
        raise ValueError(
            f"{value!r} is no customs office: give its four-digit customs code (e.g. 3100), "
            "its Chinese name (宁波海关) or its English name (Ningbo)"
        )
    return value.strip()


CustomsOfficeName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="customs office: four-digit customs code (关区代码, e.g. 3100), Chinese name (宁波海关) or "
        "English name (Ningbo, Cixi)",
    ),
    AfterValidator(check_customs_office),
]
