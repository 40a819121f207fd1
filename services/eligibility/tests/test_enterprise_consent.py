"""The enterprise gives and withdraws its own consent (GACC-RVI 2) from the portal: recorded as a
fact of its own, read back in its standing; nobody else's consent, and only a valid scope."""

from __future__ import annotations

import uuid

import httpx

from rvi_platform.testing import Tokens
from rvi_shared.identifiers import example_uscc

from .test_api import CIXI_FACTS, put_facts  # noqa: TID252


async def test_the_enterprise_consents_and_withdraws_for_itself(client: httpx.AsyncClient, tokens: Tokens) -> None:
    eid = example_uscc(uuid.uuid4().hex)
    facts = {**CIXI_FACTS, "consent": {"given": False}}
    assert (await put_facts(client, tokens, eid, **facts)).status_code == 200
    enterprise = tokens.header(tokens.enterprise(eid))
    url = f"/v1/enterprises/{eid}/consent"

    given = await client.put(url, json={"given": True, "scope": ["remote_video_inspection"]}, headers=enterprise)
    assert given.status_code == 200, given.text
    assert given.json()["consent"]["in_effect"] is True
    standing = (await client.get(f"/v1/enterprises/{eid}", headers=tokens.header(tokens.officer()))).json()
    assert standing["consent"]["in_effect"] is True
    assert standing["consent"]["scope"] == ["remote_video_inspection"] and standing["remote_eligible"] is True

    only_recording = await client.put(url, json={"given": True, "scope": ["key_step_recording"]}, headers=enterprise)
    assert only_recording.json()["consent"]["covers_remote_video_inspection"] is False  # GACC-RVI 2
    assert only_recording.json()["remote_eligible"] is False

    withdrawn = await client.put(url, json={"given": False}, headers=enterprise)
    assert withdrawn.status_code == 200 and withdrawn.json()["consent"]["in_effect"] is False


async def test_another_enterprise_or_a_bad_scope_is_refused(client: httpx.AsyncClient, tokens: Tokens) -> None:
    eid = example_uscc(uuid.uuid4().hex)
    url = f"/v1/enterprises/{eid}/consent"
    other = tokens.header(tokens.enterprise(example_uscc(uuid.uuid4().hex)))
    assert (await client.put(url, json={"given": True}, headers=other)).status_code == 403
    assert (await client.put(url, json={"given": True}, headers=tokens.header(tokens.system()))).status_code == 403
    mine = tokens.header(tokens.enterprise(eid))
    bad = await client.put(url, json={"given": True, "scope": ["everything"]}, headers=mine)
    assert bad.status_code == 422 and any(e["field"].startswith("scope") for e in bad.json()["errors"])
    for scope, field in (("", "scope.text"), ("   ", "scope.text"), ("x" * 2001, "scope.text"), ([], "scope.list")):
        blank = await client.put(url, json={"given": True, "scope": scope}, headers=mine)
        assert blank.status_code == 422, (scope, blank.text)  # a blank text is not a consent without limits
        assert [e["field"] for e in blank.json()["errors"]] == [field]
