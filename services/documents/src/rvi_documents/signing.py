"""The enterprise's acknowledgement of a document (GACC-RVI 4(IV): signature and seal).

First cut: the signature is a record (who, which seal, when, over which PDF digest) bound to the
exact PDF bytes by `signed_sha256 = SHA-256(pdf || canonical_json(record))`, which anyone holding
the PDF and the record can recompute. A PAdES signature embedded in the PDF with pyHanko, with the
signer kept pluggable (PKCS#11 / HSM / remote signing, SM2 organisation seals per GB/T 38540),
comes later and replaces this digest as the proof.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

SIGNATURE_METHOD = "rvi-sha256-record-v1"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_json(record: dict[str, Any]) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8: one byte string per record."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def signed_digest(pdf: bytes, record: dict[str, Any]) -> str:
    return sha256_hex(pdf + canonical_json(record))
