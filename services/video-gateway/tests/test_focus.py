"""The current focus of a live session (the site and checklist item the officers are on): set by a
team officer, read by the enterprise with the long-poll every GET has (`Prefer: wait`,
`If-None-Match`), answered as soon as the focus moves, on this instance or another."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx

from rvi_platform.testing import Tokens
from rvi_shared.db import asyncpg_dsn
from rvi_shared.messaging.changes import changes_channel
from rvi_video_gateway.settings import VideoGatewaySettings

OpenSession = Callable[..., Awaitable[dict[str, Any]]]


def waiting_for_change(headers: dict[str, str], etag: str, wait_s: int) -> dict[str, str]:
    return {**headers, "Prefer": f"wait={wait_s}", "If-None-Match": etag}


async def test_the_enterprise_waits_for_the_officers_next_site_and_item(
    open_session: OpenSession, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    session = await open_session()
    url = f"/v1/sessions/{session['session_id']}/focus"
    officer = tokens.header(tokens.officer())
    enterprise = tokens.header(tokens.enterprise(session["enterprise_id"]))

    first = await client.get(url, headers={**enterprise, "Prefer": "wait=20"})
    assert first.status_code == 200, first.text
    assert (first.json()["version"], first.json()["site_id"]) == (0, None)
    etag = first.headers["ETag"]

    started = time.monotonic()
    idle = await client.get(url, headers=waiting_for_change(enterprise, etag, 1))
    assert idle.status_code == 304 and idle.headers["ETag"] == etag and time.monotonic() - started >= 0.9

    waiting = asyncio.create_task(client.get(url, headers=waiting_for_change(enterprise, etag, 20)))
    await asyncio.sleep(0.3)
    assert not waiting.done()
    moved = await client.put(url, json={"site_id": "S2", "item_id": "I1"}, headers=officer)
    assert moved.status_code == 204, moved.text
    answer = await asyncio.wait_for(waiting, 5)
    assert answer.status_code == 200 and answer.headers["ETag"] != etag
    answered = answer.json()
    assert answered["version"] == 1
    assert (answered["site_id"], answered["site_name"]) == ("S2", "Guanhaiwei base")
    assert (answered["item_id"], answered["item_description"]) == ("I1", "agricultural inputs")

    await client.put(url, json={"site_id": "S1"}, headers=officer)
    now = await client.get(url, headers=waiting_for_change(enterprise, answer.headers["ETag"], 5))
    assert (now.json()["version"], now.json()["site_id"], now.json()["item_id"]) == (2, "S1", None)


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
    capped = await client.get(url, headers={**enterprise, "Prefer": "wait=31"})
    assert capped.status_code == 200 and capped.headers["Preference-Applied"] == "wait=30"
    assert (await client.get("/v1/sessions/not-a-session/focus", headers=enterprise)).status_code == 404


async def test_a_session_id_spelt_otherwise_is_one_session_and_unknown_ids_leave_no_waiter(
    open_session: OpenSession, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    session = await open_session()
    canonical = session["session_id"]
    officer = tokens.header(tokens.officer())
    enterprise = tokens.header(tokens.enterprise(session["enterprise_id"]))
    shouted = f"/v1/sessions/{canonical.upper()}/focus"

    etag = (await client.get(shouted, headers={**enterprise, "Prefer": "wait=0"})).headers["ETag"]
    waiting = asyncio.create_task(client.get(shouted, headers=waiting_for_change(enterprise, etag, 20)))
    await asyncio.sleep(0.3)
    started = time.monotonic()
    moved = await client.put(f"/v1/sessions/{canonical}/focus", json={"site_id": "S1"}, headers=officer)
    assert moved.status_code == 204, moved.text
    answered = await asyncio.wait_for(waiting, 5)
    assert time.monotonic() - started < 0.5  # woken by the change, not by the end of the wait
    assert answered.status_code == 200 and answered.json()["session_id"] == canonical

    feed = client._transport.app.state.runtime.changes  # type: ignore[attr-defined]
    for _ in range(3):
        unknown = f"/v1/sessions/{uuid.uuid4()}/focus"
        assert (await client.get(unknown, headers=enterprise)).status_code == 404
        assert (await client.get(unknown, headers=waiting_for_change(enterprise, "*", 1))).status_code == 404
    assert not feed._waiters


async def test_a_focus_change_is_announced_to_every_instance(
    open_session: OpenSession, client: httpx.AsyncClient, tokens: Tokens, settings: VideoGatewaySettings
) -> None:
    """Another instance's long-polls hear of a change through PostgreSQL (NOTIFY on the service's
    changes channel, which each instance LISTENs to), sent when the change commits."""
    session = await open_session()
    heard: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    try:
        await listener.add_listener(changes_channel(settings.schema), lambda *args: heard.put_nowait(args[-1]))
        url = f"/v1/sessions/{session['session_id'].upper()}/focus"
        refused = await client.put(url, json={"site_id": "S9"}, headers=tokens.header(tokens.officer()))
        assert refused.status_code == 422
        moved = await client.put(url, json={"site_id": "S2"}, headers=tokens.header(tokens.officer()))
        assert moved.status_code == 204, moved.text
        announced = [await asyncio.wait_for(heard.get(), 5)]
        await asyncio.sleep(0.3)
        while not heard.empty():
            announced.append(heard.get_nowait())
        # Once, for the accepted change only, by the id's canonical spelling.
        assert announced.count(session["session_id"]) == 1, announced
    finally:
        await listener.close()
