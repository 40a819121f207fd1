from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Row, bindparam, select
from sqlalchemy import insert as core_insert
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import UserDefinedType

from rvi_eligibility.models import (
    DECISION_OF_INSPECTION,
    Decision,
    DecisionTrace,
    EnterpriseFactChange,
    EnterpriseFacts,
    InspectionRequest,
    Override,
)

Lock = Literal["update", "share"] | None


class SerializedJSON(UserDefinedType[str]):
    """A JSON value serialized already: bound as text, PostgreSQL parses it into the json column."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "JSON"

    def bind_processor(self, dialect: Any) -> None:
        return None


_SERIALIZED = SerializedJSON()
INSERT_DECISIONS = core_insert(Decision.__table__).values(
    {name: bindparam(name, type_=_SERIALIZED) for name in ("items", "reasons")}
)
INSERT_TRACES = (
    insert(DecisionTrace.__table__).values(trace=bindparam("trace", type_=_SERIALIZED)).on_conflict_do_nothing()
)
FACTS = EnterpriseFacts.__table__


class EligibilityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- enterprise facts ---

    async def facts(self, enterprise_id: str, lock: Lock = None) -> EnterpriseFacts | None:
        stmt = select(EnterpriseFacts).where(EnterpriseFacts.enterprise_id == enterprise_id)
        if lock is not None:
            stmt = stmt.with_for_update(read=lock == "share")
        return (await self.session.execute(stmt.execution_options(populate_existing=True))).scalar_one_or_none()

    async def facts_rows(self, enterprise_ids: Collection[str]) -> dict[str, Row[Any]]:
        """The current rows, read without the ORM (the hot path of every decision)."""
        if len(enterprise_ids) == 1:
            (only,) = enterprise_ids
            result = await self.session.execute(select(FACTS).where(FACTS.c.enterprise_id == only))
        else:
            result = await self.session.execute(select(FACTS).where(FACTS.c.enterprise_id.in_(list(enterprise_ids))))
        return {row.enterprise_id: row for row in result}

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

    # --- inspections followed from rvi.inspection.requested.v1 ---

    async def request(self, inspection_id: str, for_update: bool = False) -> InspectionRequest | None:
        stmt = select(InspectionRequest).where(InspectionRequest.inspection_id == inspection_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def known_inspections(self, inspection_ids: Collection[str]) -> set[str]:
        result = await self.session.execute(
            select(InspectionRequest.inspection_id).where(InspectionRequest.inspection_id.in_(list(inspection_ids)))
        )
        return set(result.scalars())

    async def add_request(self, request: InspectionRequest) -> bool:
        """False when the inspection was already requested (a replay under another event id)."""
        values = {c.key: getattr(request, c.key) for c in InspectionRequest.__table__.columns}
        result = await self.session.execute(
            insert(InspectionRequest)
            .values(**values)
            .on_conflict_do_nothing()
            .returning(InspectionRequest.inspection_id)
        )
        return result.first() is not None

    async def open_requests(self, enterprise_id: str) -> Sequence[InspectionRequest]:
        result = await self.session.execute(
            select(InspectionRequest)
            .where(InspectionRequest.enterprise_id == enterprise_id, InspectionRequest.closed_at.is_(None))
            .order_by(InspectionRequest.inspection_id)
            .with_for_update()
        )
        return result.scalars().all()

    # --- decisions ---

    def add_decision(self, decision: Decision) -> None:
        self.session.add(decision)

    async def insert_traces(self, traces: Mapping[str, str]) -> None:
        """Serialized traces by digest; one already stored is left as it is (same content)."""
        params = [{"digest": digest, "trace": trace} for digest, trace in traces.items()]
        if len(params) == 1:
            await self.session.execute(INSERT_TRACES, params[0])
        elif params:
            await self.session.execute(INSERT_TRACES, params)

    async def traces(self, digests: Collection[str]) -> dict[str, list[dict[str, Any]]]:
        result = await self.session.execute(
            select(DecisionTrace.digest, DecisionTrace.trace).where(DecisionTrace.digest.in_(list(digests)))
        )
        return {row.digest: row.trace for row in result}

    async def insert_decisions(self, rows: Sequence[dict[str, Any]]) -> None:
        """Immutable decisions, their JSON columns serialized already, in one multi-row INSERT
        (SQLAlchemy's insertmanyvalues), no ORM objects."""
        if len(rows) == 1:
            await self.session.execute(INSERT_DECISIONS, rows[0])
        elif rows:
            await self.session.execute(INSERT_DECISIONS, list(rows))

    async def decision(self, decision_id: str) -> Decision | None:
        return await self.session.get(Decision, decision_id)

    async def chain(self, inspection_id: str) -> list[Decision]:
        """The inspection's decisions, oldest first, each superseding the one before."""
        result = await self.session.execute(
            select(Decision).where(Decision.inspection_id == inspection_id, Decision.kind == DECISION_OF_INSPECTION)
        )
        by_previous = {d.supersedes: d for d in result.scalars()}
        chain: list[Decision] = []
        while (following := by_previous.get(chain[-1].id if chain else None)) is not None:
            chain.append(following)
        return chain

    # --- GACC-RVI 3(V) overrides ---

    def add_override(self, override: Override) -> None:
        self.session.add(override)

    async def active_overrides(self, inspection_id: str) -> Sequence[Override]:
        result = await self.session.execute(
            select(Override)
            .where(Override.inspection_id == inspection_id, Override.lifted_at.is_(None))
            .order_by(Override.created_at, Override.id)
        )
        return result.scalars().all()
