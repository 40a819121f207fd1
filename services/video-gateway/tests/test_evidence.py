"""verify_chain and the manifest digest, offline (no database)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any

from rvi_video_gateway.sessions.evidence import GENESIS_HASH, hash_entry, manifest_digest, verify_chain


@dataclass(frozen=True)
class Link:
    seq: int
    prev_hash: str
    entry: dict[str, Any]
    entry_hash: str


def chain(notes: list[str]) -> list[Link]:
    links, prev = [], GENESIS_HASH
    for seq, note in enumerate(notes, start=1):
        entry = {"step_id": f"s{seq}", "kind": "other", "note": note}
        links.append(Link(seq, prev, entry, hash_entry(prev, entry)))
        prev = links[-1].entry_hash
    return links


def test_an_intact_chain_verifies() -> None:
    assert verify_chain(chain(["a", "b", "c"])) == (True, None)
    assert verify_chain([]) == (True, None)


def test_the_hash_is_sha256_of_prev_hash_and_canonical_json() -> None:
    entry = {"note": "数据", "kind": "other"}
    expected = hashlib.sha256(
        (GENESIS_HASH + json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)).encode()
    ).hexdigest()
    assert hash_entry(GENESIS_HASH, entry) == expected


def test_the_first_broken_link_is_named() -> None:
    links = chain(["a", "b", "c", "d"])
    edited = [*links[:2], replace(links[2], entry={**links[2].entry, "note": "x"}), links[3]]
    assert verify_chain(edited) == (False, 3)
    dropped = [links[0], links[2], links[3]]
    assert verify_chain(dropped) == (False, 3)
    rehashed = chain(["a", "b", "x", "d"])
    spliced = [*links[:2], rehashed[2], links[3]]
    assert verify_chain(spliced) == (False, 4)


def test_the_digest_covers_every_hash() -> None:
    links = chain(["a", "b"])
    assert manifest_digest(links) != manifest_digest(chain(["a", "c"]))
    assert manifest_digest(links) == manifest_digest(list(links))
