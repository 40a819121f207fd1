"""The statements of enterprise facts: the current rows and their effective-dated history."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy import ARRAY, String, any_, bindparam, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rvi_eligibility.facts.changes import FactChange, standing_of, to_changes
from rvi_eligibility.models import EnterpriseFactChange, EnterpriseFacts
from rvi_eligibility.rules.standing import EnterpriseStanding
from rvi_shared.db import Statements

Lock = Literal["update", "share"] | None

FACTS = EnterpriseFacts.__table__
# One statement (and one prepared statement) for any number of enterprises.
FACTS_OF = select(FACTS).where(FACTS.c.enterprise_id == any_(bindparam("ids", type_=ARRAY(String))))
CHANGES_OF = (
    select(EnterpriseFactChange.effective_from, EnterpriseFactChange.changes)
    .where(EnterpriseFactChange.enterprise_id == bindparam("enterprise_id", type_=String))
    .order_by(EnterpriseFactChange.seq)
)


class FactsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.statements = Statements(session)

    async def facts(self, enterprise_id: str, lock: Lock = None) -> EnterpriseFacts | None:
        stmt = select(EnterpriseFacts).where(EnterpriseFacts.enterprise_id == enterprise_id)
        if lock is not None:
            stmt = stmt.with_for_update(read=lock == "share")
        return (await self.session.execute(stmt.execution_options(populate_existing=True))).scalar_one_or_none()

    async def current_standings(self, enterprise_ids: Collection[str]) -> dict[str, EnterpriseStanding]:
        """The current rows, read on the driver (the hot path of every decision)."""
        rows = await self.statements.fetch(FACTS_OF, {"ids": list(enterprise_ids)})
        return {row.enterprise_id: standing_of(row) for row in rows}

    async def fact_changes(self, enterprise_id: str) -> list[FactChange]:
        return to_changes(await self.session.execute(CHANGES_OF, {"enterprise_id": enterprise_id}))

    async def lock_facts_creating(self, enterprise_id: str, now: datetime) -> EnterpriseFacts:
        """The enterprise's row, locked for update; created bare (no facts yet) if absent."""
        await self.session.execute(
            insert(EnterpriseFacts)
            .values(enterprise_id=enterprise_id, mandatory_onsite=False, updated_at=now)
            .on_conflict_do_nothing()
        )
        row = await self.facts(enterprise_id, lock="update")
        assert row is not None
        return row

    def add_change(self, change: EnterpriseFactChange) -> None:
        self.session.add(change)

    async def changes(self, enterprise_id: str) -> Sequence[EnterpriseFactChange]:
        result = await self.session.execute(
            select(EnterpriseFactChange)
            .where(EnterpriseFactChange.enterprise_id == enterprise_id)
            .order_by(EnterpriseFactChange.seq)
        )
        return result.scalars().all()
