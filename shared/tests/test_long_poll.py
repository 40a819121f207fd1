"""Long-poll: a GET with `Prefer: wait` and `If-None-Match` is answered when what it names changes;
the outbox and the consumer runner announce the subjects they touched (NOTIFY on commit)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

import asyncpg
import httpx
from fastapi import FastAPI, HTTPException

from rvi_platform.embedded.broker import EmbeddedBroker
from rvi_shared.db import asyncpg_dsn
from rvi_shared.events import new_event
from rvi_shared.events import payloads as p
from rvi_shared.longpoll import LongPollMiddleware
from rvi_shared.messaging.changes import ChangeFeed, changes_channel
from rvi_shared.messaging.consumer import EventConsumer, HandlerRegistry
from rvi_shared.messaging.kafka import ensure_topics, make_producer
from rvi_shared.messaging.outbox import Outbox

TYPE = "rvi.enterprise.updated.v1"


def things_app(feed: ChangeFeed, states: dict[str, str]) -> FastAPI:
    app = FastAPI()
    app.add_middleware(LongPollMiddleware, feed=feed)

    @app.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id, "state": states[thing_id]}

    @app.get("/secrets/{secret_id}")
    async def secret(secret_id: str) -> None:
        raise HTTPException(401, "no token")

    return app


async def test_a_long_poll_is_answered_when_its_subject_changes_and_304_when_nothing_did() -> None:
    feed = ChangeFeed()
    states = {"a": "requested", "b": "requested"}
    transport = httpx.ASGITransport(app=things_app(feed, states))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        plain = await client.get("/things/a")
        assert plain.json()["state"] == "requested" and "etag" not in plain.headers

        first = await client.get("/things/a", headers={"Prefer": "wait=5"})
        etag = first.headers["etag"]
        assert first.status_code == 200 and first.headers["preference-applied"] == "wait=5"

        async def change_later() -> None:
            await asyncio.sleep(0.3)
            states["b"] = "scheduled"
            feed.changed("b")  # another subject: no answer yet
            await asyncio.sleep(0.3)
            states["a"] = "scheduled"
            feed.changed("a")

        began = time.monotonic()
        changed, answer = await asyncio.gather(
            change_later(), client.get("/things/a", headers={"Prefer": "wait=5", "If-None-Match": etag})
        )
        assert 0.5 < time.monotonic() - began < 4
        assert answer.status_code == 200 and answer.json()["state"] == "scheduled"
        assert answer.headers["etag"] != etag

        began = time.monotonic()
        unchanged = await client.get("/things/a", headers={"Prefer": "wait=1", "If-None-Match": answer.headers["etag"]})
        assert unchanged.status_code == 304 and unchanged.content == b""
        assert time.monotonic() - began >= 0.9

        states["a"] = "completed"  # changed before the wait began: answered at once
        feed.changed("a")
        began = time.monotonic()
        late = await client.get("/things/a", headers={"Prefer": "wait=5", "If-None-Match": answer.headers["etag"]})
        assert late.json()["state"] == "completed" and time.monotonic() - began < 1


def test_the_feed_reports_a_change_it_no_longer_remembers() -> None:
    feed = ChangeFeed(history=2)
    since = feed.sequence
    for subject in ("x", "y", "z"):
        feed.changed(subject)
    assert feed.changed_since(since, {"q"})  # history lost: a read too many, never a wait too long
    assert not feed.changed_since(feed.sequence, {"z"})


async def _listening(messaging_db: str, channel: str) -> tuple[asyncpg.Connection, asyncio.Queue[str]]:
    heard: asyncio.Queue[str] = asyncio.Queue()
    conn = await asyncpg.connect(asyncpg_dsn(messaging_db))
    await conn.add_listener(channel, lambda _c, _p, _ch, payload: heard.put_nowait(payload))
    return conn, heard


async def test_an_emitted_event_notifies_its_subject_on_commit(schema, sessions, messaging_db: str) -> None:
    outbox = Outbox(schema.tables, "test", schema.schema)
    conn, heard = await _listening(messaging_db, outbox.channel)
    try:
        subject = f"E-{uuid.uuid4().hex[:8]}"
        async with sessions() as session, session.begin():
            data = p.EnterpriseUpdated(enterprise_id=subject, effective_from=datetime.now(UTC), can_cooperate=True)
            await outbox.emit(session, data, subject=subject, time=datetime.now(UTC))
            await asyncio.sleep(0.2)
            assert heard.empty()  # not before the commit
        assert await asyncio.wait_for(heard.get(), 5) == subject
    finally:
        await conn.close()


async def test_the_consumer_announces_the_subjects_it_handled(
    schema, sessions, messaging_db: str, own_broker: EmbeddedBroker
) -> None:
    channel = changes_channel(schema.schema)
    conn, heard = await _listening(messaging_db, channel)
    registry = HandlerRegistry()

    @registry.on(p.EnterpriseUpdated)
    async def handled(session, event, payload) -> None:
        pass

    consumer = EventConsumer(
        name=f"test-{uuid.uuid4().hex[:6]}",
        service="test",
        registry=registry,
        sessions=sessions,
        tables=schema.tables,
        bootstrap=own_broker.bootstrap,
        changes_channel=channel,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        subject = f"E-{uuid.uuid4().hex[:8]}"
        data = p.EnterpriseUpdated(enterprise_id=subject, effective_from=datetime.now(UTC), can_cooperate=True)
        event = new_event(type=TYPE, source="/tests", subject=subject, data=data, time=datetime.now(UTC))
        await ensure_topics(own_broker.bootstrap, 3)
        producer = make_producer(own_broker.bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait("rvi.enterprises", value=event.to_json(), key=subject.encode())
        finally:
            await producer.stop()
        assert await asyncio.wait_for(heard.get(), 30) == subject
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
        await conn.close()


async def test_the_wait_preference_and_if_none_match_are_read_as_rfc_7240_and_9110_say() -> None:
    feed = ChangeFeed()
    transport = httpx.ASGITransport(app=things_app(feed, {"a": "requested"}))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for prefer in ("wait=1e9", "wait=-1", "wait=abc", "respond-async; wait=5"):  # not a wait preference
            response = await client.get("/things/a", headers={"Prefer": prefer})
            assert "preference-applied" not in response.headers, prefer
        asked = await client.get("/things/a", headers={"Prefer": "respond-async, wait=99999999999999999999"})
        assert asked.headers["preference-applied"] == "wait=30"
        etag = asked.headers["etag"]
        for if_none_match in (f"W/{etag}", "*", f'"other", {etag}'):
            began = time.monotonic()
            response = await client.get("/things/a", headers={"Prefer": "wait=1", "If-None-Match": if_none_match})
            assert response.status_code == 304 and time.monotonic() - began >= 0.9, if_none_match
        for if_none_match in ('"other"', "garbage", 'W/"x", "y"'):
            response = await client.get("/things/a", headers={"Prefer": "wait=5", "If-None-Match": if_none_match})
            assert response.status_code == 200 and response.headers["etag"] == etag, if_none_match


async def test_an_error_is_answered_at_once_and_a_waiter_leaves_with_its_client() -> None:
    feed = ChangeFeed()
    app = things_app(feed, {"a": "requested"})
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        refused = await client.get("/secrets/a", headers={"Prefer": "wait=5"})
        began = time.monotonic()
        again = await client.get("/secrets/a", headers={"Prefer": "wait=5", "If-None-Match": refused.headers["etag"]})
        assert again.status_code == 401 and time.monotonic() - began < 1
        etag = (await client.get("/things/a", headers={"Prefer": "wait=5"})).headers["etag"]

    messages: list[dict[str, object]] = [{"type": "http.request", "body": b"", "more_body": False}]
    left = asyncio.Event()

    async def receive() -> dict[str, object]:
        if messages:
            return messages.pop()
        await left.wait()
        return {"type": "http.disconnect"}

    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    headers = [(b"prefer", b"wait=30"), (b"if-none-match", etag.encode())]
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/things/a",
        "raw_path": b"/things/a",
        "query_string": b"",
        "headers": headers,
        "http_version": "1.1",
        "scheme": "http",
        "server": ("test", 80),
        "root_path": "",
    }
    waiters = [asyncio.create_task(app(dict(scope), receive, send)) for _ in range(20)]
    await asyncio.sleep(0.3)
    assert feed._waiters and not any(w.done() for w in waiters)
    began = time.monotonic()
    left.set()
    await asyncio.wait_for(asyncio.gather(*waiters), 2)
    assert time.monotonic() - began < 1 and not feed._waiters and not sent
