"""Versioned rule sets and effective dating, combinations of rules, and 3(V) overrides in the
pure evaluation (no database needed)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from rvi_eligibility.rules.evaluation import (
    OFFICER_JUDGEMENT,
    Evaluation,
    OfficerOverride,
    evaluate,
    evaluate_enterprise,
)
from rvi_eligibility.rules.model import Result, TaskFacts, TaskRule, failed
from rvi_eligibility.rules.rulesets import (
    BASELINE,
    MAX_JUDGEMENTS,
    NOVEMBER_2026_SET,
    REGISTRY,
    RuleSet,
    RuleSetRegistry,
    UnknownRuleSet,
)
from rvi_eligibility.rules.standing import EnterpriseStanding
from rvi_shared.events.payloads import ChecklistItem

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
# 2026-11-01 00:00 in China is 2026-10-31 16:00 UTC: rule sets change on Chinese calendar days.
SWITCH = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)

ITEMS = [
    ChecklistItem(item_id="I1", description="agricultural inputs", category="agricultural_inputs"),
    ChecklistItem(item_id="I2", description="crop conditions", category="crop_conditions"),
]
ELIGIBLE = EnterpriseStanding(
    enterprise_id="ENT-CIXI",
    effective_from=NOW - timedelta(days=300),
    consent_given=True,
    can_cooperate=True,
    technical_conditions=True,
    credit_status="advanced_certified",
)


def task(enterprise: EnterpriseStanding | None = ELIGIBLE, **overrides: object) -> TaskFacts:
    facts = TaskFacts(NOW, "ENT-CIXI", enterprise, "Cixi", False, ())
    return replace(facts, **overrides)  # type: ignore[arg-type]


def item(item_id: str, category: str | None = None, code: str | None = None) -> ChecklistItem:
    return ChecklistItem(item_id=item_id, description=item_id, category=category, commodity_code=code)


def failing(evaluation: Evaluation) -> list[tuple[str, str]]:
    return [(r.rule_id, r.reference) for r in evaluation.reasons]


# --- the registry: the version in force on a (Chinese) day ---


@pytest.mark.parametrize(
    ("as_at", "version"),
    [
        (datetime(2025, 1, 1, 0, 0, tzinfo=UTC), "2025-01-01"),
        (SWITCH - timedelta(seconds=1), "2025-01-01"),
        (SWITCH, "2026-11-01"),
        (NOW, "2026-11-01"),
        (datetime(2030, 1, 1, tzinfo=UTC), "2026-11-01"),
    ],
)
def test_version_in_force_at(as_at: datetime, version: str) -> None:
    assert REGISTRY.at(as_at).version == version
    assert evaluate(task(as_at=as_at), ITEMS).rule_set_version == version


def test_before_the_pilot_no_rule_set_applies() -> None:
    with pytest.raises(UnknownRuleSet, match="as_at"):
        REGISTRY.at(datetime(2024, 12, 31, 15, 0, tzinfo=UTC))  # 2024-12-31 23:00 in China


def test_unknown_version_is_named() -> None:
    with pytest.raises(UnknownRuleSet, match="'2027-01-01'"):
        REGISTRY.named("2027-01-01")
    assert REGISTRY.named("2025-01-01") is BASELINE
    assert REGISTRY.latest is NOVEMBER_2026_SET


def test_versions_do_not_overlap_and_leave_no_gap() -> None:
    for earlier, later in zip(REGISTRY.versions, REGISTRY.versions[1:], strict=False):
        assert earlier.effective_to == later.effective_from
    assert REGISTRY.latest.effective_to is None


# --- the high-risk catalogue changes on a date (3(I)) ---

CATALOGUE_CHANGES = [
    ("HS chapter 93 (arms)", item("A", code="9303.20"), "high-risk-items", "GACC-RVI 3(I)"),
    ("HS chapter 36 (explosives)", item("A", code="3604.10"), "high-risk-items", "GACC-RVI 3(I)"),
    ("hazardous chemicals category", item("A", category="hazardous_chemicals"), "high-risk-items", "GACC-RVI 3(I)"),
    ("seal verification", item("A", category="seal_verification"), "item-not-video-capable", "GACC-RVI 3(III)"),
]


@pytest.mark.parametrize(
    ("case", "added", "rule_id", "reference"), CATALOGUE_CHANGES, ids=[c[0] for c in CATALOGUE_CHANGES]
)
def test_catalogue_entries_added_on_2026_11_01(case: str, added: ChecklistItem, rule_id: str, reference: str) -> None:
    before = evaluate(task(as_at=SWITCH - timedelta(minutes=1)), [*ITEMS, added])
    after = evaluate(task(as_at=SWITCH), [*ITEMS, added])
    assert (before.outcome, before.rule_set_version, failing(before)) == ("remote", "2025-01-01", []), case
    assert (after.outcome, after.rule_set_version) == ("hybrid", "2026-11-01"), case
    assert failing(after) == [(rule_id, reference)]
    assert {i.item_id: i.method for i in after.items} == {"I1": "video", "I2": "video", "A": "onsite"}


@pytest.mark.parametrize(
    ("case", "added"),
    [
        ("live animals by chapter", item("A", code="0102.29")),
        ("pharmaceuticals by chapter", item("A", code="3004.90")),
        ("live animals by category", item("A", category="Live_Animals")),
        ("animal by-products by category", item("A", category="animal_by_products")),
    ],
)
def test_baseline_high_risk_applies_in_both_versions(case: str, added: ChecklistItem) -> None:
    for as_at in (SWITCH - timedelta(days=30), NOW):
        evaluation = evaluate(task(as_at=as_at), [*ITEMS, added])
        assert failing(evaluation) == [("high-risk-items", "GACC-RVI 3(I)")], case
        assert evaluation.outcome == "hybrid"


def test_explicit_version_applies_its_entries_to_an_earlier_moment() -> None:
    """A what-if "with the November rules, today" must not hide their new entries."""
    arms = item("A", code="9303.20")
    earlier = SWITCH - timedelta(days=20)
    assert evaluate(task(as_at=earlier), [arms]).outcome == "remote"
    applied = evaluate(task(as_at=earlier), [arms], NOVEMBER_2026_SET)
    assert (applied.outcome, applied.rule_set_version) == ("onsite", "2026-11-01")
    assert failing(applied) == [("high-risk-items", "GACC-RVI 3(I)")]
    # And an older version applied later leaves the newer entries out.
    assert evaluate(task(), [arms], BASELINE).outcome == "remote"


def test_a_rule_with_an_effective_period() -> None:
    """A rule counts only inside its own period, within the version that carries it."""
    temporary = TaskRule(
        "no-video-in-typhoon-season",
        "GACC-RVI 3(II)",
        "temporary directive: on-site checks during typhoon season",
        date(2026, 11, 10),
        date(2026, 11, 20),
        lambda f, c: failed("typhoon-season directive requires on-site checks"),
    )
    rule_set = replace(NOVEMBER_2026_SET, version="test", task_rules=(*NOVEMBER_2026_SET.task_rules, temporary))
    registry = RuleSetRegistry((BASELINE, rule_set))
    for as_at, in_force in [
        (datetime(2026, 11, 9, 12, 0, tzinfo=UTC), False),
        (datetime(2026, 11, 10, 2, 0, tzinfo=UTC), True),
        (datetime(2026, 11, 19, 15, 59, tzinfo=UTC), True),  # 23:59 in China
        (datetime(2026, 11, 19, 16, 0, tzinfo=UTC), False),  # 2026-11-20 00:00 in China
    ]:
        evaluation = evaluate(task(as_at=as_at), ITEMS, registry.at(as_at))
        traced = {t.rule_id for t in evaluation.trace}
        assert ("no-video-in-typhoon-season" in traced) is in_force, as_at
        assert evaluation.remote_allowed is not in_force


# --- rules in combination ---

LAB = item("LAB", category="laboratory_sampling")
FISH = item("FISH", code="0303.89")
COMBINATIONS = [
    (
        "discredited and campaign: both whole-task",
        task(replace(ELIGIBLE, credit_status="discredited"), special_campaign=True),
        ITEMS,
        [("not-discredited", "GACC-RVI 2"), ("special-campaign-or-directive", "GACC-RVI 3(II)")],
        "onsite",
    ),
    (
        "high-risk and laboratory items: hybrid, each item with its own reason",
        task(),
        [*ITEMS, LAB, FISH],
        [("item-not-video-capable", "GACC-RVI 3(III)"), ("high-risk-items", "GACC-RVI 3(I)")],
        "hybrid",
    ),
    (
        "falsification and a laboratory item: whole task on-site",
        task(replace(ELIGIBLE, mandatory_onsite=True, mandatory_onsite_reason="falsified")),
        [*ITEMS, LAB],
        [("mandatory-onsite-after-falsification", "GACC-RVI 3(IV)"), ("item-not-video-capable", "GACC-RVI 3(III)")],
        "onsite",
    ),
    (
        "one item both high-risk and not video-capable",
        task(),
        [*ITEMS, item("X", category="laboratory_sampling", code="0201.10")],
        [("high-risk-items", "GACC-RVI 3(I)"), ("item-not-video-capable", "GACC-RVI 3(III)")],
        "hybrid",
    ),
    (
        "outside the pilot, facts unknown, joint directive",
        task(None, customs="Tianjin", directives=("joint inspection with the tax bureau",)),
        ITEMS,
        [
            ("pilot-district", "GACC-RVI 1"),
            ("enterprise-facts-known", "GACC-RVI 2"),
            ("special-campaign-or-directive", "GACC-RVI 3(II)"),
        ],
        "onsite",
    ),
    (
        "no consent, cannot cooperate, no camera",
        task(replace(ELIGIBLE, consent_given=False, can_cooperate=False, technical_conditions=False)),
        ITEMS,
        [("consent", "GACC-RVI 2"), ("cooperation", "GACC-RVI 2"), ("technical-conditions", "GACC-RVI 2")],
        "onsite",
    ),
]


@pytest.mark.parametrize(
    ("case", "facts", "items", "expected", "outcome"), COMBINATIONS, ids=[c[0] for c in COMBINATIONS]
)
def test_rules_in_combination(
    case: str, facts: TaskFacts, items: list[ChecklistItem], expected: list[tuple[str, str]], outcome: str
) -> None:
    evaluation = evaluate(facts, items)
    assert failing(evaluation) == expected, case
    assert evaluation.outcome == outcome
    assert len([t for t in evaluation.trace if t.result is Result.FAIL]) == len(expected)
    for reason in evaluation.reasons:
        assert reason.facts, f"{reason.rule_id} reports the facts it saw"


def test_directive_without_physical_keyword_does_not_exclude() -> None:
    evaluation = evaluate(task(directives=("check the planting records of 2026",)), ITEMS)
    assert evaluation.outcome == "remote"


# --- 3(V) overrides in the evaluation ---


def override(item_id: str | None) -> OfficerOverride:
    return OfficerOverride(item_id, "camera cannot cover the storage room", "GACC-RVI 3(V)", "O1", "NB-0001", NOW)


def test_whole_task_override_sends_every_item_onsite() -> None:
    evaluation = evaluate(task(), ITEMS, overrides=[override(None)])
    assert (evaluation.outcome, evaluation.remote_allowed) == ("onsite", False)
    assert failing(evaluation) == [(OFFICER_JUDGEMENT, "GACC-RVI 3(V)")]
    assert evaluation.reasons[0].facts["legal_basis"] == "GACC-RVI 3(V)"
    assert all(i.method == "onsite" and i.reasons[0].rule_id == OFFICER_JUDGEMENT for i in evaluation.items)


def test_item_override_makes_a_hybrid_task() -> None:
    evaluation = evaluate(task(), ITEMS, overrides=[override("I2")])
    assert evaluation.outcome == "hybrid"
    assert {i.item_id: i.method for i in evaluation.items} == {"I1": "video", "I2": "onsite"}
    traced = [(t.rule_id, t.item_id, t.result) for t in evaluation.trace if t.rule_id == OFFICER_JUDGEMENT]
    assert traced == [(OFFICER_JUDGEMENT, "I2", Result.FAIL)]


# --- the enterprise's own standing ---


def test_enterprise_rules_alone() -> None:
    good = evaluate_enterprise("E", ELIGIBLE, NOW)
    assert {t.rule_id for t in good} == {
        "enterprise-facts-known",
        "consent",
        "cooperation",
        "technical-conditions",
        "not-discredited",
        "mandatory-onsite-after-falsification",
    }
    assert all(t.result is Result.PASS for t in good)
    unknown = evaluate_enterprise("E", None, NOW)
    assert [t.message for t in unknown if t.result is Result.FAIL] == ["enterprise facts unknown"]


# --- memoized verdicts ---


def test_memoized_verdicts_follow_the_consent_in_effect() -> None:
    """Task verdicts are shared between moments with the same consent in effect, and only then."""
    revoking = replace(ELIGIBLE, consent_given=True, consent_revoked_at=NOW + timedelta(hours=1))
    moments = [NOW, NOW + timedelta(hours=2), NOW + timedelta(minutes=30), NOW + timedelta(hours=3), NOW]
    outcomes = [evaluate(task(revoking, as_at=at), ITEMS) for at in moments]
    assert [e.outcome for e in outcomes] == ["remote", "onsite", "remote", "onsite", "remote"]
    assert [r.rule_id for r in outcomes[3].reasons] == ["consent"]
    assert outcomes[0].trace_digest == outcomes[2].trace_digest != outcomes[1].trace_digest
    assert outcomes[2].as_at == moments[2]  # the evaluation keeps its own moment


def test_shared_traces_serialize_as_fresh_ones() -> None:
    first = evaluate(task(), [*ITEMS, LAB])
    again = evaluate(task(as_at=NOW + timedelta(minutes=5)), [*ITEMS, LAB])
    overridden = evaluate(task(), [*ITEMS, LAB], overrides=[override("I1")])
    expected = b"[" + b",".join(t.json for t in first.trace) + b"]"
    assert first.trace_bytes == again.trace_bytes == expected
    assert overridden.trace_digest != first.trace_digest
    assert [t.rule_id for t in overridden.trace].count(OFFICER_JUDGEMENT) == 1


def test_the_rule_set_keeps_one_bounded_cache_of_judgements() -> None:
    """The same facts are judged once per rule set (the evaluations share the judgement); other facts,
    another day or a 3(V) override are judged anew; the least recently used judgement goes first."""
    rule_set = replace(NOVEMBER_2026_SET)  # a cache of its own
    assert isinstance(rule_set, RuleSet) and rule_set is not NOVEMBER_2026_SET
    first = evaluate(task(), ITEMS, rule_set)
    assert evaluate(task(as_at=NOW + timedelta(minutes=5)), ITEMS, rule_set).judgement is first.judgement
    assert evaluate(task(customs="Xiamen"), ITEMS, rule_set).judgement is not first.judgement
    assert evaluate(task(as_at=NOW + timedelta(days=1)), ITEMS, rule_set).judgement is not first.judgement
    overridden = evaluate(task(), ITEMS, rule_set, overrides=[override("I1")])
    assert overridden.judgement is not first.judgement and overridden.outcome != first.outcome
    for n in range(MAX_JUDGEMENTS):
        evaluate(task(enterprise=replace(ELIGIBLE, name=f"enterprise {n}")), ITEMS, rule_set)
    assert len(rule_set._judgements) == MAX_JUDGEMENTS
    assert evaluate(task(), ITEMS, rule_set).judgement is not first.judgement  # dropped, judged anew
