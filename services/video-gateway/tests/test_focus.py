"""The current focus of a live session (the site and checklist item the officers are on): set by a
team officer, read by the enterprise with a long-poll that answers as soon as the focus moves."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from rvi_platform.testing import Tokens

OpenSession = Callable[..., Awaitable[dict[str, Any]]]


async def test_the_enterprise_waits_for_the_officers_next_site_and_item(
    open_session: OpenSession, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    session = await open_session()
    url = f"/v1/sessions/{session['session_id']}/focus"
    officer = tokens.header(tokens.officer())
    enterprise = tokens.header(tokens.enterprise(session["enterprise_id"]))

    first = await client.get(url, headers=enterprise)
    assert first.status_code == 200, first.text
    assert (first.json()["version"], first.json()["site_id"]) == (0, None)

    started = time.monotonic()
    idle = await client.get(url, params={"after": 0, "wait": 1.5}, headers=enterprise)
    assert idle.json()["version"] == 0 and time.monotonic() - started >= 1.4

    waiting = asyncio.create_task(client.get(url, params={"after": 0, "wait": 20}, headers=enterprise))
    await asyncio.sleep(0.3)
    assert not waiting.done()
    moved = await client.put(url, json={"site_id": "S2", "item_id": "I1"}, headers=officer)
    assert moved.status_code == 204, moved.text
    answered = (await asyncio.wait_for(waiting, 5)).json()
    assert answered["version"] == 1
    assert (answered["site_id"], answered["site_name"]) == ("S2", "Guanhaiwei base")
    assert (answered["item_id"], answered["item_description"]) == ("I1", "agricultural inputs")

    await client.put(url, json={"site_id": "S1"}, headers=officer)
    now = (await client.get(url, params={"after": 1, "wait": 5}, headers=enterprise)).json()
    assert (now["version"], now["site_id"], now["item_id"]) == (2, "S1", None)


async def test_only_the_team_moves_the_focus_and_only_to_the_inspections_sites(
    open_session: OpenSession, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    session = await open_session()
    url = f"/v1/sessions/{session['session_id']}/focus"
    officer = tokens.header(tokens.officer())
    enterprise = tokens.header(tokens.enterprise(session["enterprise_id"]))
    other = tokens.header(tokens.enterprise("ENT-someone-else"))

    unknown_site = await client.put(url, json={"site_id": "S9"}, headers=officer)
    assert unknown_site.status_code == 422 and unknown_site.json()["field"] == "site_id"
    unknown_item = await client.put(url, json={"site_id": "S1", "item_id": "I9"}, headers=officer)
    assert unknown_item.status_code == 422 and unknown_item.json()["field"] == "item_id"
    assert (await client.put(url, json={"site_id": "S1"}, headers=enterprise)).status_code == 403
    stranger = tokens.header(tokens.officer(credential_no="XX-0404", subject="O404"))
    assert (await client.put(url, json={"site_id": "S1"}, headers=stranger)).status_code == 403
    assert (await client.get(url, headers=other)).status_code == 403
    assert (await client.get(url, params={"wait": 31}, headers=enterprise)).status_code == 422
    assert (await client.get("/v1/sessions/not-a-session/focus", headers=enterprise)).status_code == 404


async def test_a_session_id_spelt_otherwise_is_one_session_and_unknown_ids_leave_no_waiter(
    open_session: OpenSession, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    session = await open_session()
    canonical = session["session_id"]
    officer = tokens.header(tokens.officer())
    enterprise = tokens.header(tokens.enterprise(session["enterprise_id"]))
    shouted = f"/v1/sessions/{canonical.upper()}/focus"

    waiting = asyncio.create_task(client.get(shouted, params={"after": 0, "wait": 20}, headers=enterprise))
    await asyncio.sleep(0.3)
    started = time.monotonic()
    moved = await client.put(f"/v1/sessions/{canonical}/focus", json={"site_id": "S1"}, headers=officer)
    assert moved.status_code == 204, moved.text
    answered = await asyncio.wait_for(waiting, 5)
    assert time.monotonic() - started < 0.5  # woken by the change, not by the next database poll
    assert answered.json()["session_id"] == canonical

    signals = client._transport.app.state.focus_signals  # type: ignore[attr-defined]
    before = len(signals._events)
    for _ in range(5):
        unknown = f"/v1/sessions/{uuid.uuid4()}/focus"
        assert (await client.get(unknown, headers=enterprise)).status_code == 404
    assert len(signals._events) == before
