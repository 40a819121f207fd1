"""The rules one by one, table-driven, on the pure evaluation (no database needed)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from rvi_eligibility.facts.changes import FactChange, fold
from rvi_eligibility.rules import ALL_RULES, RULE_SET_VERSION, Result, TaskFacts
from rvi_eligibility.rules.catalogue import HIGH_RISK_CHAPTERS, NON_VIDEO_CATEGORIES
from rvi_eligibility.rules.districts import PILOT_DISTRICTS, district_of
from rvi_eligibility.rules.evaluation import Evaluation, evaluate
from rvi_eligibility.rules.standing import EnterpriseStanding
from rvi_shared.events.payloads import ChecklistItem

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

CIXI_ITEMS = [
    ChecklistItem(item_id="I1", description="agricultural inputs", category="agricultural_inputs"),
    ChecklistItem(item_id="I2", description="crop conditions", category="crop_conditions"),
    ChecklistItem(item_id="I3", description="land boundaries", category="land_boundaries"),
    ChecklistItem(item_id="I4", description="production records", category="production_records"),
]
ELIGIBLE = EnterpriseStanding(
    enterprise_id="ENT-CIXI",
    effective_from=NOW - timedelta(days=30),
    consent_given=True,
    consent_scope="export food planting sites",
    can_cooperate=True,
    technical_conditions=True,
    credit_status="general",
)


def task(enterprise: EnterpriseStanding | None = ELIGIBLE, **overrides: object) -> TaskFacts:
    facts = TaskFacts(
        as_at=NOW,
        enterprise_id="ENT-CIXI",
        enterprise=enterprise,
        customs="Cixi",
        special_campaign=False,
        directives=(),
    )
    return replace(facts, **overrides)  # type: ignore[arg-type]


def failing(evaluation: Evaluation) -> list[tuple[str, str]]:
    return [(r.rule_id, r.reference) for r in evaluation.reasons]


def methods(evaluation: Evaluation) -> dict[str, str]:
    return {i.item_id: i.method for i in evaluation.items}


def test_cixi_demo_case_is_remote() -> None:
    evaluation = evaluate(task(), CIXI_ITEMS)
    assert evaluation.outcome == "remote"
    assert evaluation.remote_allowed
    assert evaluation.reasons == []
    assert set(methods(evaluation).values()) == {"video"}
    assert evaluation.rule_set_version == RULE_SET_VERSION
    # Every rule in force is in the trace: task rules once, item rules once per item.
    traced = [(t.rule_id, t.item_id) for t in evaluation.trace]
    for rule in ALL_RULES:
        expected = 1 if rule.scope == "task" else len(CIXI_ITEMS)
        assert sum(1 for rule_id, _ in traced if rule_id == rule.id) == expected, rule.id
    assert all(t.result is Result.PASS for t in evaluation.trace)


LAB = ChecklistItem(item_id="LAB", description="soil samples", category="laboratory_sampling")
FISH = ChecklistItem(item_id="FISH", description="frozen fish", commodity_code="0303.89")


RULE_ALONE_CASES = [
    ("not a pilot customs", task(customs="Xiamen"), CIXI_ITEMS, "pilot-district", "GACC-RVI 1", "onsite"),
    (
        "no consent",
        task(replace(ELIGIBLE, consent_given=False)),
        CIXI_ITEMS,
        "consent",
        "GACC-RVI 2",
        "onsite",
    ),
    (
        "cannot cooperate",
        task(replace(ELIGIBLE, can_cooperate=False)),
        CIXI_ITEMS,
        "cooperation",
        "GACC-RVI 2",
        "onsite",
    ),
    (
        "no camera or connection",
        task(replace(ELIGIBLE, technical_conditions=False)),
        CIXI_ITEMS,
        "technical-conditions",
        "GACC-RVI 2",
        "onsite",
    ),
    (
        "discredited",
        task(replace(ELIGIBLE, credit_status="discredited")),
        CIXI_ITEMS,
        "not-discredited",
        "GACC-RVI 2",
        "onsite",
    ),
    ("high-risk goods", task(), [*CIXI_ITEMS, FISH], "high-risk-items", "GACC-RVI 3(I)", "hybrid"),
    (
        "special campaign",
        task(special_campaign=True),
        CIXI_ITEMS,
        "special-campaign-or-directive",
        "GACC-RVI 3(II)",
        "onsite",
    ),
    (
        "unannounced directive",
        task(directives=("Unannounced on-site verification",)),
        CIXI_ITEMS,
        "special-campaign-or-directive",
        "GACC-RVI 3(II)",
        "onsite",
    ),
    (
        "joint inspection directive",
        task(directives=("joint inspection with market regulation",)),
        CIXI_ITEMS,
        "special-campaign-or-directive",
        "GACC-RVI 3(II)",
        "onsite",
    ),
    ("laboratory sampling", task(), [*CIXI_ITEMS, LAB], "item-not-video-capable", "GACC-RVI 3(III)", "hybrid"),
    (
        "falsified before",
        task(replace(ELIGIBLE, mandatory_onsite=True, mandatory_onsite_reason="falsified footage")),
        CIXI_ITEMS,
        "mandatory-onsite-after-falsification",
        "GACC-RVI 3(IV)",
        "onsite",
    ),
]


@pytest.mark.parametrize(
    ("case", "facts", "items", "rule_id", "reference", "outcome"),
    RULE_ALONE_CASES,
    ids=[c[0] for c in RULE_ALONE_CASES],
)
def test_each_rule_alone(
    case: str, facts: TaskFacts, items: list[ChecklistItem], rule_id: str, reference: str, outcome: str
) -> None:
    evaluation = evaluate(facts, items)
    assert failing(evaluation) == [(rule_id, reference)], case
    assert evaluation.outcome == outcome
    assert evaluation.remote_allowed is (outcome != "onsite")
    failed = [t for t in evaluation.trace if t.result is Result.FAIL]
    assert [t.rule_id for t in failed] == [rule_id]
    if outcome == "onsite":  # a whole-task exclusion sends every item on-site, with the reason
        assert set(methods(evaluation).values()) == {"onsite"}
        assert all(i.reasons[0].rule_id == rule_id for i in evaluation.items)


def test_hybrid_only_the_items_concerned_go_onsite() -> None:
    evaluation = evaluate(task(), [*CIXI_ITEMS, LAB, FISH])
    assert evaluation.outcome == "hybrid"
    assert methods(evaluation) == {
        "I1": "video",
        "I2": "video",
        "I3": "video",
        "I4": "video",
        "LAB": "onsite",
        "FISH": "onsite",
    }
    by_item = {i.item_id: [r.reference for r in i.reasons] for i in evaluation.items}
    assert by_item["LAB"] == ["GACC-RVI 3(III)"]
    assert by_item["FISH"] == ["GACC-RVI 3(I)"]
    assert evaluation.reasons[0].facts["item_id"] in {"LAB", "FISH"}


def test_all_items_onsite_without_a_task_exclusion_is_onsite() -> None:
    evaluation = evaluate(task(), [LAB])
    assert (evaluation.outcome, evaluation.remote_allowed) == ("onsite", False)


def test_all_failing_rules_are_reported_not_just_the_first() -> None:
    standing = replace(ELIGIBLE, consent_given=False, credit_status="discredited")
    evaluation = evaluate(task(standing, customs="Xiamen", special_campaign=True), [LAB])
    assert [r for r, _ in failing(evaluation)] == [
        "pilot-district",
        "consent",
        "not-discredited",
        "special-campaign-or-directive",
        "item-not-video-capable",
    ]


def test_unknown_customs_reason_names_the_office() -> None:
    evaluation = evaluate(task(customs="Xiamen"), CIXI_ITEMS)
    assert "Xiamen" in evaluation.reasons[0].message
    assert evaluation.reasons[0].facts["customs"] == "Xiamen"


def test_unknown_enterprise_is_not_eligible() -> None:
    evaluation = evaluate(task(enterprise=None), CIXI_ITEMS)
    assert evaluation.outcome == "onsite"
    assert not evaluation.remote_allowed
    assert [(r.rule_id, r.reference, r.message) for r in evaluation.reasons] == [
        ("enterprise-facts-known", "GACC-RVI 2", "enterprise facts unknown")
    ]
    skipped = {t.rule_id for t in evaluation.trace if t.result is Result.NOT_APPLICABLE}
    assert skipped == {
        "consent",
        "cooperation",
        "technical-conditions",
        "not-discredited",
        "mandatory-onsite-after-falsification",
    }


@pytest.mark.parametrize(
    ("revoked_at", "eligible"),
    [
        (None, True),
        (NOW + timedelta(days=2), True),  # revoked with effect from a later date: still consents now
        (NOW, False),
        (NOW - timedelta(minutes=1), False),
    ],
)
def test_consent_revocation_counts_from_its_time(revoked_at: datetime | None, eligible: bool) -> None:
    evaluation = evaluate(task(replace(ELIGIBLE, consent_revoked_at=revoked_at)), CIXI_ITEMS)
    assert evaluation.remote_allowed is eligible
    assert ("consent", "GACC-RVI 2") in failing(evaluation) or eligible


def test_unrecorded_facts_fail_conservatively() -> None:
    evaluation = evaluate(task(EnterpriseStanding("ENT-NEW", effective_from=NOW, credit_status="general")), CIXI_ITEMS)
    assert [r for r, _ in failing(evaluation)] == ["consent", "cooperation", "technical-conditions"]


@pytest.mark.parametrize(
    ("customs", "district"),
    [
        ("Cixi", "Ningbo"),
        ("cixi", "Ningbo"),
        ("Cixi Customs", "Ningbo"),
        ("BEILUN", "Ningbo"),
        ("Yuyao", "Ningbo"),
        ("Pudong", "Shanghai"),
        ("Waigaoqiao", "Shanghai"),
        ("Shekou", "Shenzhen"),
        ("Futian", "Shenzhen"),
        ("Huangdao", "Qingdao"),
        ("ningbo", "Ningbo"),
        ("Urumqi", "Urumqi"),
        ("Xiamen", None),
        ("Tianjin", None),
    ],
)
def test_district_matching(customs: str, district: str | None) -> None:
    assert district_of(customs) == district


def test_seventeen_pilot_districts() -> None:
    assert len(set(PILOT_DISTRICTS)) == 17


def test_catalogue_is_effective_dated() -> None:
    arms = ChecklistItem(item_id="ARMS", description="hunting rifles", commodity_code="9303.20")
    before = evaluate(task(as_at=datetime(2026, 10, 31, 12, 0, tzinfo=UTC)), [*CIXI_ITEMS, arms])
    after = evaluate(task(), [*CIXI_ITEMS, arms])
    assert before.outcome == "remote"
    assert after.outcome == "hybrid"
    assert failing(after) == [("high-risk-items", "GACC-RVI 3(I)")]


def test_rule_set_version_is_the_latest_effective_change() -> None:
    dates = [r.effective_from for r in ALL_RULES] + [
        e.effective_from for e in (*HIGH_RISK_CHAPTERS, *NON_VIDEO_CATEGORIES)
    ]
    assert RULE_SET_VERSION == max(dates).isoformat()


def test_fold_applies_changes_in_effective_order() -> None:
    t0 = NOW - timedelta(days=10)
    changes = [
        FactChange(t0 + timedelta(days=5), {"credit_status": "discredited"}),
        FactChange(t0, {"credit_status": "general", "can_cooperate": True}),  # arrives late, back-dated
    ]
    now = fold("E", changes)
    assert now is not None and now.credit_status == "discredited" and now.can_cooperate is True
    earlier = fold("E", changes, as_at=t0 + timedelta(days=1))
    assert earlier is not None and earlier.credit_status == "general"
    assert fold("E", changes, as_at=t0 - timedelta(days=1)) is None
