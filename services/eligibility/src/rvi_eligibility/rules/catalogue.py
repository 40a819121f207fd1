"""Effective-dated catalogues behind GACC-RVI 3(I) (high-risk goods by HS chapter or item category)
and 3(III) (checklist item categories that cannot effectively be done by video). Each rule-set
version lists the entries it carries; an entry's own dates say when it applies."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

LEGAL_TIMEZONE = ZoneInfo("Asia/Shanghai")
PILOT_START = date(2025, 1, 1)
NOVEMBER_2026 = date(2026, 11, 1)


def legal_date(at: datetime) -> date:
    """Effective dates of the notice are calendar days in China."""
    return at.astimezone(LEGAL_TIMEZONE).date()


def in_force_on(effective_from: date, effective_to: date | None, day: date) -> bool:
    return effective_from <= day and (effective_to is None or day < effective_to)


@dataclass(frozen=True)
class CatalogueEntry:
    key: str
    description: str
    effective_from: date
    effective_to: date | None = None

    def in_force_on(self, day: date) -> bool:
        return in_force_on(self.effective_from, self.effective_to, day)


def entries_on(entries: Iterable[CatalogueEntry], day: date) -> Mapping[str, CatalogueEntry]:
    """The entries in force on `day`, by key, for O(1) lookups during an evaluation."""
    return {e.key: e for e in entries if e.in_force_on(day)}


def hs_chapter(commodity_code: str) -> str | None:
    """The HS chapter (first two digits); full-width digits read as ASCII ones (NFKC)."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", commodity_code) if ch in "0123456789")
    return digits[:2] if len(digits) >= 2 else None


def category_key(category: str) -> str:
    return category.strip().casefold()


# --- GACC-RVI 3(I): high-risk goods ---

BASELINE_HIGH_RISK_CHAPTERS: tuple[CatalogueEntry, ...] = (
    CatalogueEntry("01", "live animals", PILOT_START),
    CatalogueEntry("02", "meat and edible meat offal", PILOT_START),
    CatalogueEntry("03", "fish, crustaceans, molluscs and other aquatic invertebrates", PILOT_START),
    CatalogueEntry("05", "products of animal origin not elsewhere specified", PILOT_START),
    CatalogueEntry("30", "pharmaceutical products", PILOT_START),
)
HIGH_RISK_CHAPTERS: tuple[CatalogueEntry, ...] = (
    *BASELINE_HIGH_RISK_CHAPTERS,
    CatalogueEntry("36", "explosives, pyrotechnic products, matches", NOVEMBER_2026),
    CatalogueEntry("93", "arms and ammunition", NOVEMBER_2026),
)

BASELINE_HIGH_RISK_CATEGORIES: tuple[CatalogueEntry, ...] = (
    CatalogueEntry("live_animals", "live animals under quarantine supervision", PILOT_START),
    CatalogueEntry("animal_by_products", "animal by-products under quarantine supervision", PILOT_START),
)
HIGH_RISK_CATEGORIES: tuple[CatalogueEntry, ...] = (
    *BASELINE_HIGH_RISK_CATEGORIES,
    CatalogueEntry("hazardous_chemicals", "hazardous chemicals and their packaging", NOVEMBER_2026),
)

# --- GACC-RVI 3(III): items that cannot effectively be done by video ---

BASELINE_NON_VIDEO_CATEGORIES: tuple[CatalogueEntry, ...] = (
    CatalogueEntry("laboratory_sampling", "samples taken for laboratory analysis", PILOT_START),
    CatalogueEntry("physical_sampling", "physical sampling of goods", PILOT_START),
    CatalogueEntry("destructive_testing", "testing that destroys or opens the goods", PILOT_START),
)
NON_VIDEO_CATEGORIES: tuple[CatalogueEntry, ...] = (
    *BASELINE_NON_VIDEO_CATEGORIES,
    CatalogueEntry("seal_verification", "checking customs seals by touch and tool", NOVEMBER_2026),
)

# --- GACC-RVI 3(II): directives that require an on-site check ---

PHYSICAL_DIRECTIVE_KEYWORDS: tuple[str, ...] = ("unannounced", "joint", "physical")
