"""What an enterprise's consent covers (its `scope`). GACC-RVI 2 requires that the enterprise
consents to remote video inspection, so the consent rule checks that the scope covers it.

A scope is either
- a list of covered matters, named from COVERED_MATTERS: it covers remote video inspection only if
  it lists `remote_video_inspection` (a consent to key-step recording or to electronic delivery
  alone is not a consent to be inspected by video); kept as text, the names joined by commas, and
  read back as that list; a text that is only such names, comma-separated (as an
  `rvi.enterprise.updated.v1`, whose scope is text, can send it), is the same list;
- any other text (the earlier, free form, e.g. "export food planting sites"): a consent to remote
  video inspection (the consent these facts record) limited in words to the sites or matters it
  names, so it covers remote video inspection; the words are kept and shown, not interpreted;
- none: a consent without limits, which covers it.
Earlier facts (all free text or none) are therefore judged as before."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

CoveredMatter = Literal["remote_video_inspection", "key_step_recording", "electronic_document_delivery"]
COVERED_MATTERS: tuple[str, ...] = get_args(CoveredMatter)
REMOTE_VIDEO_INSPECTION: CoveredMatter = "remote_video_inspection"
MATTERS_DESCRIPTION = (
    "remote_video_inspection (GACC-RVI 2: required for remote video), key_step_recording (GACC-RVI 4(III)), "
    "electronic_document_delivery (GACC-RVI 4(IV))"
)


def covered_matters(scope: str | None) -> tuple[str, ...] | None:
    """The matters a listed scope names, in order; None for a free-text scope or none."""
    if scope is None:
        return None
    names = tuple(name.strip() for name in scope.split(","))
    return names if all(name in COVERED_MATTERS for name in names) else None


def stored_scope(scope: str | Sequence[str] | None) -> str | None:
    """The text kept for a scope given as text or as a list of matters (each once, in order)."""
    if scope is None or isinstance(scope, str):
        return scope
    return ",".join(dict.fromkeys(scope))


def scope_out(scope: str | None) -> str | list[str] | None:
    """A scope as shown: the list of matters, or the free text."""
    matters = covered_matters(scope)
    return list(matters) if matters is not None else scope


def covers_remote_video(scope: str | None) -> bool:
    matters = covered_matters(scope)
    return matters is None or REMOTE_VIDEO_INSPECTION in matters
