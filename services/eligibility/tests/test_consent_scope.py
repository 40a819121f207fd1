"""GACC-RVI 2: the enterprise consents to remote video inspection, so the consent's scope must
cover it (consent_scope.py): as a list of covered matters, or in the earlier free-text form."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from rvi_eligibility.rules import Result, TaskFacts
from rvi_eligibility.rules.consent_scope import covered_matters, covers_remote_video, scope_out, stored_scope
from rvi_eligibility.rules.evaluation import evaluate
from rvi_eligibility.rules.standing import EnterpriseStanding
from rvi_platform.testing import Tokens
from rvi_shared.events.payloads import ChecklistItem
from rvi_shared.identifiers import example_uscc

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
ITEMS = [
    ChecklistItem(item_id="I1", description="agricultural inputs", category="agricultural_inputs"),
    ChecklistItem(item_id="I2", description="crop conditions", category="crop_conditions"),
]
ELIGIBLE = EnterpriseStanding(
    enterprise_id=example_uscc("ENT-CIXI"),
    effective_from=NOW - timedelta(days=30),
    consent_given=True,
    consent_scope="export food planting sites",
    can_cooperate=True,
    technical_conditions=True,
    credit_status="general",
)
NOT_COVERED = "but not remote video inspection, to which the enterprise must consent (GACC-RVI 2)"


def task(scope: str | None) -> TaskFacts:
    return TaskFacts(
        as_at=NOW,
        enterprise_id=example_uscc("ENT-CIXI"),
        enterprise=replace(ELIGIBLE, consent_scope=scope),
        customs="Cixi",
        special_campaign=False,
        directives=(),
    )


@pytest.mark.parametrize(
    ("stored", "outcome", "reasons", "message", "seen"),
    [
        pytest.param(
            "remote_video_inspection",
            "remote",
            [],
            "the enterprise consents to remote video inspection",
            ["remote_video_inspection"],
            id="listed",
        ),
        pytest.param(
            "key_step_recording,remote_video_inspection",
            "remote",
            [],
            "the enterprise consents to remote video inspection",
            ["key_step_recording", "remote_video_inspection"],
            id="listed-among-others",
        ),
        pytest.param(
            "key_step_recording",
            "onsite",
            [("consent", "GACC-RVI 2")],
            f"the consent covers key_step_recording {NOT_COVERED}",
            ["key_step_recording"],
            id="recording-only",
        ),
        pytest.param(
            "key_step_recording, electronic_document_delivery",
            "onsite",
            [("consent", "GACC-RVI 2")],
            f"the consent covers key_step_recording, electronic_document_delivery {NOT_COVERED}",
            ["key_step_recording", "electronic_document_delivery"],
            id="other-matters-only",
        ),
        pytest.param(
            "export food planting sites",
            "remote",
            [],
            "the enterprise consents to remote video inspection",
            "export food planting sites",
            id="free-text-earlier-form",
        ),
        pytest.param(
            "remote video inspection, key step recording",
            "remote",
            [],
            "the enterprise consents to remote video inspection",
            "remote video inspection, key step recording",
            id="free-text-that-is-not-matter-names",
        ),
        pytest.param(
            None, "remote", [], "the enterprise consents to remote video inspection", None, id="no-scope-no-limits"
        ),
    ],
)
def test_consent_scope_must_cover_remote_video_inspection(
    stored: str | None, outcome: str, reasons: list[tuple[str, str]], message: str, seen: object
) -> None:
    evaluation = evaluate(task(stored), ITEMS)
    assert evaluation.outcome == outcome
    assert [(r.rule_id, r.reference) for r in evaluation.reasons] == reasons
    [consent] = [t for t in evaluation.trace if t.rule_id == "consent"]
    assert (consent.reference, consent.message, consent.facts["scope"]) == ("GACC-RVI 2", message, seen)
    assert consent.result is (Result.FAIL if reasons else Result.PASS)


def test_a_scope_not_covering_it_fails_with_every_other_failing_rule() -> None:
    standing = replace(ELIGIBLE, consent_scope="electronic_document_delivery", credit_status="discredited")
    evaluation = evaluate(replace(task(None), enterprise=standing), ITEMS)
    assert [(r.rule_id, r.reference) for r in evaluation.reasons] == [
        ("consent", "GACC-RVI 2"),
        ("not-discredited", "GACC-RVI 2"),
    ]


def test_a_revocation_is_reported_before_the_scope() -> None:
    standing = replace(ELIGIBLE, consent_scope="key_step_recording", consent_revoked_at=NOW - timedelta(days=1))
    evaluation = evaluate(replace(task(None), enterprise=standing), ITEMS)
    assert [r.message for r in evaluation.reasons] == [
        f"consent to remote video inspection was revoked at {(NOW - timedelta(days=1)).isoformat()}"
    ]


@pytest.mark.parametrize(
    ("given", "kept", "matters", "shown", "covers"),
    [
        (["remote_video_inspection"], "remote_video_inspection", ("remote_video_inspection",), None, True),
        (
            ["key_step_recording", "remote_video_inspection", "key_step_recording"],
            "key_step_recording,remote_video_inspection",
            ("key_step_recording", "remote_video_inspection"),
            None,
            True,
        ),
        (
            ["electronic_document_delivery"],
            "electronic_document_delivery",
            ("electronic_document_delivery",),
            None,
            False,
        ),
        ("all sites", "all sites", None, "all sites", True),
        (None, None, None, None, True),
    ],
)
def test_scope_kept_as_text_and_read_back(
    given: str | list[str] | None, kept: str | None, matters: tuple[str, ...] | None, shown: str | None, covers: bool
) -> None:
    assert stored_scope(given) == kept
    assert covered_matters(kept) == matters
    assert scope_out(kept) == (list(matters) if matters is not None else shown)
    assert covers_remote_video(kept) is covers


# --- over REST ---


async def put_consent(client: httpx.AsyncClient, tokens: Tokens, enterprise_id: str, consent: Any) -> httpx.Response:
    body = {"consent": consent, "can_cooperate": True, "technical_conditions": True, "credit_status": "general"}
    return await client.put(f"/v1/enterprises/{enterprise_id}/facts", json=body, headers=tokens.header(tokens.system()))


async def test_a_listed_scope_is_stored_shown_and_judged(client: httpx.AsyncClient, tokens: Tokens) -> None:
    covered, not_covered = example_uscc(uuid.uuid4().hex), example_uscc(uuid.uuid4().hex)
    ok = await put_consent(
        client, tokens, covered, {"given": True, "scope": ["remote_video_inspection", "key_step_recording"]}
    )
    assert ok.status_code == 200, ok.text
    consent = ok.json()["consent"]
    assert consent["scope"] == ["remote_video_inspection", "key_step_recording"]
    assert (consent["covers_remote_video_inspection"], ok.json()["remote_eligible"]) == (True, True)

    refused = await put_consent(client, tokens, not_covered, {"given": True, "scope": ["key_step_recording"]})
    standing = refused.json()
    assert (standing["consent"]["covers_remote_video_inspection"], standing["remote_eligible"]) == (False, False)
    assert [(b["rule_id"], b["reference"]) for b in standing["blocking"]] == [("consent", "GACC-RVI 2")]

    task = {
        "enterprise_id": not_covered,
        "customs": "Cixi",
        "checklist_items": [{"item_id": "I1", "description": "crop conditions", "category": "crop_conditions"}],
    }
    decided = await client.post("/v1/decisions", json=task, headers=tokens.header(tokens.officer()))
    assert decided.status_code == 201
    assert decided.json()["outcome"] == "onsite"
    [reason] = decided.json()["reasons"]
    assert (reason["rule_id"], reason["reference"], reason["facts"]["scope"]) == (
        "consent",
        "GACC-RVI 2",
        ["key_step_recording"],
    )

    what_if = await client.post(
        "/v1/evaluations",
        json={**task, "facts": {"consent": {"given": True, "scope": ["remote_video_inspection"]}}},
        headers=tokens.header(tokens.officer()),
    )
    assert what_if.json()["outcome"] == "remote"


@pytest.mark.parametrize(
    ("scope", "where"),
    [
        pytest.param(["remote_video"], "scope", id="unknown-matter"),
        pytest.param([], "scope", id="empty-list"),
        pytest.param("x" * 2001, "scope", id="text-too-long"),
    ],
)
async def test_a_bad_scope_is_422_naming_it(client: httpx.AsyncClient, tokens: Tokens, scope: Any, where: str) -> None:
    response = await put_consent(client, tokens, example_uscc(uuid.uuid4().hex), {"given": True, "scope": scope})
    assert response.status_code == 422
    assert all(where in error["field"].split(".") for error in response.json()["errors"])


async def test_an_event_scope_naming_matters_is_read_as_the_list(
    live_client: httpx.AsyncClient, publisher: Any, kit: Any, tokens: Tokens
) -> None:
    enterprise_id = example_uscc(uuid.uuid4().hex)
    update = kit.cixi_update(enterprise_id)
    update = update.model_copy(update={"consent": update.consent.model_copy(update={"scope": "key_step_recording"})})
    await publisher.event("rvi.enterprise.updated.v1", enterprise_id, update, kit.start)

    async def standing() -> dict[str, Any] | None:
        response = await live_client.get(f"/v1/enterprises/{enterprise_id}", headers=tokens.header(tokens.officer()))
        return response.json() if response.status_code == 200 else None

    facts = await kit.eventually(standing, "the facts from the event")
    assert facts["consent"]["scope"] == ["key_step_recording"]
    assert [(b["rule_id"], b["reference"]) for b in facts["blocking"]] == [("consent", "GACC-RVI 2")]
