from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from pydantic_core import to_json
from sqlalchemy import ARRAY, String, any_, bindparam, delete, select, text, update
from sqlalchemy.dialects.postgresql import insert

from rvi_eligibility.decisions.records import NewDecision
from rvi_eligibility.facts.repository import FactsRepository
from rvi_eligibility.models import (
    DECISION_OF_INSPECTION,
    Decision,
    DecisionTrace,
    DueRecheck,
    InspectionRequest,
    Override,
    ParkedClosure,
)

_DECISIONS = f"{Decision.__table__.schema}.{Decision.__tablename__}"
_TRACES = f"{DecisionTrace.__table__.schema}.{DecisionTrace.__tablename__}"
_DECISION_COLUMNS = ", ".join(c.name for c in Decision.__table__.columns)
# Any number of decisions and their new traces in one statement with two parameters: each a JSON
# array of rows, expanded by PostgreSQL. Bound column by column (arrays) or row by row
# (executemany, multi-row VALUES), the rows cost the driver more than the decisions cost to make.
INSERT_DECISIONS = text(
    f"WITH stored_traces AS (INSERT INTO {_TRACES} (digest, trace) "
    "SELECT digest, trace FROM json_to_recordset(CAST(:traces AS json)) AS t(digest varchar, trace json) "
    "ON CONFLICT DO NOTHING) "
    f"INSERT INTO {_DECISIONS} ({_DECISION_COLUMNS}) SELECT {_DECISION_COLUMNS} "
    f"FROM json_populate_recordset(NULL::{_DECISIONS}, CAST(:decisions AS json))"
)


def _row(d: NewDecision) -> bytes:
    """The decision's row as a JSON object; its items and reasons as the evaluation serialized them."""
    e = d.evaluation
    scalars = {
        "id": d.id,
        "kind": d.kind,
        "inspection_id": d.inspection_id,
        "enterprise_id": d.enterprise_id,
        "customs": d.customs,
        "remote_allowed": e.remote_allowed,
        "outcome": e.outcome,
        "trace_digest": e.trace_digest,
        "rule_set_version": e.rule_set_version,
        "as_at": e.as_at,
        "evaluated_at": d.evaluated_at,
        "supersedes": d.supersedes,
        "trigger": d.trigger,
        "decided_by": d.decided_by,
    }
    return b'%s,"items":%s,"reasons":%s}' % (to_json(scalars)[:-1], e.items_bytes, e.reasons_bytes)


def insert_parameters(decisions: Sequence[NewDecision]) -> dict[str, str]:
    """INSERT_DECISIONS's two JSON documents. The traces in digest order: concurrent statements
    inserting the same new traces wait for each other, never deadlock."""
    traces = {d.evaluation.trace_digest: d.evaluation.trace_bytes for d in decisions}
    stored = b",".join(b'{"digest":"%s","trace":%s}' % (k.encode(), traces[k]) for k in sorted(traces))
    return {"traces": f"[{stored.decode()}]", "decisions": f"[{b','.join(map(_row, decisions)).decode()}]"}


# One statement (and one prepared statement) for any number of inspections.
FOLLOWED_OF = select(InspectionRequest.inspection_id).where(
    InspectionRequest.inspection_id == any_(bindparam("ids", type_=ARRAY(String)))
)


class EligibilityRepository(FactsRepository):
    """The statements of decisions, followed inspections, due re-checks and 3(V) overrides (and, inherited, of facts)."""

    # --- inspections followed from rvi.inspection.requested.v1 ---

    async def request(self, inspection_id: str, for_update: bool = False) -> InspectionRequest | None:
        stmt = select(InspectionRequest).where(InspectionRequest.inspection_id == inspection_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def known_inspections(self, inspection_ids: Collection[str]) -> set[str]:
        return {row[0] for row in await self.statements.fetch(FOLLOWED_OF, {"ids": list(inspection_ids)})}

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

    async def lock_inspection(self, inspection_id: str) -> None:
        """Serializes a request and a closure parked for it (each may run on another partition)."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('eligibility.inspection'), hashtext(:i))"), {"i": inspection_id}
        )

    async def park_closure(self, inspection_id: str, reason: str, at: datetime) -> None:
        await self.session.execute(
            insert(ParkedClosure)
            .values(inspection_id=inspection_id, reason=reason, parked_at=at)
            .on_conflict_do_nothing()
        )

    async def take_parked_closure(self, inspection_id: str) -> str | None:
        """The first closure parked for the inspection (all are removed), or None."""
        rows = (
            await self.session.execute(
                delete(ParkedClosure)
                .where(ParkedClosure.inspection_id == inspection_id)
                .returning(ParkedClosure.reason, ParkedClosure.parked_at)
            )
        ).all()
        return min(rows, key=lambda r: r.parked_at).reason if rows else None

    async def open_requests(self, enterprise_id: str) -> Sequence[InspectionRequest]:
        result = await self.session.execute(
            select(InspectionRequest)
            .where(InspectionRequest.enterprise_id == enterprise_id, InspectionRequest.closed_at.is_(None))
            .order_by(InspectionRequest.inspection_id)
            .with_for_update()
        )
        return result.scalars().all()

    # --- decisions ---

    async def insert_decisions(self, decisions: Sequence[NewDecision]) -> None:
        """Every decision is stored by this one statement, with its trace (one already stored is
        left as it is: same content), in the caller's transaction."""
        if decisions:
            await self.statements.execute(INSERT_DECISIONS, insert_parameters(decisions))

    async def traces(self, digests: Collection[str]) -> dict[str, list[dict[str, Any]]]:
        result = await self.session.execute(
            select(DecisionTrace.digest, DecisionTrace.trace).where(DecisionTrace.digest.in_(list(digests)))
        )
        return {row.digest: row.trace for row in result}

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

    # --- facts recorded ahead of time: when their enterprise's open inspections are re-checked ---

    async def schedule_recheck(self, enterprise_id: str, due_at: datetime, cause: str, now: datetime) -> None:
        """Once per enterprise and moment; due again if it was done already (a clock set back)."""
        await self.session.execute(
            insert(DueRecheck)
            .values(enterprise_id=enterprise_id, due_at=due_at, cause=cause[:255], recorded_at=now, attempts=0)
            .on_conflict_do_update(
                index_elements=[DueRecheck.enterprise_id, DueRecheck.due_at],
                set_={"done_at": None, "attempts": 0, "last_error": None},
            )
        )

    async def claim_due_recheck(self, now: datetime, max_attempts: int, skip: Collection[int]) -> DueRecheck | None:
        """The earliest re-check due by `now`, locked; one another replica holds is skipped, not waited for."""
        stmt = (
            select(DueRecheck)
            .where(DueRecheck.done_at.is_(None), DueRecheck.due_at <= now, DueRecheck.attempts < max_attempts)
            .order_by(DueRecheck.due_at, DueRecheck.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if skip:
            stmt = stmt.where(DueRecheck.id.not_in(list(skip)))
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def recheck_done(self, recheck_id: int, now: datetime) -> None:
        await self.session.execute(update(DueRecheck).where(DueRecheck.id == recheck_id).values(done_at=now))

    async def recheck_failed(self, recheck_id: int, error: str) -> None:
        await self.session.execute(
            update(DueRecheck)
            .where(DueRecheck.id == recheck_id)
            .values(attempts=DueRecheck.attempts + 1, last_error=error[:2000])
        )

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
