"""Session commands over REST: start, key steps on the evidence chain, escalation, end."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rvi_platform.testing import Tokens
from rvi_shared.clock import ManualClock

OpenSession = Callable[..., Awaitable[dict[str, Any]]]
Emitted = Callable[[str, str], Awaitable[list[dict[str, Any]]]]


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


async def started(open_session: OpenSession, client: httpx.AsyncClient, tokens: Tokens, **kw: Any) -> str:
    session = await open_session(slot_in=timedelta(minutes=30), **kw)
    response = await client.post(f"/v1/sessions/{session['session_id']}/start", headers=tokens.header(tokens.officer()))
    assert response.status_code == 200, response.text
    return str(session["session_id"])


async def step(
    client: httpx.AsyncClient, tokens: Tokens, session_id: str, credential_no: str = "NB-0001", **body: Any
) -> httpx.Response:
    return await client.post(
        f"/v1/sessions/{session_id}/steps", json=body, headers=tokens.header(tokens.officer(credential_no))
    )


async def manifest(client: httpx.AsyncClient, tokens: Tokens, session_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/sessions/{session_id}/manifest", headers=tokens.header(tokens.system()))
    assert response.status_code == 200, response.text
    return response.json()


async def test_start_waits_for_one_hour_before_the_slot(
    open_session: OpenSession, client: httpx.AsyncClient, tokens: Tokens, clock: ManualClock, emitted: Emitted
) -> None:
    session = await open_session(slot_in=timedelta(days=3))
    url = f"/v1/sessions/{session['session_id']}/start"
    officer = tokens.header(tokens.officer())
    slot_start = datetime.fromisoformat(session["slot_start"])

    early = await client.post(url, headers=officer)
    assert early.status_code == 409
    assert early.json()["current_state"] == "open"
    assert slot_start.isoformat() in early.json()["detail"]
    assert "GACC-RVI 4(I)" in early.json()["detail"]

    clock.advance(slot_start - timedelta(minutes=61) - clock.now())
    assert (await client.post(url, headers=officer)).status_code == 409
    clock.advance(timedelta(minutes=2))
    response = await client.post(url, headers=officer)
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "in_progress"
    assert response.json()["started_at"] is not None
    [started_event] = await emitted(session["inspection_id"], "rvi.session.started.v1")
    assert started_event["session_id"] == session["session_id"]
    assert [o["credential_no"] for o in started_event["officers"]] == ["NB-0001", "NB-0002"]
    again = await client.post(url, headers=officer)
    assert again.status_code == 409
    assert again.json()["current_state"] == "in_progress"


async def test_an_officer_outside_the_team_is_refused(
    open_session: OpenSession, client: httpx.AsyncClient, tokens: Tokens, emitted: Emitted
) -> None:
    session = await open_session(slot_in=timedelta(minutes=30))
    outsider = tokens.header(tokens.officer(credential_no="NB-7777", subject="O7"))
    response = await client.post(f"/v1/sessions/{session['session_id']}/start", headers=outsider)
    assert response.status_code == 403
    assert "NB-7777" in response.json()["detail"]
    assert await emitted(session["inspection_id"], "rvi.session.started.v1") == []
    enterprise = await client.post(
        f"/v1/sessions/{session['session_id']}/start",
        headers=tokens.header(tokens.enterprise(session["enterprise_id"])),
    )
    assert enterprise.status_code == 403


async def test_enterprise_reads_only_its_own_session(
    open_session: OpenSession, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    session = await open_session()
    paths = [
        f"/v1/sessions/{session['session_id']}",
        f"/v1/inspections/{session['inspection_id']}/session",
        f"/v1/sessions/{session['session_id']}/manifest",
    ]
    own = tokens.header(tokens.enterprise(session["enterprise_id"]))
    other = tokens.header(tokens.enterprise("ENT-SOMEONE-ELSE"))
    for path in paths:
        assert (await client.get(path, headers=own)).status_code == 200, path
        assert (await client.get(path, headers=other)).status_code == 403, path
    assert (await client.get(paths[0])).status_code == 401
    assert (await client.get(paths[0], headers=tokens.header(tokens.operator()))).status_code == 403


async def test_steps_form_a_hash_chain_that_names_a_tampered_entry(
    open_session: OpenSession, client: httpx.AsyncClient, tokens: Tokens, emitted: Emitted, db: AsyncEngine
) -> None:
    session_id = await started(open_session, client, tokens)
    bodies = [
        {"kind": "credentials_presented", "note": "Wang Li NB-0001, Chen Jie NB-0002"},
        {"kind": "location_verified", "site_id": "S1", "note": "Zhouxiang base"},
        {"kind": "checklist_item:I1", "note": "inputs store conforming"},
    ]
    recorded = []
    for i, body in enumerate(bodies):
        response = await step(client, tokens, session_id, credential_no="NB-0002" if i == 1 else "NB-0001", **body)
        assert response.status_code == 201, response.text
        recorded.append(response.json())

    got = await manifest(client, tokens, session_id)
    entries = got["entries"]
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert entries[0]["prev_hash"] == "0" * 64
    for before, after in zip(entries, entries[1:], strict=False):
        assert after["prev_hash"] == before["entry_hash"]
    for e in entries:
        assert e["entry_hash"] == hashlib.sha256(e["prev_hash"].encode() + canonical(e["entry"])).hexdigest()
        assert e["entry"]["feed"] is None and e["entry"]["file"] is None
    assert entries[1]["entry"]["site"] == "S1"
    assert entries[1]["entry"]["officer"]["credential_no"] == "NB-0002"
    assert got["verification"] == {"ok": True, "first_broken_seq": None}
    inspection_id = got["inspection_id"]
    events = await emitted(inspection_id, "rvi.session.step_recorded.v1")
    assert [e["digest"] for e in events] == [e["entry_hash"] for e in entries] == [r["entry_hash"] for r in recorded]
    assert [e["kind"] for e in events] == [b["kind"] for b in bodies]

    async with db.begin() as conn:
        await conn.execute(
            text(
                'UPDATE video_gateway.manifest_entries SET entry = (entry::jsonb || \'{"note": "nothing seen"}\')::json'
                " WHERE session_id = :sid AND seq = 2"
            ),
            {"sid": session_id},
        )
    tampered = await manifest(client, tokens, session_id)
    assert tampered["verification"] == {"ok": False, "first_broken_seq": 2}
    refused = await client.post(
        f"/v1/sessions/{session_id}/end", json={"conclusion": "ok"}, headers=tokens.header(tokens.officer())
    )
    assert refused.status_code == 409
    assert refused.json()["first_broken_seq"] == 2


async def test_concurrent_steps_do_not_fork_the_chain(
    open_session: OpenSession, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    session_id = await started(open_session, client, tokens)
    responses = await asyncio.gather(
        *(step(client, tokens, session_id, kind="other", note=f"observation {i}") for i in range(8))
    )
    assert [r.status_code for r in responses] == [201] * 8
    got = await manifest(client, tokens, session_id)
    assert [e["seq"] for e in got["entries"]] == list(range(1, 9))
    assert sorted(e["entry"]["note"] for e in got["entries"]) == sorted(f"observation {i}" for i in range(8))
    assert got["verification"]["ok"] is True


async def test_step_kinds_and_sites_are_checked(
    open_session: OpenSession, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    session = await open_session(slot_in=timedelta(minutes=30), onsite_items=("I2",))
    session_id = str(session["session_id"])
    not_yet = await step(client, tokens, session_id, kind="other", note="too soon")
    assert not_yet.status_code == 409
    assert not_yet.json()["current_state"] == "open"
    await client.post(f"/v1/sessions/{session_id}/start", headers=tokens.header(tokens.officer()))

    unknown_item = await step(client, tokens, session_id, kind="checklist_item:I9", note="?")
    assert unknown_item.status_code == 422
    assert "kind" in unknown_item.json()["detail"] and "I9" in unknown_item.json()["detail"]
    onsite_item = await step(client, tokens, session_id, kind="checklist_item:I2", note="crops")
    assert onsite_item.status_code == 422
    assert "on-site" in onsite_item.json()["detail"]
    bad_kind = await step(client, tokens, session_id, kind="dancing", note="?")
    assert bad_kind.status_code == 422
    assert bad_kind.json()["field"].split(".")[-1] == "kind"
    bad_site = await step(client, tokens, session_id, kind="location_verified", site_id="S9")
    assert bad_site.status_code == 422
    assert "site_id" in bad_site.json()["detail"]
    backwards = await step(
        client,
        tokens,
        session_id,
        kind="other",
        started_at="2026-11-23T03:00:00+00:00",
        ended_at="2026-11-23T02:00:00+00:00",
    )
    assert backwards.status_code == 422
    assert "started_at" in backwards.json()["detail"]
    assert (await manifest(client, tokens, session_id))["entries"] == []


async def test_end_seals_the_manifest_once(
    open_session: OpenSession, client: httpx.AsyncClient, tokens: Tokens, emitted: Emitted
) -> None:
    session_id = await started(open_session, client, tokens)
    for body in (
        {"kind": "identity_verified", "note": "Li Mei, ID card"},
        {"kind": "power_of_attorney_verified", "note": "dated this month, sealed"},
    ):
        assert (await step(client, tokens, session_id, **body)).status_code == 201
    url = f"/v1/sessions/{session_id}/end"
    outsider = tokens.header(tokens.officer(credential_no="NB-7777"))
    assert (await client.post(url, json={"conclusion": "x"}, headers=outsider)).status_code == 403
    missing = await client.post(url, json={}, headers=tokens.header(tokens.officer()))
    assert missing.status_code == 422
    assert missing.json()["field"].split(".")[-1] == "conclusion"

    ended = await client.post(url, json={"conclusion": "conforming"}, headers=tokens.header(tokens.officer()))
    assert ended.status_code == 200, ended.text
    got = await manifest(client, tokens, session_id)
    recomputed = hashlib.sha256(
        canonical(
            [
                {"seq": e["seq"], "prev_hash": e["prev_hash"], "entry": e["entry"], "entry_hash": e["entry_hash"]}
                for e in got["entries"]
            ]
        )
    ).hexdigest()
    assert ended.json()["state"] == "ended"
    assert ended.json()["manifest_digest"] == got["manifest_digest"] == recomputed
    [event] = await emitted(got["inspection_id"], "rvi.session.ended.v1")
    assert event["manifest_digest"] == recomputed
    assert (event["steps"], event["conclusion"]) == (2, "conforming")

    twice = await client.post(url, json={"conclusion": "again"}, headers=tokens.header(tokens.officer()))
    assert twice.status_code == 409
    assert twice.json()["current_state"] == "ended"
    assert "'ended'" in twice.json()["detail"]
    late_step = await step(client, tokens, session_id, kind="other", note="after the end")
    assert late_step.status_code == 409
    assert len(await emitted(got["inspection_id"], "rvi.session.ended.v1")) == 1


async def test_escalation_shifts_on_site(
    open_session: OpenSession, client: httpx.AsyncClient, tokens: Tokens, emitted: Emitted
) -> None:
    session_id = await started(open_session, client, tokens)
    url = f"/v1/sessions/{session_id}/escalate"
    officer = tokens.header(tokens.officer())
    wrong = await client.post(
        url, json={"reason_code": "5(II)", "reason": "x", "falsification_confirmed": True}, headers=officer
    )
    assert wrong.status_code == 422
    unknown_code = await client.post(url, json={"reason_code": "5(V)", "reason": "x"}, headers=officer)
    assert unknown_code.status_code == 422
    body = {"reason_code": "5(I)", "reason": "camera turned away from the store", "falsification_confirmed": True}
    response = await client.post(url, json=body, headers=officer)
    assert response.status_code == 200, response.text
    assert (response.json()["state"], response.json()["escalation_code"]) == ("escalated", "5(I)")
    session = response.json()
    [event] = await emitted(session["inspection_id"], "rvi.session.escalated.v1")
    assert (event["reason_code"], event["falsification_confirmed"]) == ("5(I)", True)
    again = await client.post(url, json=body, headers=officer)
    assert again.status_code == 409
    assert again.json()["current_state"] == "escalated"


async def test_unknown_session_is_404(client: httpx.AsyncClient, tokens: Tokens) -> None:
    for path in ("/v1/sessions/not-a-uuid", "/v1/sessions/00000000-0000-0000-0000-000000000000"):
        assert (await client.get(path, headers=tokens.header(tokens.system()))).status_code == 404
    missing = await client.get("/v1/inspections/nope/session", headers=tokens.header(tokens.system()))
    assert missing.status_code == 404
