"""Stricter facts recorded ahead of time re-check open inspections when they take effect, by the
service clock (rechecks.py): once, however many replicas, and after a restart that missed the moment."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rvi_eligibility.app import create_app
from rvi_eligibility.decisions.rechecks import DueRechecks
from rvi_eligibility.decisions.service import EligibilityService
from rvi_eligibility.facts.changes import moments_ahead
from rvi_eligibility.settings import EligibilitySettings
from rvi_platform.testing import Tokens, serve_in_process
from rvi_shared.clock import ManualClock
from rvi_shared.db import transaction
from rvi_shared.events import new_event
from rvi_shared.identifiers import example_uscc
from rvi_shared.service import ServiceRuntime

START = datetime.fromisoformat("2026-11-23T02:00:00+00:00")
DUE = START + timedelta(days=3)
CIXI_FACTS: dict[str, Any] = {
    "name": "Cixi Fresh Food Group",
    "consent": {"given": True, "scope": "export food planting sites"},
    "can_cooperate": True,
    "technical_conditions": True,
    "credit_status": "advanced_certified",
    "effective_from": (START - timedelta(days=30)).isoformat(),
}


@asynccontextmanager
async def service_app(
    database_url: str, bootstrap: str, clock: ManualClock, interval_s: float = 3600.0
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    settings = EligibilitySettings(
        database_url=database_url, kafka_bootstrap=bootstrap, consumers_enabled=False, recheck_interval_s=interval_s
    )
    app = create_app(settings, clock=clock)
    async with serve_in_process(app) as client:
        yield client, app


@pytest.fixture
async def service(
    eligibility_db: str, kafka_bootstrap: str, clock: ManualClock
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    """The service with a timer that ticks once at startup only: the tests run the due re-checks."""
    async with service_app(eligibility_db, kafka_bootstrap, clock) as running:
        yield running


def runtime(app: FastAPI) -> ServiceRuntime:
    return app.state.runtime


async def follow(app: FastAPI, kit: Any, enterprise_id: str) -> str:
    """An inspection this service follows, as `rvi.inspection.requested.v1` makes one."""
    rt, inspection_id = runtime(app), f"INS-{uuid.uuid4().hex[:10]}"
    requested = kit.cixi_request(inspection_id, enterprise_id)
    event = new_event(
        type="rvi.inspection.requested.v1",
        source="/rvi/tests",
        subject=inspection_id,
        data=requested,
        time=rt.clock.now(),
    )
    async with transaction(rt.sessions) as session:
        service = EligibilityService(session, rt.outbox, rt.clock, rt.settings)  # type: ignore[arg-type]
        assert await service.on_requested(event, requested) is not None
    return inspection_id


async def known_enterprise(client: httpx.AsyncClient, tokens: Tokens) -> str:
    enterprise_id = example_uscc(uuid.uuid4().hex)
    response = await put_facts(client, tokens, enterprise_id, CIXI_FACTS)
    assert response.status_code == 200, response.text
    return enterprise_id


async def put_facts(
    client: httpx.AsyncClient, tokens: Tokens, enterprise_id: str, body: dict[str, Any]
) -> httpx.Response:
    return await client.put(f"/v1/enterprises/{enterprise_id}/facts", json=body, headers=tokens.header(tokens.system()))


async def latest(client: httpx.AsyncClient, tokens: Tokens, inspection_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/inspections/{inspection_id}/decision", headers=tokens.header(tokens.officer()))
    assert response.status_code == 200, response.text
    return response.json()


async def pending(db: AsyncEngine, enterprise_id: str) -> list[dict[str, Any]]:
    async with db.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT due_at, done_at, attempts, last_error FROM eligibility.due_rechecks "
                "WHERE enterprise_id = :e ORDER BY due_at"
            ),
            {"e": enterprise_id},
        )
        return [dict(r._mapping) for r in rows]


STRICTER_AHEAD = [
    pytest.param(
        {"consent": {"given": False}, "effective_from": DUE.isoformat()},
        "consent",
        "GACC-RVI 2",
        id="consent-withdrawn-from-a-later-date",
    ),
    pytest.param(
        {"consent": {"given": True, "scope": "export food planting sites", "revoked_at": DUE.isoformat()}},
        "consent",
        "GACC-RVI 2",
        id="consent-revocation-dated-later",
    ),
    pytest.param(
        {"credit_status": "discredited", "effective_from": DUE.isoformat()},
        "not-discredited",
        "GACC-RVI 2",
        id="credit-downgraded-to-discredited",
    ),
    pytest.param(
        {
            "mandatory_onsite": True,
            "mandatory_onsite_reason": "falsified footage in inspection INS-7 (confirmed)",
            "effective_from": DUE.isoformat(),
        },
        "mandatory-onsite-after-falsification",
        "GACC-RVI 3(IV)",
        id="falsification",
    ),
]


@pytest.mark.parametrize(("change", "rule_id", "reference"), STRICTER_AHEAD)
async def test_stricter_fact_recorded_ahead_re_decides_when_it_takes_effect(
    service: tuple[httpx.AsyncClient, FastAPI],
    clock: ManualClock,
    tokens: Tokens,
    kit: Any,
    db: AsyncEngine,
    change: dict[str, Any],
    rule_id: str,
    reference: str,
) -> None:
    client, app = service
    enterprise_id = await known_enterprise(client, tokens)
    inspection_id = await follow(app, kit, enterprise_id)
    first = await latest(client, tokens, inspection_id)
    assert first["outcome"] == "remote"

    assert (await put_facts(client, tokens, enterprise_id, change)).status_code == 200
    assert (await latest(client, tokens, inspection_id))["id"] == first["id"]  # not in effect yet
    assert [(p["due_at"], p["done_at"]) for p in await pending(db, enterprise_id)] == [(DUE, None)]

    timer = DueRechecks(runtime(app))
    clock.advance(DUE - clock.now() - timedelta(minutes=1))
    await timer.run_due()
    assert (await latest(client, tokens, inspection_id))["id"] == first["id"]
    assert [p["done_at"] for p in await pending(db, enterprise_id)] == [None]

    clock.advance(timedelta(minutes=1))
    await timer.run_due()
    decided = await latest(client, tokens, inspection_id)
    assert (decided["supersedes"], decided["outcome"], decided["remote_allowed"]) == (first["id"], "onsite", False)
    assert [(r["rule_id"], r["reference"]) for r in decided["reasons"]] == [(rule_id, reference)]
    assert decided["trigger"].startswith(f"facts in effect from {DUE.isoformat()} (rest ")
    events = await kit.decided_events(db, inspection_id)
    assert [e["data"]["decision_id"] for e in events] == [first["id"], decided["id"]]

    await timer.run_due()  # done once: no second decision however often the timer ticks
    assert len(await kit.decided_events(db, inspection_id)) == 2
    assert [p["done_at"] for p in await pending(db, enterprise_id)] == [DUE]


async def test_a_change_ahead_that_is_not_stricter_decides_nothing_new(
    service: tuple[httpx.AsyncClient, FastAPI], clock: ManualClock, tokens: Tokens, kit: Any, db: AsyncEngine
) -> None:
    client, app = service
    enterprise_id = await known_enterprise(client, tokens)
    inspection_id = await follow(app, kit, enterprise_id)
    first = await latest(client, tokens, inspection_id)
    ahead = {"name": "Cixi Fresh Food Group Co., Ltd.", "effective_from": DUE.isoformat()}
    assert (await put_facts(client, tokens, enterprise_id, ahead)).status_code == 200

    clock.advance(DUE - clock.now())
    await DueRechecks(runtime(app)).run_due()
    assert [p["done_at"] for p in await pending(db, enterprise_id)] == [DUE]
    assert (await latest(client, tokens, inspection_id))["id"] == first["id"]
    assert len(await kit.decided_events(db, inspection_id)) == 1


async def test_replicas_racing_for_a_due_recheck_decide_once(
    service: tuple[httpx.AsyncClient, FastAPI], clock: ManualClock, tokens: Tokens, kit: Any, db: AsyncEngine
) -> None:
    client, app = service
    enterprise_id = await known_enterprise(client, tokens)
    inspections = [await follow(app, kit, enterprise_id) for _ in range(3)]
    change = {"credit_status": "discredited", "effective_from": DUE.isoformat()}
    assert (await put_facts(client, tokens, enterprise_id, change)).status_code == 200

    clock.advance(DUE - clock.now())
    replicas = [DueRechecks(runtime(app)) for _ in range(4)]
    await asyncio.gather(*(replica.run_due() for replica in replicas))
    assert [p["done_at"] for p in await pending(db, enterprise_id)] == [DUE]
    for inspection_id in inspections:
        events = await kit.decided_events(db, inspection_id)
        assert [e["data"]["outcome"] for e in events] == ["remote", "onsite"]


async def test_a_moment_missed_while_no_replica_ran_is_caught_up_at_startup(
    eligibility_db: str, kafka_bootstrap: str, tokens: Tokens, kit: Any, db: AsyncEngine
) -> None:
    clock = ManualClock(START)
    async with service_app(eligibility_db, kafka_bootstrap, clock) as (client, app):
        enterprise_id = await known_enterprise(client, tokens)
        inspection_id = await follow(app, kit, enterprise_id)
        first = await latest(client, tokens, inspection_id)
        revoke = {"consent": {"given": False}, "effective_from": DUE.isoformat()}
        assert (await put_facts(client, tokens, enterprise_id, revoke)).status_code == 200

    clock.advance(timedelta(days=10))  # the service is down when the revocation takes effect
    async with service_app(eligibility_db, kafka_bootstrap, clock, interval_s=0.05) as (client, _):

        async def superseded() -> dict[str, Any] | None:
            decision = await latest(client, tokens, inspection_id)
            return decision if decision["id"] != first["id"] else None

        decided = await kit.eventually(superseded, "the re-check started with the service")
        assert (decided["supersedes"], decided["outcome"]) == (first["id"], "onsite")
        assert decided["as_at"] == (START + timedelta(days=10)).isoformat().replace("+00:00", "Z")


async def test_a_failing_recheck_is_retried_and_left_with_its_error_and_others_go_on(
    service: tuple[httpx.AsyncClient, FastAPI], clock: ManualClock, tokens: Tokens, kit: Any, db: AsyncEngine
) -> None:
    client, app = service
    broken, sound = await known_enterprise(client, tokens), await known_enterprise(client, tokens)
    inspection_id = await follow(app, kit, sound)
    for enterprise_id in (broken, sound):
        change = {"credit_status": "discredited", "effective_from": DUE.isoformat()}
        assert (await put_facts(client, tokens, enterprise_id, change)).status_code == 200

    broken_id = f"INS-BROKEN-{uuid.uuid4().hex[:6]}"
    async with db.begin() as conn:  # an open inspection whose stored checklist no longer validates
        await conn.execute(
            text(
                "INSERT INTO eligibility.decisions (id, kind, inspection_id, enterprise_id, customs, remote_allowed, "
                "outcome, items, reasons, trace_digest, rule_set_version, as_at, evaluated_at, trigger) VALUES "
                "(:d, 'inspection', :i, :e, 'Cixi', true, 'remote', '[]', '[]', 'x', '2026-11-01', :t, :t, 'test')"
            ),
            {"d": f"DEC-{broken_id}", "i": broken_id, "e": broken, "t": START},
        )
        await conn.execute(
            text(
                "INSERT INTO eligibility.inspection_requests (inspection_id, enterprise_id, customs, items, "
                "special_campaign, directives, requested_at, received_at, latest_decision_id) VALUES "
                "(:i, :e, 'Cixi', '[{\"no_item_id\": true}]', false, '[]', :t, :t, :d)"
            ),
            {"d": f"DEC-{broken_id}", "i": broken_id, "e": broken, "t": START},
        )

    clock.advance(DUE - clock.now())
    timer = DueRechecks(runtime(app), max_attempts=2)
    await timer.run_due()  # the broken one fails, the sound one is done all the same
    assert (await latest(client, tokens, inspection_id))["outcome"] == "onsite"
    assert [p["done_at"] for p in await pending(db, sound)] == [DUE]
    [failing] = await pending(db, broken)
    assert (failing["done_at"], failing["attempts"]) == (None, 1)
    assert "ValidationError" in failing["last_error"]

    await timer.run_due()  # retried at the next tick, failing again: given up after 2
    await timer.run_due()
    [failing] = await pending(db, broken)
    assert (failing["done_at"], failing["attempts"]) == (None, 2)


NOW = START


@pytest.mark.parametrize(
    ("values", "effective_from", "expected"),
    [
        pytest.param({"credit_status": "discredited"}, NOW, set(), id="in-effect-now"),
        pytest.param({"credit_status": "discredited"}, NOW - timedelta(days=1), set(), id="back-dated"),
        pytest.param({"credit_status": "discredited"}, DUE, {DUE}, id="dated-later"),
        pytest.param({"consent_given": True, "consent_revoked_at": DUE}, NOW, {DUE}, id="revocation-dated-later"),
        pytest.param(
            {"consent_given": True, "consent_revoked_at": DUE + timedelta(days=1)},
            DUE,
            {DUE, DUE + timedelta(days=1)},
            id="both-dated-later",
        ),
        pytest.param(
            {"consent_given": True, "consent_revoked_at": DUE - timedelta(days=1)},
            DUE,
            {DUE},
            id="revoked-before-the-change-takes-effect",
        ),
        pytest.param({"consent_given": True, "consent_revoked_at": NOW}, NOW, set(), id="revoked-now"),
    ],
)
def test_moments_ahead(values: dict[str, Any], effective_from: datetime, expected: set[datetime]) -> None:
    assert moments_ahead(values, effective_from, NOW) == expected
