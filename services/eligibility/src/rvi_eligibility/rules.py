"""The eligibility rules as code (GACC-RVI 1, 2, 3(I)–(IV)). Each rule is small, carries its legal
reference and effective dates, and reports what it saw. 3(V), an officer's own judgement, is not a
rule: it is recorded as a decision by the officer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from rvi_eligibility.catalogue import PILOT_START, high_risk_chapter, in_force, non_video_category
from rvi_eligibility.districts import district_of
from rvi_eligibility.facts import EnterpriseStanding

RULE_SET_VERSION = "2026-11-01"
PHYSICAL_DIRECTIVE_KEYWORDS: tuple[str, ...] = ("unannounced", "joint", "physical")

Scope = Literal["task", "item"]


class Result(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class Verdict:
    result: Result
    message: str
    facts: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskFacts:
    as_at: datetime
    enterprise_id: str
    enterprise: EnterpriseStanding | None
    customs: str
    special_campaign: bool
    directives: tuple[str, ...]


@dataclass(frozen=True)
class ItemFacts:
    as_at: datetime
    item_id: str
    category: str | None
    commodity_code: str | None


def passed(message: str, **facts: object) -> Verdict:
    return Verdict(Result.PASS, message, facts)


def failed(message: str, **facts: object) -> Verdict:
    return Verdict(Result.FAIL, message, facts)


@dataclass(frozen=True)
class _Rule:
    id: str
    reference: str
    title: str
    effective_from: date
    effective_to: date | None

    def in_force(self, at: datetime) -> bool:
        return in_force(self.effective_from, self.effective_to, at)


@dataclass(frozen=True)
class TaskRule(_Rule):
    """Fails for the whole task: every item goes on-site."""

    check: Callable[[TaskFacts], Verdict]
    scope: Scope = "task"

    def evaluate(self, facts: TaskFacts) -> Verdict:
        return self.check(facts)


@dataclass(frozen=True)
class ItemRule(_Rule):
    """Fails for one checklist item: that item goes on-site."""

    check: Callable[[ItemFacts], Verdict]
    scope: Scope = "item"

    def evaluate(self, facts: ItemFacts) -> Verdict:
        return self.check(facts)


# --- GACC-RVI 1 ---


def _pilot_district(f: TaskFacts) -> Verdict:
    district = district_of(f.customs)
    if district is None:
        return failed(f"customs office {f.customs!r} is not in one of the 17 pilot districts", customs=f.customs)
    return passed(
        f"customs office {f.customs!r} is in the {district} pilot district", customs=f.customs, district=district
    )


# --- GACC-RVI 2 ---


def _facts_known(f: TaskFacts) -> Verdict:
    if f.enterprise is None:
        return failed("enterprise facts unknown", enterprise_id=f.enterprise_id)
    return passed(
        "enterprise facts known", enterprise_id=f.enterprise_id, effective_from=_iso(f.enterprise.effective_from)
    )


def _needs_enterprise(check: Callable[[EnterpriseStanding, datetime], Verdict]) -> Callable[[TaskFacts], Verdict]:
    def run(f: TaskFacts) -> Verdict:
        if f.enterprise is None:
            return Verdict(Result.NOT_APPLICABLE, "enterprise facts unknown", {"enterprise_id": f.enterprise_id})
        return check(f.enterprise, f.as_at)

    return run


def _consent(e: EnterpriseStanding, at: datetime) -> Verdict:
    seen = {"given": e.consent_given, "scope": e.consent_scope, "revoked_at": _iso(e.consent_revoked_at)}
    if e.consent_given is None:
        return failed("no consent to remote video inspection is recorded", **seen)
    if not e.consent_given:
        return failed("the enterprise does not consent to remote video inspection", **seen)
    if not e.consents_at(at):
        return failed(f"consent to remote video inspection was revoked at {_iso(e.consent_revoked_at)}", **seen)
    return passed("the enterprise consents to remote video inspection", **seen)


def _cooperation(e: EnterpriseStanding, at: datetime) -> Verdict:
    if e.can_cooperate is None:
        return failed("whether the enterprise can actively cooperate is not recorded", can_cooperate=None)
    if not e.can_cooperate:
        return failed("the enterprise cannot actively cooperate", can_cooperate=False)
    return passed("the enterprise can actively cooperate", can_cooperate=True)


def _technical(e: EnterpriseStanding, at: datetime) -> Verdict:
    seen = {"technical_conditions": e.technical_conditions}
    if e.technical_conditions is None:
        return failed("the enterprise's technical conditions for video inspection are not recorded", **seen)
    if not e.technical_conditions:
        return failed("the enterprise lacks the technical conditions (camera, connection) for video inspection", **seen)
    return passed("the enterprise has the technical conditions for video inspection", **seen)


def _not_discredited(e: EnterpriseStanding, at: datetime) -> Verdict:
    seen = {"credit_status": e.credit_status}
    if e.credit_status is None:
        return failed("the enterprise's credit status is not recorded", **seen)
    if e.credit_status == "discredited":
        return failed("the enterprise is listed as a discredited entity", **seen)
    return passed(f"the enterprise's credit status is {e.credit_status}", **seen)


# --- GACC-RVI 3 ---


def _high_risk(f: ItemFacts) -> Verdict:
    if not f.commodity_code:
        return passed("no commodity code: no high-risk goods", item_id=f.item_id, commodity_code=None)
    entry = high_risk_chapter(f.commodity_code, f.as_at)
    seen: dict[str, object] = {"item_id": f.item_id, "commodity_code": f.commodity_code}
    if entry is None:
        return passed(f"commodity code {f.commodity_code} is not in a high-risk chapter", **seen)
    return failed(
        f"commodity code {f.commodity_code} is high-risk (HS chapter {entry.key}: {entry.description})",
        **seen,
        hs_chapter=entry.key,
    )


def _campaign_or_directive(f: TaskFacts) -> Verdict:
    physical = [d for d in f.directives if any(k in d.casefold() for k in PHYSICAL_DIRECTIVE_KEYWORDS)]
    seen: dict[str, object] = {"special_campaign": f.special_campaign, "directives": list(f.directives)}
    if f.special_campaign:
        return failed("the task is part of a special campaign led by GACC or a directly subordinate customs", **seen)
    if physical:
        return failed(
            f"directives require unannounced, joint or physical on-site checks: {', '.join(physical)}", **seen
        )
    return passed("no special campaign and no directive requiring an on-site check", **seen)


def _video_capable(f: ItemFacts) -> Verdict:
    seen: dict[str, object] = {"item_id": f.item_id, "category": f.category}
    entry = non_video_category(f.category, f.as_at) if f.category else None
    if entry is None:
        return passed("the item can be performed by video", **seen)
    return failed(f"item category {entry.key} ({entry.description}) cannot effectively be done by video", **seen)


def _no_mandatory_onsite(e: EnterpriseStanding, at: datetime) -> Verdict:
    seen = {"mandatory_onsite": e.mandatory_onsite, "reason": e.mandatory_onsite_reason}
    if e.mandatory_onsite:
        return failed(f"the enterprise is under mandatory on-site verification: {e.mandatory_onsite_reason}", **seen)
    return passed("the enterprise is not under mandatory on-site verification", **seen)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


TASK_RULES: tuple[TaskRule, ...] = (
    TaskRule("pilot-district", "GACC-RVI 1", "customs office in a pilot district", PILOT_START, None, _pilot_district),
    TaskRule("enterprise-facts-known", "GACC-RVI 2", "enterprise facts are known", PILOT_START, None, _facts_known),
    TaskRule("consent", "GACC-RVI 2", "the enterprise consents", PILOT_START, None, _needs_enterprise(_consent)),
    TaskRule(
        "cooperation",
        "GACC-RVI 2",
        "the enterprise can actively cooperate",
        PILOT_START,
        None,
        _needs_enterprise(_cooperation),
    ),
    TaskRule(
        "technical-conditions",
        "GACC-RVI 2",
        "camera and connection available",
        PILOT_START,
        None,
        _needs_enterprise(_technical),
    ),
    TaskRule(
        "not-discredited",
        "GACC-RVI 2",
        "not listed as discredited",
        PILOT_START,
        None,
        _needs_enterprise(_not_discredited),
    ),
    TaskRule(
        "special-campaign-or-directive",
        "GACC-RVI 3(II)",
        "no special campaign, no unannounced/joint/physical directive",
        PILOT_START,
        None,
        _campaign_or_directive,
    ),
    TaskRule(
        "mandatory-onsite-after-falsification",
        "GACC-RVI 3(IV)",
        "no mandatory on-site verification after falsification",
        PILOT_START,
        None,
        _needs_enterprise(_no_mandatory_onsite),
    ),
)

ITEM_RULES: tuple[ItemRule, ...] = (
    ItemRule("high-risk-items", "GACC-RVI 3(I)", "no high-risk goods (by HS chapter)", PILOT_START, None, _high_risk),
    ItemRule(
        "item-not-video-capable", "GACC-RVI 3(III)", "the item can be done by video", PILOT_START, None, _video_capable
    ),
)

ALL_RULES: tuple[TaskRule | ItemRule, ...] = (*TASK_RULES, *ITEM_RULES)


def task_rules_in_force(at: datetime) -> list[TaskRule]:
    return [r for r in TASK_RULES if r.in_force(at)]


def item_rules_in_force(at: datetime) -> list[ItemRule]:
    return [r for r in ITEM_RULES if r.in_force(at)]
