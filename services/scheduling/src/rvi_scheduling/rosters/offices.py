"""Customs offices as the roster compares them (DOMAIN 10): resolved through the customs office
registry, so an office named by its customs code (`3105`), Chinese name (`慈溪海关`) or English name
(`Cixi`, `Cixi Customs`) is one office, and a district likewise (`3100`, `宁波海关`, `Ningbo`)."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from rvi_shared.customs import registry


def _plain(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).split()).casefold()


@lru_cache(maxsize=4096)
def office_key(value: str) -> str:
    """The registry office `value` names, as a comparable key (its English name, case-folded);
    a name the registry does not know compares as written (width, case and spacing folded)."""
    office = registry().resolve(value)
    return office.name_en.casefold() if office is not None else _plain(value)


@lru_cache(maxsize=4096)
def district_key(value: str) -> str:
    """The customs district (直属海关) `value` names or belongs to, as a comparable key."""
    office = registry().resolve(value)
    return office.district.name_en.casefold() if office is not None else _plain(value)


def district_of(office: str) -> str | None:
    """The English name of the district an office belongs to (`3105` -> `Ningbo`); None when the
    registry does not know the office."""
    found = registry().resolve(office)
    return found.district.name_en if found is not None else None
