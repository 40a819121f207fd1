"""Verify an exported evidence manifest offline:

    python -m rvi_video_gateway.verify MANIFEST.json [--files DIR] [--key-id KEY_ID]

MANIFEST.json is exactly what `GET /v1/sessions/{id}/evidence` returned; DIR holds the
session's clips and snapshots by the names the entries give. Exit 0 when everything holds,
1 naming the first broken link, 2 when the input is not a manifest at all."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from rvi_video_gateway.sessions.verification import MalformedManifest, verify_export


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rvi_video_gateway.verify", description="Verify a signed rvi evidence manifest offline."
    )
    parser.add_argument("manifest", type=Path, help="what GET /v1/sessions/{id}/evidence returned")
    parser.add_argument("--files", type=Path, default=None, help="folder holding the files the entries name")
    parser.add_argument("--key-id", default=None, help="the gateway's published key id; any other key fails")
    args = parser.parse_args(argv)
    try:
        export = json.loads(args.manifest.read_text("utf-8"))
        if not isinstance(export, dict):
            raise MalformedManifest("the file does not hold a JSON object")
        report = verify_export(export, args.files, expected_key_id=args.key_id)
    except (OSError, json.JSONDecodeError, MalformedManifest) as exc:
        print(f"cannot verify {args.manifest}: {exc}", file=sys.stderr)
        return 2
    document = export["document"]
    if report.first_broken is None:
        print(
            f"OK: session {document.get('session_id')} (inspection {document.get('inspection_id')}): "
            f"{report.entries_checked} entries, {report.files_checked} files checked, "
            f"signed {document.get('signed_at')} by key {report.key_id}"
        )
        return 0
    print(f"BROKEN at {report.first_broken}")
    for later in report.problems[1:]:
        print(f"  also {later}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
