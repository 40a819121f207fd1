"""Tasks submitted over REST: what-if evaluations (never stored), single decisions and batches.

Storing and emitting: a task naming an open inspection this service follows (from
`rvi.inspection.requested.v1`) is a re-evaluation of that inspection: its decision supersedes the
previous one and is emitted as `rvi.eligibility.decided.v1`, so scheduling acts on it. Any other
task is decided ad hoc: stored (with the caller's inspection id as a mere reference) and never
emitted, since no service follows it. A single decision is decided as a batch of one: the same
code, in the request's transaction; the ad-hoc decisions of a batch are stored by one statement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from rvi_eligibility.decisions.records import NewDecision, new_decision
from rvi_eligibility.decisions.schemas import EvaluationRequest, TaskFields, TaskIn
from rvi_eligibility.decisions.service import EligibilityService, ensure_open
from rvi_eligibility.models import AD_HOC_DECISION, InspectionRequest
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
class BatchResult:
    index: int
    decision: NewDecision | None = None
    error: DomainError | None = None


class TaskDecider:
    def __init__(self, service: EligibilityService) -> None:
        self.service = service
        self.repo = service.repo
        self.clock = service.clock

    async def what_if(self, body: EvaluationRequest) -> Evaluation:
        checked = check_task(body, self.clock.now(), body.rule_set_version)
        standing = await self.service.facts.standing(body.enterprise_id, checked.at)
        if body.facts is not None:
            standing = _with_alternative_facts(body, standing, checked.at)
        return evaluate(task_facts(body, standing, checked.at), body.checklist_items, checked.rule_set)

    async def decide(self, task: TaskIn, principal: Principal) -> NewDecision:
        """The decision of one task, or its error (422, 409) raised."""
        (result,) = await self.decide_batch([task], principal, "POST /v1/decisions")
        if result.error is not None:
            raise result.error
        assert result.decision is not None
        return result.decision

    async def decide_batch(
        self, tasks: Sequence[TaskIn], principal: Principal, via: str = "POST /v1/decisions:batch"
    ) -> list[BatchResult]:
        """One result per task, in order. Facts are read for all tasks at once; the ad-hoc decisions
        are stored together, each followed inspection's decision in its chain."""
        trigger = f"{via} by {principal.subject}"
        now = self.clock.now()  # one moment for the whole batch
        results: dict[int, BatchResult] = {}
        checked: dict[int, Checked] = {}
        for index, task in enumerate(tasks):
            try:
                checked[index] = check_task(task, now)
            except DomainError as error:
                results[index] = BatchResult(index, error=error)
        referenced = {tasks[i].inspection_id for i in checked if tasks[i].inspection_id}
        followed = await self.repo.known_inspections(referenced) if referenced else set()
        ad_hoc = [i for i in checked if tasks[i].inspection_id not in followed]
        wanted = {(tasks[i].enterprise_id, checked[i].at) for i in ad_hoc}
        standings = await self.service.facts.standings_at(wanted) if wanted else {}
        made: list[NewDecision] = []
        for i in ad_hoc:
            task, at = tasks[i], checked[i].at
            evaluation = evaluate(
                task_facts(task, standings[task.enterprise_id, at], at), task.checklist_items, checked[i].rule_set
            )
            decision = new_decision(
                AD_HOC_DECISION,
                task.inspection_id,
                task.enterprise_id,
                task.customs,
                evaluation,
                now,
                trigger,
                principal.subject,
            )
            made.append(decision)
            results[i] = BatchResult(i, decision=decision)
        await self.repo.insert_decisions(made)
        for i in sorted(set(checked) - set(ad_hoc)):
            try:
                results[i] = BatchResult(i, decision=await self._redecide(tasks[i], checked[i], trigger, principal))
            except DomainError as error:
                results[i] = BatchResult(i, error=error)
        return [results[i] for i in range(len(tasks))]

    async def _redecide(self, task: TaskIn, checked: Checked, trigger: str, principal: Principal) -> NewDecision:
        """The task as the caller submits it now becomes the inspection's task facts, so later
        re-evaluations (on fact changes) judge the same task. 3(V) overrides still apply."""
        request = await self.repo.request(task.inspection_id or "", for_update=True)
        assert request is not None  # followed inspections are never removed
        ensure_open(request)
        if request.enterprise_id != task.enterprise_id:
            raise Conflict(
                f"enterprise_id: inspection {request.inspection_id!r} is for enterprise "
                f"{request.enterprise_id!r}, not {task.enterprise_id!r}",
                current_state="requested",
            )
        _take_task(request, task)
        evaluation = await self.service.evaluate_request(request, checked.at, rule_set=checked.rule_set)
        return await self.service.decide(
            request, evaluation, trigger, supersedes=request.latest_decision_id, decided_by=principal.subject
        )


def _take_task(request: InspectionRequest, task: TaskIn) -> None:
    request.customs = task.customs
    request.items = [i.model_dump(mode="json") for i in task.checklist_items]
    request.special_campaign = task.special_campaign
    request.directives = list(task.directives)


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
