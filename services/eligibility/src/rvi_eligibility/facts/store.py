"""Enterprise facts in the database: an append-only, effective-dated history and the current row
(every change folded), read "as at" any moment."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from rvi_eligibility.facts.changes import (
    FACT_FIELDS,
    EnterpriseStanding,
    fold,
    standing_of,
    to_changes,
    values_to_json,
)
from rvi_eligibility.facts.repository import FactsRepository, Lock
from rvi_eligibility.models import EnterpriseFactChange, EnterpriseFacts
from rvi_shared.clock import Clock


class FactStore:
    def __init__(self, repo: FactsRepository, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock

    async def standing(self, enterprise_id: str, as_at: datetime, lock: Lock = None) -> EnterpriseStanding | None:
        """None when no fact is in effect at `as_at` (never reported, or only dated later)."""
        if lock is None:
            return (await self.standings((enterprise_id,), as_at))[enterprise_id]
        row = await self.repo.facts(enterprise_id, lock=lock)
        return await self._as_at(enterprise_id, row, as_at)

    async def standings(self, enterprise_ids: Collection[str], as_at: datetime) -> dict[str, EnterpriseStanding | None]:
        """Many enterprises in one query (the history only for those with changes dated after `as_at`)."""
        standings = await self.standings_at({(eid, as_at) for eid in enterprise_ids})
        return {eid: standings[eid, as_at] for eid in enterprise_ids}

    async def standings_at(
        self, wanted: Collection[tuple[str, datetime]]
    ) -> dict[tuple[str, datetime], EnterpriseStanding | None]:
        """Each (enterprise, moment) wanted: the current rows of all in one query, the history only of
        an enterprise with a change dated after the moment. None where no fact is in effect then."""
        current = await self.repo.current_standings({eid for eid, _ in wanted})
        standings: dict[tuple[str, datetime], EnterpriseStanding | None] = {}
        for eid, at in wanted:
            standing = current.get(eid)
            if standing is None or standing.effective_from is None:
                standings[eid, at] = None
            elif at >= standing.effective_from:
                standings[eid, at] = standing
            else:
                standings[eid, at] = fold(eid, await self.repo.fact_changes(eid), as_at=at)
        return standings

    async def _as_at(
        self, enterprise_id: str, row: EnterpriseFacts | Row[Any] | None, as_at: datetime
    ) -> EnterpriseStanding | None:
        if row is None or row.effective_from is None:
            return None
        if as_at >= row.effective_from:
            return standing_of(row)
        return fold(enterprise_id, await self.repo.fact_changes(enterprise_id), as_at=as_at)

    async def history(self, enterprise_id: str) -> Sequence[EnterpriseFactChange]:
        return await self.repo.changes(enterprise_id)

    async def record(
        self,
        enterprise_id: str,
        values: Mapping[str, Any],
        effective_from: datetime,
        source: str,
        source_ref: str | None,
        note: str | None = None,
    ) -> None:
        """Append the change to the history and refold the current row, under the row's lock."""
        unknown = set(values) - set(FACT_FIELDS)
        assert not unknown, f"not enterprise facts: {unknown}"
        now = self.clock.now()
        row = await self.repo.lock_facts_creating(enterprise_id, now)
        self.repo.add_change(
            EnterpriseFactChange(
                enterprise_id=enterprise_id,
                effective_from=effective_from,
                changes=values_to_json(values),
                source=source,
                source_ref=source_ref[:255] if source_ref else None,
                note=note,
                recorded_at=now,
            )
        )
        await self.repo.session.flush()
        current = fold(enterprise_id, to_changes(await self.repo.changes(enterprise_id)))
        assert current is not None
        for name in FACT_FIELDS:
            setattr(row, name, getattr(current, name))
        row.effective_from = current.effective_from
        row.updated_at = now
        await self.repo.session.flush()
