"""The hash-chained evidence manifest (DESIGN: Media plane, Evidence): pure functions, so
anyone holding the entries can verify them offline with the same rules."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, Protocol

GENESIS_HASH = "0" * 64


class ChainLink(Protocol):
    @property
    def seq(self) -> int: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def entry(self) -> dict[str, Any]: ...
    @property
    def entry_hash(self) -> str: ...


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8: one byte string per value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def hash_entry(prev_hash: str, entry: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_json(entry)).hexdigest()


def verify_chain(entries: Sequence[ChainLink]) -> tuple[bool, int | None]:
    """Recompute every link in order; the first entry whose position, back link or hash
    does not hold is named (everything after it is unverifiable)."""
    expected_prev = GENESIS_HASH
    for position, link in enumerate(entries, start=1):
        if (
            link.seq != position
            or link.prev_hash != expected_prev
            or hash_entry(link.prev_hash, link.entry) != link.entry_hash
        ):
            return False, link.seq
        expected_prev = link.entry_hash
    return True, None


def manifest_document(entries: Sequence[ChainLink]) -> list[dict[str, Any]]:
    return [{"seq": e.seq, "prev_hash": e.prev_hash, "entry": e.entry, "entry_hash": e.entry_hash} for e in entries]


def manifest_digest(entries: Sequence[ChainLink]) -> str:
    """sha256 of the canonical JSON of the whole ordered manifest, hashes included."""
    return hashlib.sha256(canonical_json(manifest_document(entries))).hexdigest()


MANIFEST_FORMAT = "rvi.evidence-manifest.v1"
SIGNATURE_ALGORITHM = "Ed25519"


def key_id_of(public_key: bytes) -> str:
    """sha256 of the raw 32-byte public key, first 16 hex digits."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def evidence_entry(
    *,
    step_id: str,
    kind: str,
    note: str,
    started_at: str,
    ended_at: str,
    site: str | None = None,
    officer: dict[str, Any] | None = None,
    reporter: str | None = None,
    feed_id: str | None = None,
    file: str | None = None,
    sha256: str | None = None,
    location: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every entry carries the same keys, null where they do not apply: `officer` (the team
    member, with `officer_id` beside it), `reporter` (`<role>:<subject>` of whoever reported
    it), `feed_id`/`file`/`sha256` (a clip or snapshot: the file name within the session's
    evidence folder and the SHA-256 of its bytes), `feed` (reserved for the media plane's
    description of the feed), `location` (a location check's measurement)."""
    return {
        "step_id": step_id,
        "kind": kind,
        "note": note,
        "site": site,
        "officer": officer,
        "officer_id": officer["officer_id"] if officer else None,
        "reporter": reporter,
        "feed": None,
        "feed_id": feed_id,
        "file": file,
        "sha256": sha256,
        "location": location,
        "started_at": started_at,
        "ended_at": ended_at,
    }


def signed_manifest_document(
    *,
    session_id: str,
    inspection_id: str,
    enterprise_id: str,
    entries: Sequence[ChainLink],
    digest: str,
    signed_at: str,
    key_id: str,
) -> dict[str, Any]:
    """What the gateway signs at session end: its canonical JSON is the signed message.
    `manifest_digest` is the digest sealed at the end (and sent in `rvi.session.ended.v1`),
    not recomputed, so a verifier can compare it with the entries it is given."""
    return {
        "format": MANIFEST_FORMAT,
        "session_id": session_id,
        "inspection_id": inspection_id,
        "enterprise_id": enterprise_id,
        "entries": manifest_document(entries),
        "manifest_digest": digest,
        "signed_at": signed_at,
        "algorithm": SIGNATURE_ALGORITHM,
        "key_id": key_id,
    }
