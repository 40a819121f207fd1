"""Offline verification of a signed evidence manifest (DESIGN: Media plane, Evidence).

Pure: no database, no settings, nothing of the running gateway. Anyone holding what
`GET /v1/sessions/{id}/evidence` returned (and, optionally, the session's files) can run it,
and the gateway runs the very same code for `GET .../evidence/verify`."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from rvi_video_gateway.sessions.evidence import GENESIS_HASH, canonical_json, hash_entry, key_id_of

Check = Literal["signature", "entry_hash", "prev_hash", "digest", "file_sha256"]
CHUNK = 1 << 20


class MalformedManifest(ValueError):
    """Not a manifest at all (missing or mistyped fields): nothing to verify."""


@dataclass(frozen=True)
class BrokenLink:
    check: Check
    detail: str
    seq: int | None = None

    def __str__(self) -> str:
        where = f"seq {self.seq}" if self.seq is not None else "manifest"
        return f"{where}: {self.check}: {self.detail}"


@dataclass(frozen=True)
class VerificationReport:
    key_id: str
    entries_checked: int
    files_checked: int
    problems: list[BrokenLink] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_broken(self) -> BrokenLink | None:
        """Entries in seq order first (back link, then hash, then file), then the digest, then
        the signature: a single edited entry is named by its seq, not only by the signature."""
        return self.problems[0] if self.problems else None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _entries(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    entries = document.get("entries")
    if not isinstance(entries, list):
        raise MalformedManifest("the document has no list of entries")
    for position, link in enumerate(entries, start=1):
        if not (
            isinstance(link, dict)
            and isinstance(link.get("seq"), int)
            and isinstance(link.get("prev_hash"), str)
            and isinstance(link.get("entry"), dict)
            and isinstance(link.get("entry_hash"), str)
        ):
            raise MalformedManifest(f"entry #{position} lacks seq, prev_hash, entry or entry_hash")
    return entries


def _hashes_to_its_entry_hash(link: Mapping[str, Any]) -> bool:
    try:
        return hash_entry(link["prev_hash"], link["entry"]) == link["entry_hash"]
    except UnicodeEncodeError:  # a prev_hash that is not even hex
        return False


def _check_file(seq: int, entry: Mapping[str, Any], files_dir: Path) -> BrokenLink | None:
    name, expected = entry.get("file"), entry.get("sha256")
    if not isinstance(expected, str):
        return BrokenLink("file_sha256", f"file {name!r} has no sha256 on record", seq)
    base = files_dir.resolve()
    path = (base / str(name)).resolve()
    if not path.is_relative_to(base):
        return BrokenLink("file_sha256", f"file {name!r} lies outside the files folder", seq)
    if not path.is_file():
        return BrokenLink("file_sha256", f"file {name!r} is missing", seq)
    actual = file_sha256(path)
    if actual != expected:
        return BrokenLink("file_sha256", f"file {name!r} has sha256 {actual}, the manifest says {expected}", seq)
    return None


def _check_signature(
    document: Mapping[str, Any], signature: bytes, public_key: bytes, expected_key_id: str | None
) -> BrokenLink | None:
    key_id = key_id_of(public_key)
    if expected_key_id is not None and key_id != expected_key_id:
        return BrokenLink("signature", f"signed by key {key_id}, expected key {expected_key_id}")
    if document.get("key_id") != key_id:
        return BrokenLink("signature", f"the document names key {document.get('key_id')!r}, the public key is {key_id}")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, canonical_json(document))
    except ValueError:
        return BrokenLink("signature", "the public key is not a raw 32-byte Ed25519 key")
    except InvalidSignature:
        return BrokenLink("signature", "the Ed25519 signature does not match the document")
    return None


def verify_manifest(
    document: dict[str, Any],
    signature: bytes,
    public_key: bytes,
    files_dir: Path | None,
    *,
    expected_key_id: str | None = None,
) -> VerificationReport:
    """Recompute every entry hash and back link, the digest, each named file's SHA-256 (when
    `files_dir` is given) and check the Ed25519 signature over the canonical document."""
    entries = _entries(document)
    problems: list[BrokenLink] = []
    files_checked = 0
    expected_prev = GENESIS_HASH
    for position, link in enumerate(entries, start=1):
        seq = link["seq"]
        if seq != position:
            problems.append(BrokenLink("prev_hash", f"entry #{position} carries seq {seq}", seq))
        elif link["prev_hash"] != expected_prev:
            problems.append(BrokenLink("prev_hash", f"prev_hash is not the entry_hash of seq {position - 1}", seq))
        elif not _hashes_to_its_entry_hash(link):
            problems.append(BrokenLink("entry_hash", "the entry does not hash to its entry_hash", seq))
        if files_dir is not None and link["entry"].get("file"):
            files_checked += 1
            if broken := _check_file(seq, link["entry"], files_dir):
                problems.append(broken)
        # The next link must point at what this one claims, so one edit is named once.
        expected_prev = link["entry_hash"]
    links = [{k: link[k] for k in ("seq", "prev_hash", "entry", "entry_hash")} for link in entries]
    digest = hashlib.sha256(canonical_json(links)).hexdigest()
    if document.get("manifest_digest") != digest:
        claimed = document.get("manifest_digest")
        problems.append(BrokenLink("digest", f"the entries digest to {digest}, the document says {claimed!r}"))
    if broken := _check_signature(document, signature, public_key, expected_key_id):
        problems.append(broken)
    return VerificationReport(key_id_of(public_key), len(entries), files_checked, problems)


def decode_export(export: Mapping[str, Any]) -> tuple[dict[str, Any], bytes, bytes]:
    """The (document, signature, public key) of what `GET /v1/sessions/{id}/evidence` returns."""
    document = export.get("document")
    if not isinstance(document, dict):
        raise MalformedManifest("no 'document' object: expected what GET /v1/sessions/{id}/evidence returns")
    try:
        signature = base64.b64decode(str(export["signature"]), validate=True)
        public_key = base64.b64decode(str(export["public_key"]), validate=True)
    except KeyError as missing:
        raise MalformedManifest(f"no {missing} field") from None
    except (binascii.Error, ValueError) as exc:
        raise MalformedManifest(f"signature or public_key is not base64 ({exc})") from None
    return document, signature, public_key


def verify_export(
    export: Mapping[str, Any], files_dir: Path | None, *, expected_key_id: str | None = None
) -> VerificationReport:
    document, signature, public_key = decode_export(export)
    return verify_manifest(document, signature, public_key, files_dir, expected_key_id=expected_key_id)
