"""REST schemas of the published rule sets (for transparency)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from rvi_eligibility.rules.catalogue import CatalogueEntry
from rvi_eligibility.rules.districts import PILOT_DISTRICTS, SUBORDINATE_CUSTOMS
from rvi_eligibility.rules.model import Rule, TaskRule
from rvi_eligibility.rules.rulesets import RuleSet


class RuleOut(BaseModel):
    id: str
    reference: str
    title: str
    scope: str
    about_enterprise: bool
    effective_from: date
    effective_to: date | None


class CatalogueEntryOut(BaseModel):
    key: str
    description: str
    effective_from: date
    effective_to: date | None


class RuleSetSummary(BaseModel):
    version: str
    effective_from: date
    effective_to: date | None
    summary: str


class RuleCatalogueOut(BaseModel):
    rule_set_version: str
    effective_from: date
    effective_to: date | None
    summary: str
    rules: list[RuleOut]
    officer_judgement: RuleOut = Field(description="GACC-RVI 3(V): recorded by an officer, not evaluated")
    high_risk_chapters: list[CatalogueEntryOut] = Field(description="GACC-RVI 3(I), by HS chapter")
    high_risk_categories: list[CatalogueEntryOut] = Field(description="GACC-RVI 3(I), by checklist item category")
    non_video_categories: list[CatalogueEntryOut] = Field(description="GACC-RVI 3(III)")
    physical_directive_keywords: list[str] = Field(description="GACC-RVI 3(II): directive words requiring on-site")
    pilot_districts: list[str] = Field(description="GACC-RVI 1")
    subordinate_customs: dict[str, str] = Field(description="customs office → its pilot district")
    versions: list[RuleSetSummary] = Field(description="every published rule set")


def rule_out(rule: Rule) -> RuleOut:
    return RuleOut(
        id=rule.id,
        reference=rule.reference,
        title=rule.title,
        scope="task" if isinstance(rule, TaskRule) else "item",
        about_enterprise=isinstance(rule, TaskRule) and rule.about_enterprise,
        effective_from=rule.effective_from,
        effective_to=rule.effective_to,
    )


def entry_out(e: CatalogueEntry) -> CatalogueEntryOut:
    return CatalogueEntryOut(
        key=e.key, description=e.description, effective_from=e.effective_from, effective_to=e.effective_to
    )


def summary_out(rule_set: RuleSet) -> RuleSetSummary:
    return RuleSetSummary(
        version=rule_set.version,
        effective_from=rule_set.effective_from,
        effective_to=rule_set.effective_to,
        summary=rule_set.summary,
    )


def catalogue_out(rule_set: RuleSet, versions: tuple[RuleSet, ...], officer_judgement: RuleOut) -> RuleCatalogueOut:
    return RuleCatalogueOut(
        rule_set_version=rule_set.version,
        effective_from=rule_set.effective_from,
        effective_to=rule_set.effective_to,
        summary=rule_set.summary,
        rules=[rule_out(r) for r in rule_set.rules],
        officer_judgement=officer_judgement,
        high_risk_chapters=[entry_out(e) for e in rule_set.high_risk_chapters],
        high_risk_categories=[entry_out(e) for e in rule_set.high_risk_categories],
        non_video_categories=[entry_out(e) for e in rule_set.non_video_categories],
        physical_directive_keywords=list(rule_set.physical_directive_keywords),
        pilot_districts=list(PILOT_DISTRICTS),
        subordinate_customs=dict(SUBORDINATE_CUSTOMS),
        versions=[summary_out(v) for v in versions],
    )
