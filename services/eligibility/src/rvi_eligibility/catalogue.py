"""Effective-dated catalogues behind GACC-RVI 3(I) (high-risk goods by HS chapter) and
3(III) (checklist item categories that cannot effectively be done by video)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

LEGAL_TIMEZONE = ZoneInfo("Asia/Shanghai")


def legal_date(at: datetime) -> date:
    """Effective dates of the notice are calendar days in China."""
    return at.astimezone(LEGAL_TIMEZONE).date()


def in_force(effective_from: date, effective_to: date | None, at: datetime) -> bool:
    day = legal_date(at)
    return effective_from <= day and (effective_to is None or day < effective_to)


@dataclass(frozen=True)
class CatalogueEntry:
    key: str
    description: str
    effective_from: date
    effective_to: date | None = None

    def in_force(self, at: datetime) -> bool:
        return in_force(self.effective_from, self.effective_to, at)


PILOT_START = date(2025, 1, 1)

HIGH_RISK_CHAPTERS: tuple[CatalogueEntry, ...] = (
    CatalogueEntry("01", "live animals", PILOT_START),
    CatalogueEntry("02", "meat and edible meat offal", PILOT_START),
    CatalogueEntry("03", "fish, crustaceans, molluscs and other aquatic invertebrates", PILOT_START),
    CatalogueEntry("05", "products of animal origin not elsewhere specified", PILOT_START),
    CatalogueEntry("30", "pharmaceutical products", PILOT_START),
    CatalogueEntry("36", "explosives, pyrotechnic products, matches", date(2026, 11, 1)),
    CatalogueEntry("93", "arms and ammunition", date(2026, 11, 1)),
)

NON_VIDEO_CATEGORIES: tuple[CatalogueEntry, ...] = (
    CatalogueEntry("laboratory_sampling", "samples taken for laboratory analysis", PILOT_START),
    CatalogueEntry("physical_sampling", "physical sampling of goods", PILOT_START),
    CatalogueEntry("destructive_testing", "testing that destroys or opens the goods", PILOT_START),
)


def hs_chapter(commodity_code: str) -> str | None:
    digits = "".join(ch for ch in commodity_code if ch.isdigit())
    return digits[:2] if len(digits) >= 2 else None


def high_risk_chapter(commodity_code: str, at: datetime) -> CatalogueEntry | None:
    chapter = hs_chapter(commodity_code)
    return next((e for e in HIGH_RISK_CHAPTERS if e.key == chapter and e.in_force(at)), None)


def non_video_category(category: str, at: datetime) -> CatalogueEntry | None:
    wanted = category.strip().casefold()
    return next((e for e in NON_VIDEO_CATEGORIES if e.key == wanted and e.in_force(at)), None)
