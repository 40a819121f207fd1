"""The vocabulary of the rules: the facts they see, what they answer, and the rule itself."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from rvi_eligibility.rules.catalogue import CatalogueEntry, in_force_on
from rvi_eligibility.rules.standing import EnterpriseStanding

Scope = Literal["task", "item"]


class Result(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True, slots=True)
class Verdict:
    result: Result
    message: str
    facts: dict[str, object] = field(default_factory=dict)


def passed(message: str, **facts: object) -> Verdict:
    return Verdict(Result.PASS, message, facts)


def failed(message: str, **facts: object) -> Verdict:
    return Verdict(Result.FAIL, message, facts)


@dataclass(frozen=True, slots=True)
class TaskFacts:
    """What a task-level rule sees. `special_campaign` and `directives` are the task's own facts
    for GACC-RVI 3(II), as the task system reports them. A task rule reads the moment only through
    `enterprise.consents_at(as_at)`: verdicts are memoized on everything else and that answer."""

    as_at: datetime
    enterprise_id: str
    enterprise: EnterpriseStanding | None
    customs: str
    special_campaign: bool
    directives: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """What an item-level rule sees. Item rules judge the item against the catalogues in force on
    the evaluation's day, not against the moment itself, so their verdicts can be reused."""

    item_id: str
    category: str | None
    commodity_code: str | None


@dataclass(frozen=True)
class Catalogues:
    """The catalogue entries of one rule-set version in force on one day, by key."""

    high_risk_chapters: Mapping[str, CatalogueEntry]
    high_risk_categories: Mapping[str, CatalogueEntry]
    non_video_categories: Mapping[str, CatalogueEntry]
    physical_directive_keywords: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    id: str
    reference: str
    title: str
    effective_from: date
    effective_to: date | None

    def in_force_on(self, day: date) -> bool:
        return in_force_on(self.effective_from, self.effective_to, day)


@dataclass(frozen=True)
class TaskRule(Rule):
    """Fails for the whole task: every item goes on-site."""

    check: Callable[[TaskFacts, Catalogues], Verdict]
    scope: Scope = "task"
    about_enterprise: bool = False

    def evaluate(self, facts: TaskFacts, catalogues: Catalogues) -> Verdict:
        return self.check(facts, catalogues)


@dataclass(frozen=True)
class ItemRule(Rule):
    """Fails for one checklist item: that item goes on-site."""

    check: Callable[[ItemFacts, Catalogues], Verdict]
    scope: Scope = "item"

    def evaluate(self, facts: ItemFacts, catalogues: Catalogues) -> Verdict:
        return self.check(facts, catalogues)
