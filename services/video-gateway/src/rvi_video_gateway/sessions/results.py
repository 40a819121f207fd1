"""Checklist results (DOMAIN 8): per site and checklist item, conforming, non-conforming (with a
finding) or not verifiable remotely (→ on-site, GACC-RVI 3(III)), supported by the evidence the
item needs (live view, recorded clip, still image) taken from the session's manifest. A site is
not done until its location was verified (GACC-RVI 4(III) confirming location). Pure functions
over the manifest entries; the service applies them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

from rvi_shared.errors import Conflict, Unprocessable

Evidence = Literal["live_view", "clip", "still"]
CLIP_SUFFIXES = (".mp4", ".webm", ".mov")
# DOMAIN 8: an item states the evidence it needs. Items carry no such field in the shared
# contract yet (adding it breaks scheduling, which stores items column by column), so an item's
# own `evidence_needed` wins when present and these defaults per category apply otherwise: what
# is shown and kept (stores, labels, boundaries) needs a clip, records and certificates a still.
EVIDENCE_BY_CATEGORY: dict[str, list[Evidence]] = {
    "agricultural_inputs": ["live_view", "clip"],
    "land_boundaries": ["live_view", "clip"],
    "pest_monitoring": ["live_view", "clip"],
    "production_records": ["still"],
    "traceability": ["still"],
    "quality_system": ["still"],
    "qualifications": ["still"],
    "crop_conditions": ["live_view"],
}
STILL_SUFFIXES = (".jpg", ".jpeg")


def located_sites(entries: Iterable[dict[str, Any]]) -> set[str]:
    """Sites with a passing location check on the manifest."""
    return {
        e["site"]
        for e in entries
        if e.get("kind") == "location_verified" and (e.get("location") or {}).get("result") == "pass" and e.get("site")
    }


def evidence_needed(item: dict[str, Any]) -> list[Evidence]:
    """What a checklist item's result needs: its own statement, else its category's default."""
    stated = item.get("evidence_needed")
    if stated:
        return list(stated)
    return list(EVIDENCE_BY_CATEGORY.get(str(item.get("category") or ""), []))


def evidence_kind(entry: dict[str, Any]) -> Evidence | Literal["location", "step"]:
    """What a manifest entry can stand for as evidence."""
    name = str(entry.get("file") or "").lower()
    if name.endswith(CLIP_SUFFIXES):
        return "clip"
    if name.endswith(STILL_SUFFIXES):
        return "still"
    if entry.get("kind") == "location_verified":
        return "location"
    return "step"


def check_result(
    *,
    site_id: str,
    item: dict[str, Any],
    result: str,
    finding: str,
    evidence: Sequence[str],
    entries: Sequence[dict[str, Any]],
    onsite_items: Sequence[str],
) -> None:
    """Raises naming what is missing: an unverified site (409), a non-conformity without a
    finding, evidence that is not on this session's manifest or not of the kind the item needs (422)."""
    item_id = item["item_id"]
    if item_id in onsite_items:
        raise Unprocessable(
            f"item {item_id!r} is to be verified on-site, not by video (GACC-RVI 3(III))", field="item_id"
        )
    if site_id not in located_sites(entries):
        raise Conflict(
            f"the location of site {site_id!r} has not been verified: a site is not done until it is "
            "(GACC-RVI 4(III) confirming location)",
            site_id=site_id,
        )
    if result == "non_conforming" and not finding.strip():
        raise Unprocessable("a non-conforming result needs a finding (DOMAIN 8)", field="finding")
    by_step = {e["step_id"]: e for e in entries}
    unknown = [step for step in evidence if step not in by_step]
    if unknown:
        raise Unprocessable(f"evidence {unknown} is not on this session's manifest", field="evidence")
    if result == "not_verifiable_remotely":
        return
    needed = evidence_needed(item)
    have = {evidence_kind(by_step[step]) for step in evidence}
    missing = [kind for kind in needed if kind != "live_view" and kind not in have]
    if missing:
        raise Unprocessable(
            f"item {item_id!r} needs {' and '.join(missing)} evidence (DOMAIN 8); the evidence given is "
            f"{sorted(have) or 'none'}",
            field="evidence",
        )
