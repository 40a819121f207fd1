"""The manifest signed at session end, exported, and verified offline, server-side and by the CLI."""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import json
import shutil
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rvi_platform.testing import Tokens
from rvi_shared.db import transaction
from rvi_shared.errors import Unprocessable
from rvi_video_gateway.sessions.evidence import canonical_json
from rvi_video_gateway.sessions.service import SessionService
from rvi_video_gateway.sessions.verification import verify_export
from rvi_video_gateway.settings import VideoGatewaySettings

StartSession = Callable[..., Awaitable[dict[str, Any]]]
Emitted = Callable[[str, str], Awaitable[list[dict[str, Any]]]]
CLIP = b"\x00\x00\x00\x18ftypisom" + bytes(range(256)) * 4


async def append_clip(app: FastAPI, session_id: str, path: Path, note: str = "inputs store, clip") -> int:
    """What the media plane does when a key-step clip closes: hash it, append it."""
    rt = app.state.runtime
    sha256 = hashlib.sha256(await asyncio.to_thread(path.read_bytes)).hexdigest()
    async with transaction(rt.sessions) as db_session:
        service = SessionService(db_session, rt.outbox, rt.clock, rt.settings, app.state.signer)
        live = await service.get(session_id, for_update=True)
        now = rt.clock.now()
        link = await service.append_evidence(
            live,
            kind="checklist_item:I1",
            file_path=path,
            sha256=sha256,
            feed_id="cam-1",
            started_at=now - timedelta(seconds=40),
            ended_at=now,
            officer_id="O2",
            note=note,
        )
        return link.seq


async def sealed_session(
    start_session: StartSession, client: httpx.AsyncClient, tokens: Tokens, app: FastAPI, clip: Path
) -> dict[str, Any]:
    """A session with two officer steps around a clip, ended; returns the session."""
    session = await start_session()
    session_id = session["session_id"]
    officer = tokens.header(tokens.officer())
    steps = f"/v1/sessions/{session_id}/steps"
    first = {"kind": "credentials_presented", "note": "Wang Li NB-0001, Chen Jie NB-0002"}
    assert (await client.post(steps, json=first, headers=officer)).status_code == 201
    assert (await client.post(steps, json={"kind": "identity_verified", "note": "Li Mei"}, headers=officer)).is_success
    assert await append_clip(app, session_id, clip) == 3
    ended = await client.post(f"/v1/sessions/{session_id}/end", json={"conclusion": "conforming"}, headers=officer)
    assert ended.status_code == 200, ended.text
    return dict(ended.json())


async def export_of(client: httpx.AsyncClient, tokens: Tokens, session_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/sessions/{session_id}/evidence", headers=tokens.header(tokens.system()))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def run_cli(*args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "rvi_video_gateway.verify",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode()


async def test_the_signed_export_verifies_and_names_what_was_tampered(
    start_session: StartSession,
    client: httpx.AsyncClient,
    tokens: Tokens,
    app: FastAPI,
    emitted: Emitted,
    tmp_path: Path,
) -> None:
    clip = tmp_path / "clip-0003.mp4"
    clip.write_bytes(CLIP)
    session = await sealed_session(start_session, client, tokens, app, clip)
    export = await export_of(client, tokens, session["session_id"])
    document = export["document"]

    assert [e["seq"] for e in document["entries"]] == [1, 2, 3]
    clip_entry = document["entries"][2]["entry"]
    assert clip_entry["file"] == "clip-0003.mp4"
    assert clip_entry["sha256"] == hashlib.sha256(CLIP).hexdigest()
    assert (clip_entry["feed_id"], clip_entry["officer_id"], clip_entry["kind"]) == ("cam-1", "O2", "checklist_item:I1")
    public_key = base64.b64decode(export["public_key"])
    assert document["key_id"] == hashlib.sha256(public_key).hexdigest()[:16]
    assert (document["session_id"], document["inspection_id"]) == (session["session_id"], session["inspection_id"])
    assert document["enterprise_id"] == session["enterprise_id"]
    # Ed25519 over the canonical document, checked here with nothing of the gateway's code but the JSON rule.
    Ed25519PublicKey.from_public_bytes(public_key).verify(
        base64.b64decode(export["signature"]), canonical_json(document)
    )
    [ended] = await emitted(session["inspection_id"], "rvi.session.ended.v1")
    assert ended["manifest_digest"] == document["manifest_digest"] == session["manifest_digest"]
    [*_, clip_event] = await emitted(session["inspection_id"], "rvi.session.step_recorded.v1")
    assert (clip_event["kind"], clip_event["officer_id"]) == ("checklist_item:I1", "O2")
    assert clip_event["digest"] == document["entries"][2]["entry_hash"]

    report = verify_export(export, tmp_path)
    assert (report.ok, report.entries_checked, report.files_checked) == (True, 3, 1), report.problems

    edited = copy.deepcopy(export)
    note = edited["document"]["entries"][1]["entry"]["note"]
    edited["document"]["entries"][1]["entry"]["note"] = "X" + note[1:]
    broken = verify_export(edited, tmp_path).first_broken
    assert broken is not None and (broken.seq, broken.check) == (2, "entry_hash")

    resigned = copy.deepcopy(export)
    signature = bytearray(base64.b64decode(export["signature"]))
    signature[10] ^= 0x01
    resigned["signature"] = base64.b64encode(bytes(signature)).decode()
    broken = verify_export(resigned, tmp_path).first_broken
    assert broken is not None and (broken.seq, broken.check) == (None, "signature")

    clip.write_bytes(CLIP[:100] + bytes([CLIP[100] ^ 0xFF]) + CLIP[101:])
    broken = verify_export(export, tmp_path).first_broken
    assert broken is not None and (broken.seq, broken.check) == (3, "file_sha256")
    assert verify_export(export, None).ok, "without the files only the manifest itself is checked"

    tampered_file = tmp_path / "tampered.json"
    tampered_file.write_text(json.dumps(edited))
    code, out = await run_cli(str(tampered_file))
    assert code == 1, out
    assert "seq 2" in out and "entry_hash" in out
    clip.write_bytes(CLIP)
    intact_file = tmp_path / "manifest.json"
    intact_file.write_text(json.dumps(export))
    code, out = await run_cli(str(intact_file), "--files", str(tmp_path), "--key-id", document["key_id"])
    assert code == 0, out
    assert "OK" in out and "3 entries, 1 files checked" in out
    code, out = await run_cli(str(intact_file), "--key-id", "0123456789abcdef")
    assert code == 1 and "signature" in out


async def test_server_side_verification_sees_files_and_rows_altered_after_the_end(
    start_session: StartSession,
    client: httpx.AsyncClient,
    tokens: Tokens,
    app: FastAPI,
    settings: VideoGatewaySettings,
    db: AsyncEngine,
    tmp_path: Path,
) -> None:
    clip = tmp_path / "clip-0003.mp4"
    clip.write_bytes(CLIP)
    session = await sealed_session(start_session, client, tokens, app, clip)
    session_id = session["session_id"]
    stored = Path(settings.evidence_dir) / session_id
    stored.mkdir()
    shutil.copy(clip, stored / clip.name)
    url = f"/v1/sessions/{session_id}/evidence/verify"

    verified = await client.get(url, headers=tokens.header(tokens.officer()))
    assert verified.status_code == 200, verified.text
    assert verified.json()["ok"] is True
    assert (verified.json()["entries_checked"], verified.json()["files_checked"]) == (3, 1)

    async with db.begin() as conn:
        await conn.execute(
            text(
                'UPDATE video_gateway.manifest_entries SET entry = (entry::jsonb || \'{"note": "nothing seen"}\')::json'
                " WHERE session_id = :sid AND seq = 1"
            ),
            {"sid": session_id},
        )
    tampered = (await client.get(url, headers=tokens.header(tokens.system()))).json()
    assert tampered["ok"] is False
    assert tampered["first_broken"]["seq"] == 1 and tampered["first_broken"]["check"] == "entry_hash"
    assert "signature" in [p["check"] for p in tampered["problems"]]
    # The export is rebuilt from the rows: an offline verifier sees the same break.
    broken = verify_export(await export_of(client, tokens, session_id), None).first_broken
    assert broken is not None and (broken.seq, broken.check) == (1, "entry_hash")


async def test_evidence_is_there_once_signed_and_only_for_the_own_enterprise(
    start_session: StartSession, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    session = await start_session()
    paths = [f"/v1/sessions/{session['session_id']}/evidence", f"/v1/sessions/{session['session_id']}/evidence/verify"]
    for path in paths:
        early = await client.get(path, headers=tokens.header(tokens.system()))
        assert early.status_code == 409, path
        assert early.json()["current_state"] == "in_progress"
        assert "signed when the session ends" in early.json()["detail"]
    await client.post(
        f"/v1/sessions/{session['session_id']}/end", json={"conclusion": "ok"}, headers=tokens.header(tokens.officer())
    )
    own = tokens.header(tokens.enterprise(session["enterprise_id"]))
    for path in paths:
        assert (await client.get(path, headers=own)).status_code == 200, path
        other = tokens.header(tokens.enterprise("ENT-SOMEONE-ELSE"))
        assert (await client.get(path, headers=other)).status_code == 403, path
    empty = (await client.get(paths[1], headers=own)).json()
    assert (empty["ok"], empty["entries_checked"]) == (True, 0)


async def test_append_evidence_checks_what_the_media_plane_passes(
    start_session: StartSession, app: FastAPI, tmp_path: Path
) -> None:
    session = await start_session(onsite_items=("I2",))
    rt = app.state.runtime
    now = rt.clock.now()
    good: dict[str, Any] = {
        "kind": "other",
        "file_path": tmp_path / "snap.jpg",
        "sha256": "ab" * 32,
        "feed_id": None,
        "started_at": now,
        "ended_at": now,
        "officer_id": None,
    }
    for change, field in (
        ({"sha256": "AB" * 32}, "sha256"),
        ({"officer_id": "O9"}, "officer_id"),
        ({"kind": "checklist_item:I2"}, "on-site"),
        ({"kind": "dancing"}, "kind"),
        ({"started_at": now + timedelta(seconds=1)}, "started_at"),
    ):
        async with transaction(rt.sessions) as db_session:
            service = SessionService(db_session, rt.outbox, rt.clock, rt.settings)
            live = await service.get(session["session_id"], for_update=True)
            with pytest.raises(Unprocessable, match=field):
                await service.append_evidence(live, **{**good, **change})
    async with transaction(rt.sessions) as db_session:
        service = SessionService(db_session, rt.outbox, rt.clock, rt.settings)
        live = await service.get(session["session_id"], for_update=True)
        link = await service.append_evidence(live, **good)
    assert (link.seq, link.entry["file"], link.entry["officer"]) == (1, "snap.jpg", None)
    assert link.entry["reporter"] == f"gateway:{rt.settings.instance_id}"
