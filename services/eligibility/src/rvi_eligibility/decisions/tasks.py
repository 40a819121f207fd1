"""Tasks submitted over REST: what-if evaluations (never stored), single decisions and batches.

Storing and emitting: a task naming an open inspection this service follows (from
`rvi.inspection.requested.v1`) is a re-evaluation of that inspection: its decision supersedes the
previous one and is emitted as `rvi.eligibility.decided.v1`, so scheduling acts on it. Any other
task is decided ad hoc: stored (with the caller's inspection id as a mere reference) and never
emitted, since no service follows it. Ad-hoc decisions are stored without ORM objects, many in one
INSERT: those of a batch, and those of concurrent single requests (see single_decisions.py)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from rvi_eligibility.decisions.schemas import EvaluationRequest, TaskFields, TaskIn
from rvi_eligibility.decisions.service import EligibilityService
from rvi_eligibility.facts.store import StandingSource, standings_at
from rvi_eligibility.models import AD_HOC_DECISION, Decision, InspectionRequest
from rvi_eligibility.rules.districts import customs_office
from rvi_eligibility.rules.evaluation import Evaluation, evaluate
from rvi_eligibility.rules.model import TaskFacts
from rvi_eligibility.rules.rulesets import REGISTRY, RuleSet, UnknownRuleSet
from rvi_eligibility.rules.standing import EnterpriseStanding
from rvi_shared.auth import Principal
from rvi_shared.errors import Conflict, DomainError, Unprocessable


@dataclass(frozen=True)
class Checked:
    """A task that passed the input checks: the moment and the rule set it is evaluated with."""

    at: datetime
    rule_set: RuleSet


@dataclass(frozen=True)
class AdHocDecision:
    """A stored ad-hoc decision: its row, and the evaluation it was made from (for the response)."""

    row: dict[str, Any]
    evaluation: Evaluation


@dataclass(frozen=True)
class AdHocTask:
    """A checked task to decide ad hoc: who asked, and when."""

    task: TaskIn
    checked: Checked
    now: datetime
    trigger: str
    decided_by: str


@dataclass(frozen=True)
class BatchResult:
    index: int
    decision: Decision | AdHocDecision | None = None
    error: DomainError | None = None


class TaskDecider:
    def __init__(self, service: EligibilityService) -> None:
        self.service = service
        self.repo = service.repo
        self.clock = service.clock

    def check(self, task: TaskFields, rule_set_version: str | None = None, now: datetime | None = None) -> Checked:
        return check_task(task, now or self.clock.now(), rule_set_version)

    async def what_if(self, body: EvaluationRequest) -> Evaluation:
        checked = self.check(body, body.rule_set_version)
        standing = await self.service.facts.standing(body.enterprise_id, checked.at)
        if body.facts is not None:
            standing = _with_alternative_facts(body, standing, checked.at)
        return evaluate(task_facts(body, standing, checked.at), body.checklist_items, checked.rule_set)

    async def decide(self, task: TaskIn, principal: Principal) -> Decision | AdHocDecision:
        checked = self.check(task)
        trigger = f"POST /v1/decisions by {principal.subject}"
        if task.inspection_id is not None:
            request = await self.repo.request(task.inspection_id, for_update=True)
            if request is not None:
                return await self._redecide(request, task, checked, trigger, principal)
        (decision,) = await decide_ad_hoc(
            self.repo, [AdHocTask(task, checked, self.clock.now(), trigger, principal.subject)]
        )
        return decision

    async def decide_batch(self, tasks: Sequence[TaskIn], principal: Principal) -> list[BatchResult]:
        trigger = f"POST /v1/decisions:batch by {principal.subject}"
        now = self.clock.now()  # one moment for the whole batch
        results: dict[int, BatchResult] = {}
        pending: dict[int, AdHocTask] = {}
        for index, task in enumerate(tasks):
            try:
                pending[index] = AdHocTask(task, self.check(task, now=now), now, trigger, principal.subject)
            except DomainError as error:
                results[index] = BatchResult(index, error=error)
        decided = await decide_unfollowed(self.repo, list(pending.values()))
        for (index, entry), decision in zip(pending.items(), decided, strict=True):
            if decision is None:
                results[index] = await self._redecide_in_batch(index, entry.task, entry.checked, trigger, principal)
            else:
                results[index] = BatchResult(index, decision=decision)
        return [results[i] for i in range(len(tasks))]

    async def _redecide_in_batch(
        self, index: int, task: TaskIn, checked: Checked, trigger: str, principal: Principal
    ) -> BatchResult:
        request = await self.repo.request(task.inspection_id or "", for_update=True)
        assert request is not None
        try:
            return BatchResult(index, decision=await self._redecide(request, task, checked, trigger, principal))
        except DomainError as error:
            return BatchResult(index, error=error)

    async def _redecide(
        self, request: InspectionRequest, task: TaskIn, checked: Checked, trigger: str, principal: Principal
    ) -> Decision:
        """The task as the caller submits it now becomes the inspection's task facts, so later
        re-evaluations (on fact changes) judge the same task. 3(V) overrides still apply."""
        if request.closed_at is not None:
            raise Conflict(
                f"inspection {request.inspection_id!r} is closed ({request.closed_reason}): it is not decided again",
                current_state=request.closed_reason or "closed",
            )
        if request.enterprise_id != task.enterprise_id:
            raise Conflict(
                f"enterprise_id: inspection {request.inspection_id!r} is for enterprise "
                f"{request.enterprise_id!r}, not {task.enterprise_id!r}",
                current_state="requested",
            )
        request.customs = task.customs
        request.items = [i.model_dump(mode="json") for i in task.checklist_items]
        request.special_campaign = task.special_campaign
        request.directives = list(task.directives)
        evaluation = await self.service.evaluate_request(request, checked.at, rule_set=checked.rule_set)
        return await self.service.decide(
            request, evaluation, trigger, supersedes=request.latest_decision_id, decided_by=principal.subject
        )


class AdHocStore(StandingSource, Protocol):
    """The statements of ad-hoc decisions: on the request's session (EligibilityRepository), or on a
    pooled driver connection for concurrent single decisions (driver_store.py)."""

    async def known_inspections(self, inspection_ids: Collection[str]) -> set[str]: ...

    async def insert_ad_hoc(self, traces: Mapping[str, bytes], rows: Sequence[Mapping[str, Any]]) -> None: ...


async def decide_unfollowed(store: AdHocStore, tasks: Sequence[AdHocTask]) -> list[AdHocDecision | None]:
    """The ad-hoc decisions of the tasks naming no inspection this service follows, stored; None for
    the others, which are decided in their inspection's chain."""
    referenced = {t.task.inspection_id for t in tasks if t.task.inspection_id}
    known = await store.known_inspections(referenced) if referenced else set()
    decided = iter(await decide_ad_hoc(store, [t for t in tasks if t.task.inspection_id not in known]))
    return [None if t.task.inspection_id in known else next(decided) for t in tasks]


async def decide_ad_hoc(store: AdHocStore, tasks: Sequence[AdHocTask]) -> list[AdHocDecision]:
    """Stored with one query for the facts and one statement for traces and decisions, no ORM objects."""
    if not tasks:
        return []
    standings = await standings_at(store, {(t.task.enterprise_id, t.checked.at) for t in tasks})
    decisions: list[AdHocDecision] = []
    traces: dict[str, bytes] = {}
    for t in tasks:
        facts = task_facts(t.task, standings[t.task.enterprise_id, t.checked.at], t.checked.at)
        evaluation = evaluate(facts, t.task.checklist_items, t.checked.rule_set)
        traces.setdefault(evaluation.trace_digest, evaluation.trace_bytes)
        decisions.append(AdHocDecision(ad_hoc_row(t.task, evaluation, t.now, t.trigger, t.decided_by), evaluation))
    await store.insert_ad_hoc(traces, [d.row for d in decisions])
    return decisions


def check_task(task: TaskFields, now: datetime, rule_set_version: str | None = None) -> Checked:
    """422 for input no rule can judge: something that is no customs office (an office outside the
    pilot districts is judged: not remote, GACC-RVI 1), a moment before the pilot, an unpublished
    rule-set version."""
    if customs_office(task.customs) is None:
        raise Unprocessable(
            f"customs: {task.customs!r} is no customs office: give its four-digit customs code (e.g. 3100), "
            "its Chinese name or its English name (GACC-RVI 1, DOMAIN 10)",
            field="customs",
        )
    at = task.as_at or now
    try:
        rule_set = REGISTRY.named(rule_set_version) if rule_set_version else REGISTRY.at(at)
    except UnknownRuleSet as exc:
        raise Unprocessable(str(exc), field="rule_set_version" if rule_set_version else "as_at") from None
    return Checked(at, rule_set)


def task_facts(task: TaskFields, standing: EnterpriseStanding | None, at: datetime) -> TaskFacts:
    return TaskFacts(
        as_at=at,
        enterprise_id=task.enterprise_id,
        enterprise=standing,
        customs=task.customs,
        special_campaign=task.special_campaign,
        directives=tuple(task.directives),
    )


def _with_alternative_facts(
    body: EvaluationRequest, standing: EnterpriseStanding | None, at: datetime
) -> EnterpriseStanding:
    assert body.facts is not None
    values: dict[str, Any] = body.facts.model_dump(exclude_none=True, exclude={"consent"})
    if body.facts.consent is not None:
        values |= body.facts.consent.values()
    return replace(standing or EnterpriseStanding(body.enterprise_id, effective_from=at), **values)


def ad_hoc_row(task: TaskIn, evaluation: Evaluation, now: datetime, trigger: str, decided_by: str) -> dict[str, Any]:
    """The row to insert; its JSON columns are serialized already (bytes), its trace is stored
    apart under `trace_digest`."""
    return {
        "id": str(uuid.uuid4()),
        "kind": AD_HOC_DECISION,
        "inspection_id": task.inspection_id,
        "enterprise_id": task.enterprise_id,
        "customs": task.customs,
        "remote_allowed": evaluation.remote_allowed,
        "outcome": evaluation.outcome,
        "items": evaluation.items_bytes,
        "reasons": evaluation.reasons_bytes,
        "trace_digest": evaluation.trace_digest,
        "rule_set_version": evaluation.rule_set_version,
        "as_at": evaluation.as_at,
        "evaluated_at": now,
        "supersedes": None,
        "trigger": trigger[:255],
        "decided_by": decided_by,
    }
