"""Input hygiene at the HTTP edge, before any route runs (so a refused request changes nothing):

- a JSON body that is not UTF-8 -> 400;
- a control character (`rvi_shared.text.forbidden_character`: U+0000 and the other Cc characters
  except tab, LF, CR) in the path, a query parameter, or any string (key or value) of a JSON body
  -> 422 naming the field (`path`, the query parameter's name, or the body field's dotted path).

Types on the fields (`Identifier`, `Text`) say the same in the OpenAPI document; this is the net
under every field, including free-form objects stored as JSONB (PostgreSQL refuses U+0000 there).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rvi_shared.errors import problem
from rvi_shared.text import forbidden_character

# A JSON string can hold a control character only as a \u escape (or raw, for U+007F-U+009F).
_RAW_CONTROL = re.compile(r"[\x7f-\x9f]")
_ESCAPED_CONTROL = re.compile(r"\\u00(?:[01][0-9a-fA-F]|7[fF]|[89][0-9a-fA-F])")


def _suspect(text: str) -> bool:
    """Worth parsing for a control character. Substring tests first: far cheaper than a regex scan
    of every body, and most bodies hold no escape at all (or only escapes of other characters)."""
    if "\\u" in text and _ESCAPED_CONTROL.search(text) is not None:
        return True
    return "\x7f" in text if text.isascii() else _RAW_CONTROL.search(text) is not None


def find_forbidden(value: Any, path: tuple[str, ...] = ()) -> tuple[str, str] | None:
    """(dotted field path, character) of the first forbidden character in a JSON value."""
    if isinstance(value, str):
        bad = forbidden_character(value)
        return (".".join(path) or "body", bad) if bad else None
    if isinstance(value, dict):
        for key, item in value.items():
            bad = forbidden_character(key)
            if bad:
                return (".".join((*path, repr(key))) or "body", bad)
            found = find_forbidden(item, (*path, key))
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = find_forbidden(item, (*path, str(index)))
            if found:
                return found
    return None


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return b"json" in value.lower()
    return False


class InputHygieneMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._check_url(scope)
        if refusal is None and _is_json(scope):
            body, receive = await _buffered(receive)
            refusal = self._check_body(body)
        if refusal is not None:
            status, detail, field = refusal
            extensions: dict[str, Any] = {"field": field} if field else {}
            if field:
                extensions["errors"] = [{"field": field, "message": detail}]
            await problem(status, detail, instance=scope.get("path"), **extensions)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _check_url(scope: Scope) -> tuple[int, str, str | None] | None:
        bad = forbidden_character(scope["path"])
        if bad:
            return 422, f"control character {bad} is not allowed in the path", "path"
        query = scope.get("query_string") or b""
        if query:
            try:
                pairs = parse_qsl(query.decode("ascii"), keep_blank_values=True, errors="strict")
            except (UnicodeDecodeError, ValueError):
                return 400, "the query string is not valid percent-encoded UTF-8", None
            for name, value in pairs:
                bad = forbidden_character(name) or forbidden_character(value)
                if bad:
                    return 422, f"control character {bad} is not allowed in query parameter {name!r}", name
        return None

    @staticmethod
    def _check_body(body: bytes) -> tuple[int, str, str | None] | None:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            return 400, f"the request body is not valid UTF-8 (byte {exc.start})", None
        if not _suspect(text):
            return None
        try:
            document = json.loads(text)
        except ValueError:
            return None  # the route answers malformed JSON itself
        found = find_forbidden(document)
        if found is None:
            return None
        field, bad = found
        return 422, f"{field}: control character {bad} is not allowed", field


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            # The client went away: hand the message on as it came.
            async def replay_disconnect(message: Message = message) -> Message:
                return message

            return b"", replay_disconnect
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay
