"""verify_manifest offline, on documents built and signed here (no database, no gateway)."""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rvi_video_gateway.sessions.evidence import (
    GENESIS_HASH,
    canonical_json,
    evidence_entry,
    hash_entry,
    manifest_digest,
    signed_manifest_document,
)
from rvi_video_gateway.sessions.signing import ManifestSigner
from rvi_video_gateway.sessions.verification import MalformedManifest, verify_manifest

SIGNER = ManifestSigner(Ed25519PrivateKey.generate())


@dataclass(frozen=True)
class Link:
    seq: int
    prev_hash: str
    entry: dict[str, Any]
    entry_hash: str


def entry(note: str, file: str | None = None, sha256: str | None = None) -> dict[str, Any]:
    t = "2026-11-23T02:00:00+00:00"
    return evidence_entry(step_id=note, kind="other", note=note, started_at=t, ended_at=t, file=file, sha256=sha256)


def chain(entries: list[dict[str, Any]]) -> list[Link]:
    links, prev = [], GENESIS_HASH
    for seq, e in enumerate(entries, start=1):
        links.append(Link(seq, prev, e, hash_entry(prev, e)))
        prev = links[-1].entry_hash
    return links


def signed(links: list[Link], digest: str | None = None) -> tuple[dict[str, Any], bytes]:
    document = signed_manifest_document(
        session_id="s",
        inspection_id="i",
        enterprise_id="e",
        entries=links,
        digest=digest or manifest_digest(links),
        signed_at="2026-11-23T03:00:00+00:00",
        key_id=SIGNER.key_id,
    )
    return document, SIGNER.sign(canonical_json(document))


def first(document: dict[str, Any], signature: bytes, files: Path | None = None) -> tuple[int | None, str] | None:
    broken = verify_manifest(document, signature, SIGNER.public_key, files).first_broken
    return None if broken is None else (broken.seq, broken.check)


def test_an_intact_manifest_verifies_with_its_files(tmp_path: Path) -> None:
    (tmp_path / "snap.jpg").write_bytes(b"jpeg bytes")
    sha = hashlib.sha256(b"jpeg bytes").hexdigest()
    document, signature = signed(chain([entry("a"), entry("b", "snap.jpg", sha)]))
    report = verify_manifest(document, signature, SIGNER.public_key, tmp_path)
    assert (report.ok, report.entries_checked, report.files_checked, report.key_id) == (True, 2, 1, SIGNER.key_id)
    empty, empty_signature = signed([])
    assert first(empty, empty_signature) is None


def test_a_rehashed_chain_breaks_at_the_next_link_then_the_digest_and_signature() -> None:
    links = chain([entry("a"), entry("b"), entry("c")])
    document, signature = signed(links)
    forged = copy.deepcopy(document)
    forged["entries"][1]["entry"]["note"] = "x"
    forged["entries"][1]["entry_hash"] = hash_entry(forged["entries"][1]["prev_hash"], forged["entries"][1]["entry"])
    report = verify_manifest(forged, signature, SIGNER.public_key, None)
    assert [(b.seq, b.check) for b in report.problems] == [(3, "prev_hash"), (None, "digest"), (None, "signature")]


def test_a_whole_new_chain_with_the_old_digest_breaks_the_digest() -> None:
    document, signature = signed(chain([entry("a"), entry("b")]))
    replaced = {**document, "entries": signed(chain([entry("a"), entry("x")]))[0]["entries"]}
    assert first(replaced, signature) == (None, "digest")


def test_dropped_and_renumbered_entries_are_named() -> None:
    document, signature = signed(chain([entry("a"), entry("b"), entry("c")]))
    dropped = {**document, "entries": [document["entries"][0], document["entries"][2]]}
    assert first(dropped, signature) == (3, "prev_hash")
    renumbered = copy.deepcopy(document)
    renumbered["entries"][2]["seq"] = 7
    assert first(renumbered, signature) == (7, "prev_hash")


def test_files_missing_outside_or_unhashed_are_named(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "secret").write_bytes(b"x")
    sha = hashlib.sha256(b"x").hexdigest()
    for name, digest, detail in (
        ("gone.mp4", sha, "missing"),
        ("../secret", sha, "outside"),
        ("clip.mp4", None, "no sha256"),
    ):
        if name == "clip.mp4":
            (tmp_path / "files" / name).write_bytes(b"x")
        document, signature = signed(chain([entry("a"), entry("b", name, digest)]))
        report = verify_manifest(document, signature, SIGNER.public_key, tmp_path / "files")
        assert report.first_broken is not None
        assert (report.first_broken.seq, report.first_broken.check) == (2, "file_sha256")
        assert detail in report.first_broken.detail


def test_another_key_is_named_as_the_signature() -> None:
    document, signature = signed(chain([entry("a")]))
    other = ManifestSigner(Ed25519PrivateKey.generate())
    report = verify_manifest(document, signature, other.public_key, None)
    assert report.first_broken is not None and report.first_broken.check == "signature"
    assert "names key" in report.first_broken.detail
    pinned = verify_manifest(document, signature, SIGNER.public_key, None, expected_key_id=other.key_id)
    assert pinned.first_broken is not None and pinned.first_broken.check == "signature"
    assert verify_manifest(document, signature, SIGNER.public_key, None, expected_key_id=SIGNER.key_id).ok


def test_something_that_is_not_a_manifest_is_refused() -> None:
    with pytest.raises(MalformedManifest):
        verify_manifest({"entries": "none"}, b"", SIGNER.public_key, None)
    with pytest.raises(MalformedManifest, match="#1"):
        verify_manifest({"entries": [{"seq": 1}]}, b"", SIGNER.public_key, None)
