"""Evaluate every rule in force (not just the first failing) and derive the per-item methods."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel

from rvi_eligibility.rules import (
    RULE_SET_VERSION,
    ItemFacts,
    ItemRule,
    Result,
    TaskFacts,
    TaskRule,
    Verdict,
    item_rules_in_force,
    task_rules_in_force,
)
from rvi_shared.events.payloads import ChecklistItem, ItemDecision, Method, Outcome, Reason


class TraceEntry(BaseModel):
    rule_id: str
    reference: str
    scope: str
    item_id: str | None = None
    result: Result
    message: str
    facts: dict[str, object]


@dataclass(frozen=True)
class Evaluation:
    as_at: datetime
    outcome: Outcome
    items: list[ItemDecision]
    reasons: list[Reason]
    trace: list[TraceEntry]
    rule_set_version: str = RULE_SET_VERSION

    @property
    def remote_allowed(self) -> bool:
        return self.outcome != "onsite"


def _reason(rule: TaskRule | ItemRule, verdict: Verdict) -> Reason:
    return Reason(rule_id=rule.id, reference=rule.reference, message=verdict.message, facts=verdict.facts)


def _trace(rule: TaskRule | ItemRule, verdict: Verdict, item_id: str | None = None) -> TraceEntry:
    return TraceEntry(
        rule_id=rule.id,
        reference=rule.reference,
        scope=rule.scope,
        item_id=item_id,
        result=verdict.result,
        message=verdict.message,
        facts=verdict.facts,
    )


def evaluate(task: TaskFacts, items: Sequence[ChecklistItem]) -> Evaluation:
    trace: list[TraceEntry] = []
    task_reasons: list[Reason] = []
    for task_rule in task_rules_in_force(task.as_at):
        verdict = task_rule.evaluate(task)
        trace.append(_trace(task_rule, verdict))
        if verdict.result is Result.FAIL:
            task_reasons.append(_reason(task_rule, verdict))

    item_rules = item_rules_in_force(task.as_at)
    decisions: list[ItemDecision] = []
    item_reasons: list[Reason] = []
    for item in items:
        facts = ItemFacts(task.as_at, item.item_id, item.category, item.commodity_code)
        own: list[Reason] = []
        for item_rule in item_rules:
            verdict = item_rule.evaluate(facts)
            trace.append(_trace(item_rule, verdict, item.item_id))
            if verdict.result is Result.FAIL:
                own.append(_reason(item_rule, verdict))
        item_reasons.extend(own)
        # A whole-task exclusion (1, 2, 3(II), 3(IV)) sends every item on-site, and says why.
        why = [*task_reasons, *own]
        method: Method = "onsite" if why else "video"
        decisions.append(ItemDecision(item_id=item.item_id, method=method, reasons=why))

    return Evaluation(
        as_at=task.as_at,
        outcome=_outcome(bool(task_reasons), decisions),
        items=decisions,
        reasons=[*task_reasons, *item_reasons],
        trace=trace,
    )


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
