"""Key procedural steps an officer records (GACC-RVI 4(III))."""

from __future__ import annotations

FIXED_KINDS = frozenset(
    {
        "credentials_presented",
        "location_verified",
        "identity_verified",
        "power_of_attorney_verified",
        "other",
    }
)
CHECKLIST_PREFIX = "checklist_item:"


def checklist_item_of(kind: str) -> str | None:
    """The checklist item id a `checklist_item:<id>` kind names, else None."""
    return kind.removeprefix(CHECKLIST_PREFIX) if kind.startswith(CHECKLIST_PREFIX) else None


def is_well_formed(kind: str) -> bool:
    return kind in FIXED_KINDS or bool(checklist_item_of(kind))
