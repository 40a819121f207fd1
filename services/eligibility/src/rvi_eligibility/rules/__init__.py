"""The eligibility rules as code (GACC-RVI 1, 2, 3(I)-(IV)): the public names. Rules and their
vocabulary live in rule_model, their checks in checks, the versions in rulesets."""

from __future__ import annotations

from rvi_eligibility.rules.model import (
    Catalogues,
    ItemFacts,
    ItemRule,
    Result,
    Rule,
    Scope,
    TaskFacts,
    TaskRule,
    Verdict,
)
from rvi_eligibility.rules.rulesets import REGISTRY, ActiveRules, RuleSet, UnknownRuleSet, active_rules

LATEST: RuleSet = REGISTRY.latest
RULE_SET_VERSION: str = LATEST.version
ALL_RULES: tuple[Rule, ...] = LATEST.rules

__all__ = [
    "ALL_RULES",
    "LATEST",
    "REGISTRY",
    "RULE_SET_VERSION",
    "ActiveRules",
    "Catalogues",
    "ItemFacts",
    "ItemRule",
    "Result",
    "Rule",
    "RuleSet",
    "Scope",
    "TaskFacts",
    "TaskRule",
    "UnknownRuleSet",
    "Verdict",
    "active_rules",
]
