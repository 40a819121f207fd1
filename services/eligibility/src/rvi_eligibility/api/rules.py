"""The published rule sets with their legal references, for transparency."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from rvi_eligibility.api.dependencies import Anyone
from rvi_eligibility.rules.catalogue import PILOT_START
from rvi_eligibility.rules.evaluation import OFFICER_JUDGEMENT, OFFICER_REFERENCE
from rvi_eligibility.rules.rulesets import REGISTRY, UnknownRuleSet
from rvi_eligibility.rules.schemas import RuleCatalogueOut, RuleOut, RuleSetSummary, catalogue_out, summary_out
from rvi_shared.auth import Principal
from rvi_shared.clock import Clock
from rvi_shared.datetimes import Rfc3339DateTime
from rvi_shared.errors import Unprocessable
from rvi_shared.service import clock

router = APIRouter(tags=["rules"])

OFFICER_JUDGEMENT_RULE = RuleOut(
    id=OFFICER_JUDGEMENT,
    reference=OFFICER_REFERENCE,
    title="customs otherwise judges remote video unsuitable (a recorded officer decision with its reason)",
    scope="task",
    about_enterprise=False,
    effective_from=PILOT_START,
    effective_to=None,
)


@router.get("/v1/rules", response_model=RuleCatalogueOut)
async def rule_catalogue(
    version: str | None = Query(default=None, description="a published rule-set version"),
    as_at: Rfc3339DateTime | None = Query(default=None, description="the version in force then (default now)"),
    the_clock: Clock = Depends(clock),
    principal: Principal = Depends(Anyone),
) -> RuleCatalogueOut:
    """A rule set (the one in force now unless asked otherwise): each rule with its legal reference
    and effective period, the catalogues the rules use, the pilot districts, and every version."""
    try:
        rule_set = REGISTRY.named(version) if version else REGISTRY.at(as_at or the_clock.now())
    except UnknownRuleSet as exc:
        raise Unprocessable(str(exc), field="version" if version else "as_at") from None
    return catalogue_out(rule_set, REGISTRY.versions, OFFICER_JUDGEMENT_RULE)


@router.get("/v1/rule-sets", response_model=list[RuleSetSummary])
async def rule_sets(principal: Principal = Depends(Anyone)) -> list[RuleSetSummary]:
    """Every published rule-set version with its effective period."""
    return [summary_out(v) for v in REGISTRY.versions]
