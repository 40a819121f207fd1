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
