"""Long-poll for any GET: `Prefer: wait=N` (RFC 7240 4.3) with `If-None-Match` (RFC 9110 13.1.2).

A GET carrying `Prefer: wait=N` is answered with an `ETag` (the route's own, else a hash of the
status and body) and `Preference-Applied: wait=N`. When it also carries `If-None-Match` equal to
the current ETag, the answer waits until one of the request's path parameters (an inspection id, a
document id) is announced as changed (`rvi_shared.messaging.changes`), or N seconds (at most
MAX_WAIT_S) pass, then reads again: 304 Not Modified if the representation (a 2xx) is still the
same, else the new response. A 401, 403 or other refusal is answered at once (a 404 waits: what
it names may yet be created). `If-None-Match` is compared weakly, `*` and lists included. A client
waiting for a state asks again with the ETag it got; one request per change instead of one per
polling interval. Requests without the preference are passed through untouched."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Coroutine
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rvi_shared.messaging.changes import ChangeFeed

MAX_WAIT_S = 30
_WAIT = re.compile(rb"(?:^|,)\s*wait\s*=\s*(\d+)\s*(?:[,;]|$)")
_WEAK = b"W/"


def none_match(if_none_match: bytes | None, etag: bytes) -> bool:
    """Whether `If-None-Match` (`*` or a list of entity tags) matches `etag`, comparing weakly
    (RFC 9110 13.1.2: `W/"x"` matches `"x"`)."""
    if if_none_match is None:
        return False
    if if_none_match == b"*":
        return True
    opaque = etag.removeprefix(_WEAK)
    return any(tag.strip().removeprefix(_WEAK) == opaque for tag in if_none_match.split(b","))


def preferred_wait(scope: Scope) -> tuple[int | None, bytes | None]:
    """(seconds asked for in `Prefer: wait`, the `If-None-Match` value)."""
    wait = None
    if_none_match = None
    for name, value in scope["headers"]:
        if name == b"prefer":
            found = _WAIT.search(value.lower().strip())
            if found:
                wait = min(int(found.group(1)), MAX_WAIT_S)
        elif name == b"if-none-match":
            if_none_match = value.strip()
    return wait, if_none_match


def _may_change(status: int) -> bool:
    """A representation, or a 404 for what may yet be created, changes; a refused token does not."""
    return 200 <= status < 300 or status == 404


class _Captured:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.start: Message | None = None
        self.body = bytearray()

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")

    @property
    def status(self) -> int:
        return self.start["status"] if self.start else 500

    def etag(self) -> bytes:
        for name, value in self.start["headers"] if self.start else ():
            if name.lower() == b"etag":
                return value
        digest = hashlib.blake2b(b"%d\n%s" % (self.status, bytes(self.body)), digest_size=12).hexdigest()
        return f'"{digest}"'.encode()


async def _empty_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


class LongPollMiddleware:
    def __init__(self, app: ASGIApp, feed: ChangeFeed) -> None:
        self.app = app
        self.feed = feed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        wait, if_none_match = preferred_wait(scope)
        if wait is None:
            await self.app(scope, receive, send)
            return
        since = self.feed.sequence
        response = await self._read(scope)
        etag = response.etag()
        subjects = {str(v) for v in response.scope.get("path_params", {}).values()}
        if none_match(if_none_match, etag) and subjects and wait > 0 and _may_change(response.status):
            if await self._client_left(receive, self.feed.wait(subjects, since, wait)):
                return
            response = await self._read(scope)
            etag = response.etag()
            if none_match(if_none_match, etag) and 200 <= response.status < 300:
                await self._send(send, 304, response, etag, wait, body=False)
                return
        await self._send(send, response.status, response, etag, wait, body=True)

    @staticmethod
    async def _client_left(receive: Receive, waiting: Coroutine[Any, Any, bool]) -> bool:
        """Waits for `waiting` unless the client disconnects first (True): a waiter leaves with it."""

        async def disconnect() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        tasks = [asyncio.ensure_future(waiting), asyncio.ensure_future(disconnect())]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
        return tasks[1] in done

    async def _read(self, scope: Scope) -> _Captured:
        captured = _Captured(dict(scope))
        await self.app(captured.scope, _empty_body, captured.send)
        return captured

    @staticmethod
    async def _send(send: Send, status: int, response: _Captured, etag: bytes, wait: int, body: bool) -> None:
        assert response.start is not None
        headers = [
            (k, v)
            for k, v in response.start["headers"]
            if k.lower() not in (b"etag", b"preference-applied") and (body or k.lower() != b"content-length")
        ]
        headers += [(b"etag", etag), (b"preference-applied", b"wait=%d" % wait)]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": bytes(response.body) if body else b""})
