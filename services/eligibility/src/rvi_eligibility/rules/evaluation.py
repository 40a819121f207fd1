"""Evaluate every rule in force (not just the first failing), add officers' 3(V) overrides, and
derive the per-item methods and the task outcome (GACC-RVI 1, 2, 3(I)-(V))."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from pydantic_core import to_json

from rvi_eligibility.rules.catalogue import legal_date
from rvi_eligibility.rules.model import ItemFacts, Result, TaskFacts
from rvi_eligibility.rules.rulesets import REGISTRY, ActiveRules, RuleSet, active_rules
from rvi_eligibility.rules.standing import EnterpriseStanding
from rvi_eligibility.rules.verdicts import (
    OFFICER_JUDGEMENT,
    OFFICER_REFERENCE,
    OfficerOverride,
    TraceEntry,
    reason_of,
    trace_of,
)
from rvi_shared.events.payloads import ChecklistItem, ItemDecision, Outcome, Reason

__all__ = ["OFFICER_JUDGEMENT", "OFFICER_REFERENCE", "Evaluation", "OfficerOverride", "TraceEntry", "evaluate"]


@dataclass(frozen=True, eq=False)
class Judgement:
    """The verdicts of one rule set on a task and its items: the outcome, each item's method, the
    failing rules (reasons) and every rule evaluated (trace). Shared by the evaluations of the same
    facts (see RuleSet.judgement), so never changed."""

    outcome: Outcome
    items: tuple[ItemDecision, ...]
    reasons: tuple[Reason, ...]
    trace: tuple[TraceEntry, ...]

    @cached_property
    def items_json(self) -> bytes:
        return to_json(self.items)

    @cached_property
    def reasons_json(self) -> bytes:
        return to_json(self.reasons)

    @cached_property
    def trace_json(self) -> bytes:
        return b"[" + b",".join(t.json for t in self.trace) + b"]"

    @cached_property
    def trace_digest(self) -> str:
        """SHA-256 (hex) of the serialized trace: the key it is stored under."""
        return hashlib.sha256(self.trace_json).hexdigest()


@dataclass(frozen=True)
class Evaluation:
    as_at: datetime
    rule_set_version: str
    judgement: Judgement

    @property
    def outcome(self) -> Outcome:
        return self.judgement.outcome

    @property
    def items(self) -> list[ItemDecision]:
        return list(self.judgement.items)

    @property
    def reasons(self) -> list[Reason]:
        return list(self.judgement.reasons)

    @property
    def trace(self) -> list[TraceEntry]:
        return list(self.judgement.trace)

    @property
    def remote_allowed(self) -> bool:
        return self.outcome != "onsite"

    @property
    def items_bytes(self) -> bytes:
        return self.judgement.items_json

    @property
    def reasons_bytes(self) -> bytes:
        return self.judgement.reasons_json

    @property
    def trace_bytes(self) -> bytes:
        return self.judgement.trace_json

    @property
    def trace_digest(self) -> str:
        return self.judgement.trace_digest

    def trace_text(self) -> str:
        return self.trace_bytes.decode()


def evaluate(
    task: TaskFacts,
    items: Sequence[ChecklistItem],
    rule_set: RuleSet | None = None,
    overrides: Sequence[OfficerOverride] = (),
) -> Evaluation:
    """`rule_set` defaults to the version in force at `task.as_at` (UnknownRuleSet before the pilot).
    Without overrides the judgement is the rule set's for the same facts, if it judged them before:
    the rules are pure functions of the task's facts, its day and the consent in effect then."""
    rule_set = rule_set or REGISTRY.at(task.as_at)
    if overrides:
        judgement = _judge(rule_set, task, items, overrides)
    else:
        consents = task.enterprise.consents_at(task.as_at) if task.enterprise is not None else None
        key = (
            legal_date(task.as_at),
            task.enterprise_id,
            task.enterprise,
            task.customs,
            task.special_campaign,
            task.directives,
            consents,
            tuple((i.item_id, i.category, i.commodity_code) for i in items),
        )
        judgement = rule_set.judgement(key, lambda: _judge(rule_set, task, items, ()))
    return Evaluation(as_at=task.as_at, rule_set_version=rule_set.version, judgement=judgement)


def _judge(
    rule_set: RuleSet, task: TaskFacts, items: Sequence[ChecklistItem], overrides: Sequence[OfficerOverride]
) -> Judgement:
    active = active_rules(rule_set, rule_set.rules_day(task.as_at))
    by_item: dict[str | None, list[OfficerOverride]] = {}
    for override in overrides:
        by_item.setdefault(override.item_id, []).append(override)

    trace: list[TraceEntry] = []
    task_reasons: list[Reason] = []
    for rule in active.task_rules:
        verdict = rule.check(task, active.catalogues)
        trace.append(trace_of(rule, "task", verdict))
        if verdict.result is Result.FAIL:
            task_reasons.append(reason_of(rule.id, rule.reference, verdict))
    _officer(by_item.get(None, ()), "task", None, trace, task_reasons)

    decisions: list[ItemDecision] = []
    item_reasons: list[Reason] = []
    for item in items:
        own = _item_verdicts(active, item, trace)
        _officer(by_item.get(item.item_id, ()), "item", item.item_id, trace, own)
        item_reasons.extend(own)
        # A whole-task exclusion (1, 2, 3(II), 3(IV), a whole-task 3(V)) sends every item on-site, and says why.
        why = [*task_reasons, *own] if task_reasons else own
        decisions.append(ItemDecision(item_id=item.item_id, method="onsite" if why else "video", reasons=why))
    outcome = _outcome(bool(task_reasons), decisions)
    return Judgement(outcome, tuple(decisions), (*task_reasons, *item_reasons), tuple(trace))


def _item_verdicts(active: ActiveRules, item: ChecklistItem, trace: list[TraceEntry]) -> list[Reason]:
    facts = ItemFacts(item.item_id, item.category, item.commodity_code)
    reasons: list[Reason] = []
    for rule in active.item_rules:
        verdict = rule.check(facts, active.catalogues)
        trace.append(trace_of(rule, "item", verdict, item.item_id))
        if verdict.result is Result.FAIL:
            reasons.append(reason_of(rule.id, rule.reference, verdict))
    return reasons


def _officer(
    overrides: Sequence[OfficerOverride],
    scope: str,
    item_id: str | None,
    trace: list[TraceEntry],
    reasons: list[Reason],
) -> None:
    """GACC-RVI 3(V) overrides enter the trace and the reasons like failing rules."""
    for override in overrides:
        verdict = override.verdict()
        trace.append(
            TraceEntry(
                rule_id=OFFICER_JUDGEMENT,
                reference=OFFICER_REFERENCE,
                scope=scope,
                item_id=item_id,
                result=verdict.result,
                message=verdict.message,
                facts=verdict.facts,
            )
        )
        reasons.append(reason_of(OFFICER_JUDGEMENT, OFFICER_REFERENCE, verdict))


def _outcome(whole_task_excluded: bool, items: Sequence[ItemDecision]) -> Outcome:
    if whole_task_excluded:
        return "onsite"
    onsite = sum(1 for i in items if i.method == "onsite")
    if onsite == 0:
        return "remote"
    return "onsite" if onsite == len(items) else "hybrid"


OUTCOME_STRICTNESS: dict[str, int] = {"remote": 0, "hybrid": 1, "onsite": 2}


def stricter(new: str, old: str) -> bool:
    return OUTCOME_STRICTNESS[new] > OUTCOME_STRICTNESS[old]


def evaluate_enterprise(enterprise_id: str, standing: EnterpriseStanding | None, as_at: datetime) -> list[TraceEntry]:
    """The enterprise rules alone (GACC-RVI 2, 3(IV)): the enterprise's standing, whatever the task."""
    rule_set = REGISTRY.at(as_at)
    active = active_rules(rule_set, rule_set.rules_day(as_at))
    task = TaskFacts(as_at, enterprise_id, standing, customs="", special_campaign=False, directives=())
    return [trace_of(r, "task", r.check(task, active.catalogues)) for r in active.task_rules if r.about_enterprise]
