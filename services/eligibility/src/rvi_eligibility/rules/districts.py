"""Customs offices and the pilot districts of GACC-RVI 1, from the shared customs office registry
(`rvi_shared.customs`, DOMAIN 10): a code, a Chinese or an English name denotes an office; the
office's district is in the pilot from its joining date."""

from __future__ import annotations

from datetime import date

from rvi_shared.customs import CustomsOffice, registry

PILOT_DISTRICTS: tuple[str, ...] = registry().pilot_districts
SUBORDINATE_CUSTOMS: dict[str, str] = {
    office.name_en: office.district.name_en
    for office in registry().offices
    if office.district.name_en in PILOT_DISTRICTS and not office.is_district
}


def customs_office(customs: str) -> CustomsOffice | None:
    """The office `customs` names, or None when it is no customs office."""
    return registry().resolve(customs)


def district_of(customs: str, day: date | None = None) -> str | None:
    """The pilot district (English name) of the office `customs` names, when that district is in
    the pilot on `day` (any day, without one); None for an office outside the pilot or no office."""
    office = registry().resolve(customs)
    if office is None or office.district.name_en not in PILOT_DISTRICTS:
        return None
    if day is not None and not office.district.in_pilot_on(day):
        return None
    return office.district.name_en
