"""Evaluate every rule in force (not just the first failing), add officers' 3(V) overrides, and
derive the per-item methods and the task outcome."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache

from pydantic_core import to_json

from rvi_eligibility.rules.model import ItemFacts, Result, TaskFacts
from rvi_eligibility.rules.rulesets import REGISTRY, ActiveRules, RuleSet, active_rules
from rvi_eligibility.rules.standing import EnterpriseStanding
from rvi_eligibility.rules.verdicts import (
    OFFICER_JUDGEMENT,
    OFFICER_REFERENCE,
    OfficerOverride,
    Part,
    TraceEntry,
    reason_of,
    trace_of,
)
from rvi_shared.events.payloads import ChecklistItem, ItemDecision, Outcome, Reason

__all__ = ["OFFICER_JUDGEMENT", "OFFICER_REFERENCE", "Evaluation", "OfficerOverride", "TraceEntry", "evaluate"]


@dataclass(frozen=True, slots=True)
class Serialized:
    items: bytes
    reasons: bytes
    trace: bytes
    digest: str


@dataclass(frozen=True)
class Evaluation:
    as_at: datetime
    outcome: Outcome
    items: list[ItemDecision]
    reasons: list[Reason]
    trace: list[TraceEntry]
    rule_set_version: str
    parts: tuple[Part, ...] = field(default=(), repr=False)  # the trace's memoized parts, if all are

    @property
    def remote_allowed(self) -> bool:
        return self.outcome != "onsite"

    @cached_property
    def _serialized(self) -> Serialized:
        """Items, reasons and trace as stored (JSON), and the trace's digest: a function of the
        memoized parts when all are, serialized once per distinct set of parts."""
        if self.parts and (known := _serialized.get(self.parts)) is not None:
            return known
        trace = b"[" + b",".join(t.json for t in self.trace) + b"]"
        known = Serialized(to_json(self.items), to_json(self.reasons), trace, hashlib.sha256(trace).hexdigest())
        if self.parts:
            if len(_serialized) >= MAX_SERIALIZED:
                del _serialized[next(iter(_serialized))]
            _serialized[self.parts] = known
        return known

    @property
    def items_bytes(self) -> bytes:
        return self._serialized.items

    @property
    def reasons_bytes(self) -> bytes:
        return self._serialized.reasons

    @property
    def trace_bytes(self) -> bytes:
        return self._serialized.trace

    @property
    def trace_digest(self) -> str:
        return self._serialized.digest

    def trace_text(self) -> str:
        return self.trace_bytes.decode()


# The rules are pure functions of their facts, so each distinct set of facts is judged once per
# (version, day): item verdicts do not depend on the moment at all, and task verdicts only through
# the consent in effect then (see TaskFacts). The memos are bounded; their keys repeat.
MAX_TASK_PARTS = 1024
MAX_SERIALIZED = 1024
_task_parts: dict[tuple[object, ...], Part] = {}
_serialized: dict[tuple[Part, ...], Serialized] = {}


def _memo_task_part(active: ActiveRules, task: TaskFacts) -> Part:
    consents = task.enterprise.consents_at(task.as_at) if task.enterprise is not None else None
    key = (active, task.enterprise_id, task.enterprise, task.customs, task.special_campaign, task.directives, consents)
    part = _task_parts.get(key)
    if part is None:
        if len(_task_parts) >= MAX_TASK_PARTS:
            del _task_parts[next(iter(_task_parts))]
        part = _task_parts[key] = _task_part(active, task)
    return part


def _task_part(active: ActiveRules, task: TaskFacts) -> Part:
    trace: list[TraceEntry] = []
    reasons: list[Reason] = []
    for rule in active.task_rules:
        verdict = rule.check(task, active.catalogues)
        trace.append(trace_of(rule, "task", verdict))
        if verdict.result is Result.FAIL:
            reasons.append(reason_of(rule.id, rule.reference, verdict))
    return Part(tuple(trace), tuple(reasons))


@lru_cache(maxsize=4096)
def _item_part(active: ActiveRules, item_id: str, category: str | None, commodity_code: str | None) -> Part:
    facts = ItemFacts(item_id, category, commodity_code)
    trace: list[TraceEntry] = []
    reasons: list[Reason] = []
    for rule in active.item_rules:
        verdict = rule.check(facts, active.catalogues)
        trace.append(trace_of(rule, "item", verdict, item_id))
        if verdict.result is Result.FAIL:
            reasons.append(reason_of(rule.id, rule.reference, verdict))
    return Part(tuple(trace), tuple(reasons))


def _override_part(overrides: Sequence[OfficerOverride], scope: str, item_id: str | None) -> Part:
    verdicts = [o.verdict() for o in overrides]
    return Part(
        tuple(
            TraceEntry(OFFICER_JUDGEMENT, OFFICER_REFERENCE, scope, item_id, v.result, v.message, v.facts)
            for v in verdicts
        ),
        tuple(reason_of(OFFICER_JUDGEMENT, OFFICER_REFERENCE, v) for v in verdicts),
    )


def evaluate(
    task: TaskFacts,
    items: Sequence[ChecklistItem],
    rule_set: RuleSet | None = None,
    overrides: Sequence[OfficerOverride] = (),
) -> Evaluation:
    """`rule_set` defaults to the version in force at `task.as_at` (UnknownRuleSet before the pilot)."""
    rule_set = rule_set or REGISTRY.at(task.as_at)
    active = active_rules(rule_set, rule_set.rules_day(task.as_at))
    parts = (
        _memo_task_part(active, task),
        *(_item_part(active, item.item_id, item.category, item.commodity_code) for item in items),
    )
    if overrides:
        assembled = _assemble(parts, items, overrides)
    elif (assembled := _assembled.get(parts)) is None:
        if len(_assembled) >= MAX_ASSEMBLED:
            del _assembled[next(iter(_assembled))]
        assembled = _assembled[parts] = _assemble(parts, items, ())
    outcome, decisions, reasons, trace = assembled
    return Evaluation(
        as_at=task.as_at,
        outcome=outcome,
        items=list(decisions),
        reasons=list(reasons),
        trace=list(trace),
        rule_set_version=active.version,
        parts=() if overrides else parts,
    )


Assembled = tuple[Outcome, tuple[ItemDecision, ...], tuple[Reason, ...], tuple[TraceEntry, ...]]
# Without overrides an evaluation is a function of its parts (the item parts name their items):
# assembled once per distinct set of parts.
MAX_ASSEMBLED = 1024
_assembled: dict[tuple[Part, ...], Assembled] = {}


def _assemble(
    parts: tuple[Part, ...], items: Sequence[ChecklistItem], overrides: Sequence[OfficerOverride]
) -> Assembled:
    by_item: dict[str | None, list[OfficerOverride]] = {}
    for override in overrides:
        by_item.setdefault(override.item_id, []).append(override)
    task_part, item_parts = parts[0], parts[1:]
    trace = list(task_part.trace)
    task_reasons = list(task_part.reasons)
    if None in by_item:
        whole = _override_part(by_item[None], "task", None)
        trace.extend(whole.trace)
        task_reasons.extend(whole.reasons)

    decisions: list[ItemDecision] = []
    item_reasons: list[Reason] = []
    for item, part in zip(items, item_parts, strict=True):
        trace.extend(part.trace)
        own = list(part.reasons)
        if item.item_id in by_item:
            officer = _override_part(by_item[item.item_id], "item", item.item_id)
            trace.extend(officer.trace)
            own.extend(officer.reasons)
        item_reasons.extend(own)
        # A whole-task exclusion (1, 2, 3(II), 3(IV), a whole-task 3(V)) sends every item on-site, and says why.
        why = [*task_reasons, *own] if task_reasons else own
        decisions.append(
            ItemDecision(item_id=item.item_id, method="onsite", reasons=why) if why else _video(item.item_id)
        )
    outcome = _outcome(bool(task_reasons), decisions)
    return outcome, tuple(decisions), (*task_reasons, *item_reasons), tuple(trace)


@lru_cache(maxsize=4096)
def _video(item_id: str) -> ItemDecision:
    """Shared, as the decisions holding it never change it."""
    return ItemDecision(item_id=item_id, method="video")


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
