"""Enterprise facts (GACC-RVI 2 and 3(IV)) as effective-dated changes folded into a standing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from rvi_eligibility.rules.standing import FACT_FIELDS, EnterpriseStanding
from rvi_shared.events.payloads import EnterpriseUpdated

_DATETIME_FIELDS = frozenset({"consent_revoked_at"})


@dataclass(frozen=True)
class FactChange:
    effective_from: datetime
    values: Mapping[str, Any]


def apply(standing: EnterpriseStanding, change: FactChange) -> EnterpriseStanding:
    return replace(standing, effective_from=change.effective_from, **dict(change.values))


def fold(enterprise_id: str, changes: Iterable[FactChange], as_at: datetime | None = None) -> EnterpriseStanding | None:
    """Apply changes in effective order (ties keep arrival order); None if none is in effect."""
    ordered = sorted((c for c in changes if as_at is None or c.effective_from <= as_at), key=lambda c: c.effective_from)
    if not ordered:
        return None
    standing = EnterpriseStanding(enterprise_id)
    for change in ordered:
        standing = apply(standing, change)
    return standing


def moments_ahead(values: Mapping[str, Any], effective_from: datetime, now: datetime) -> set[datetime]:
    """When a change recorded `now` alters the standing later: when it takes effect, and when a
    consent revocation it records takes effect after that."""
    moments = {effective_from} if effective_from > now else set()
    revoked_at = values.get("consent_revoked_at")
    if revoked_at is not None and revoked_at > max(now, effective_from):
        moments.add(revoked_at)
    return moments


def standing_of(row: Any) -> EnterpriseStanding:
    """The standing a current-facts row (an ORM object or a result row) holds."""
    return EnterpriseStanding(
        enterprise_id=row.enterprise_id,
        effective_from=row.effective_from,
        **{name: getattr(row, name) for name in FACT_FIELDS},
    )


def to_changes(rows: Iterable[Any]) -> list[FactChange]:
    """History rows (`effective_from`, `changes` as stored) as changes to fold."""
    return [FactChange(r.effective_from, values_from_json(r.changes)) for r in rows]


def values_from_update(update: EnterpriseUpdated) -> dict[str, Any]:
    """The facts an `rvi.enterprise.updated.v1` sets; a field left None stays unchanged."""
    values: dict[str, Any] = {}
    if update.name is not None:
        values["name"] = update.name
    if update.consent is not None:
        values |= {
            "consent_given": update.consent.given,
            "consent_scope": update.consent.scope,
            "consent_revoked_at": update.consent.revoked_at,
        }
    for name in ("can_cooperate", "technical_conditions", "credit_status"):
        value = getattr(update, name)
        if value is not None:
            values[name] = value
    return values


def values_to_json(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}


def values_from_json(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: datetime.fromisoformat(v) if k in _DATETIME_FIELDS and isinstance(v, str) else v for k, v in values.items()
    }
