"""Versioned rule sets. A version is an immutable, published set of rules and catalogues with an
effective period; an evaluation "as at" a moment uses the version in force on that day in China.
3(V), an officer's own judgement, is not a rule: it is recorded as an override by the officer."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from rvi_eligibility.rules import checks
from rvi_eligibility.rules.catalogue import (
    BASELINE_HIGH_RISK_CATEGORIES,
    BASELINE_HIGH_RISK_CHAPTERS,
    BASELINE_NON_VIDEO_CATEGORIES,
    HIGH_RISK_CATEGORIES,
    HIGH_RISK_CHAPTERS,
    NON_VIDEO_CATEGORIES,
    NOVEMBER_2026,
    PHYSICAL_DIRECTIVE_KEYWORDS,
    PILOT_START,
    CatalogueEntry,
    entries_on,
    in_force_on,
    legal_date,
)
from rvi_eligibility.rules.model import Catalogues, ItemRule, Rule, TaskRule

TASK_RULES: tuple[TaskRule, ...] = (
    TaskRule(
        "pilot-district", "GACC-RVI 1", "customs office in a pilot district", PILOT_START, None, checks.pilot_district
    ),
    TaskRule(
        "enterprise-facts-known",
        "GACC-RVI 2",
        "enterprise facts are known",
        PILOT_START,
        None,
        checks.facts_known,
        about_enterprise=True,
    ),
    TaskRule(
        "consent",
        "GACC-RVI 2",
        "the enterprise consents",
        PILOT_START,
        None,
        checks.needs_enterprise(checks.consent),
        about_enterprise=True,
    ),
    TaskRule(
        "cooperation",
        "GACC-RVI 2",
        "the enterprise can actively cooperate",
        PILOT_START,
        None,
        checks.needs_enterprise(checks.cooperation),
        about_enterprise=True,
    ),
    TaskRule(
        "technical-conditions",
        "GACC-RVI 2",
        "camera and connection available",
        PILOT_START,
        None,
        checks.needs_enterprise(checks.technical),
        about_enterprise=True,
    ),
    TaskRule(
        "not-discredited",
        "GACC-RVI 2",
        "not listed as discredited",
        PILOT_START,
        None,
        checks.needs_enterprise(checks.not_discredited),
        about_enterprise=True,
    ),
    TaskRule(
        "special-campaign-or-directive",
        "GACC-RVI 3(II)",
        "no special campaign, no unannounced/joint/physical directive",
        PILOT_START,
        None,
        checks.campaign_or_directive,
    ),
    TaskRule(
        "mandatory-onsite-after-falsification",
        "GACC-RVI 3(IV)",
        "no mandatory on-site verification after falsification",
        PILOT_START,
        None,
        checks.needs_enterprise(checks.no_mandatory_onsite),
        about_enterprise=True,
    ),
)

ITEM_RULES: tuple[ItemRule, ...] = (
    ItemRule(
        "high-risk-items",
        "GACC-RVI 3(I)",
        "no high-risk goods (by HS chapter or item category)",
        PILOT_START,
        None,
        checks.high_risk,
    ),
    ItemRule(
        "item-not-video-capable",
        "GACC-RVI 3(III)",
        "the item can be done by video",
        PILOT_START,
        None,
        checks.video_capable,
    ),
)


class UnknownRuleSet(LookupError):
    pass


J = TypeVar("J")
MAX_JUDGEMENTS = 4096


@dataclass(frozen=True, eq=False)
class RuleSet:
    """Compared by identity: a published version is one object. It keeps the judgements of the
    facts it judged (its rules are pure functions of them), the least recently used dropped first."""

    version: str
    effective_from: date
    effective_to: date | None
    summary: str
    task_rules: tuple[TaskRule, ...]
    item_rules: tuple[ItemRule, ...]
    high_risk_chapters: tuple[CatalogueEntry, ...]
    high_risk_categories: tuple[CatalogueEntry, ...]
    non_video_categories: tuple[CatalogueEntry, ...]
    physical_directive_keywords: tuple[str, ...]
    _judgements: OrderedDict[Hashable, Any] = field(default_factory=OrderedDict, init=False, repr=False)

    def judgement(self, facts: Hashable, judge: Callable[[], J]) -> J:
        """The judgement of `facts` (everything the rules read), made by `judge` the first time."""
        try:
            self._judgements.move_to_end(facts)
            return self._judgements[facts]  # type: ignore[no-any-return]
        except KeyError:
            made = self._judgements[facts] = judge()
            if len(self._judgements) > MAX_JUDGEMENTS:
                self._judgements.popitem(last=False)
            return made

    @property
    def rules(self) -> tuple[Rule, ...]:
        return (*self.task_rules, *self.item_rules)

    def in_force_on(self, day: date) -> bool:
        return in_force_on(self.effective_from, self.effective_to, day)

    def rules_day(self, as_at: datetime) -> date:
        """The day whose entries apply: `as_at`, or the version's first day when a what-if applies
        a version to an earlier moment (its new entries would otherwise not count yet)."""
        return max(legal_date(as_at), self.effective_from)


@dataclass(frozen=True)
class ActiveRules:
    """What one evaluation applies: a version's rules and catalogue entries in force on one day."""

    version: str
    task_rules: tuple[TaskRule, ...]
    item_rules: tuple[ItemRule, ...]
    catalogues: Catalogues


BASELINE = RuleSet(
    version="2025-01-01",
    effective_from=PILOT_START,
    effective_to=NOVEMBER_2026,
    summary="pilot baseline: GACC-RVI 1, 2 and 3(I)-(IV)",
    task_rules=TASK_RULES,
    item_rules=ITEM_RULES,
    high_risk_chapters=BASELINE_HIGH_RISK_CHAPTERS,
    high_risk_categories=BASELINE_HIGH_RISK_CATEGORIES,
    non_video_categories=BASELINE_NON_VIDEO_CATEGORIES,
    physical_directive_keywords=PHYSICAL_DIRECTIVE_KEYWORDS,
)
NOVEMBER_2026_SET = RuleSet(
    version="2026-11-01",
    effective_from=NOVEMBER_2026,
    effective_to=None,
    summary="adds HS chapters 36 and 93 and hazardous chemicals to 3(I), seal verification to 3(III)",
    task_rules=TASK_RULES,
    item_rules=ITEM_RULES,
    high_risk_chapters=HIGH_RISK_CHAPTERS,
    high_risk_categories=HIGH_RISK_CATEGORIES,
    non_video_categories=NON_VIDEO_CATEGORIES,
    physical_directive_keywords=PHYSICAL_DIRECTIVE_KEYWORDS,
)


class RuleSetRegistry:
    """The published versions; their effective periods must not overlap."""

    def __init__(self, versions: tuple[RuleSet, ...]) -> None:
        self.versions = tuple(sorted(versions, key=lambda v: v.effective_from))
        self._by_version = {v.version: v for v in self.versions}

    @property
    def latest(self) -> RuleSet:
        return self.versions[-1]

    def named(self, version: str) -> RuleSet:
        try:
            return self._by_version[version]
        except KeyError:
            known = ", ".join(self._by_version)
            raise UnknownRuleSet(f"rule_set_version: {version!r} is not a published rule set ({known})") from None

    def at(self, as_at: datetime) -> RuleSet:
        day = legal_date(as_at)
        for version in reversed(self.versions):
            if version.in_force_on(day):
                return version
        raise UnknownRuleSet(f"as_at: no rule set is in force on {day.isoformat()} (the pilot starts {PILOT_START})")


REGISTRY = RuleSetRegistry((BASELINE, NOVEMBER_2026_SET))


def active_rules(rule_set: RuleSet, day: date) -> ActiveRules:
    return ActiveRules(
        version=rule_set.version,
        task_rules=tuple(r for r in rule_set.task_rules if r.in_force_on(day)),
        item_rules=tuple(r for r in rule_set.item_rules if r.in_force_on(day)),
        catalogues=Catalogues(
            high_risk_chapters=entries_on(rule_set.high_risk_chapters, day),
            high_risk_categories=entries_on(rule_set.high_risk_categories, day),
            non_video_categories=entries_on(rule_set.non_video_categories, day),
            physical_directive_keywords=rule_set.physical_directive_keywords,
        ),
    )
