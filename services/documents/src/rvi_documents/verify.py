"""Verify signed documents from the command line (GACC-RVI 4(IV)).

    python -m rvi_documents.verify DOCUMENT.pdf [...] [--trust-root ROOT.pem ...]

Prints one JSON report per file (every signature: intact, valid, chain trusted, time-stamp
valid; nothing changed after the last signature) and exits 0 when every file is valid, 1 when
one is not, 2 on a usage error. Trust roots default to the embedded local CA's root
(`RVI_DOCUMENTS_PKI_DIR`/root.pem)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from pyhanko.keys import load_cert_from_pemder

from rvi_documents.pki.verification import verify_pdf
from rvi_documents.settings import DocumentsSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rvi_documents.verify", description=__doc__.splitlines()[0])
    parser.add_argument("documents", nargs="+", type=Path)
    parser.add_argument("--trust-root", action="append", default=[], help="PEM/DER root certificate (repeatable)")
    args = parser.parse_args(argv)
    roots = args.trust_root or [str(Path(DocumentsSettings().pki_dir) / "root.pem"), *DocumentsSettings().trust_roots]
    try:
        certificates = [load_cert_from_pemder(root) for root in roots]
    except OSError as error:
        print(f"cannot read a trust root: {error}", file=sys.stderr)
        return 2
    all_valid = True
    for path in args.documents:
        try:
            pdf = path.read_bytes()
        except OSError as error:
            print(f"cannot read {path}: {error}", file=sys.stderr)
            return 2
        report = asyncio.run(verify_pdf(pdf, certificates))
        all_valid &= report.valid
        print(json.dumps({"file": str(path), **report.model_dump()}, ensure_ascii=False, indent=2))
    return 0 if all_valid else 1


if __name__ == "__main__":
    sys.exit(main())
