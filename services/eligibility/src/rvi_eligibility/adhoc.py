"""The hot path of POST /v1/decisions: an ad-hoc task (one no inspection chain follows) is read,
evaluated and stored on plain asyncpg connections, its two statements coalesced with those of
concurrent requests: one query reads the facts of many enterprises, one INSERT stores many
decisions (each answered only once it is committed). Reading the facts needs no lock and a
decision is one immutable row, so neither needs a transaction of its own. Through the ORM session
these round trips cost several times the evaluation itself. A task naming an inspection this
service follows is left to the transactional path (it supersedes and emits)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy.dialects import postgresql

from rvi_eligibility.coalesce import Coalescer
from rvi_eligibility.evaluation import evaluate
from rvi_eligibility.facts import FACT_FIELDS, EnterpriseStanding, FactChange, fold, values_from_json
from rvi_eligibility.models import (
    SCHEMA,
    Decision,
    DecisionTrace,
    EnterpriseFactChange,
    EnterpriseFacts,
    InspectionRequest,
)
from rvi_eligibility.task_schemas import TaskIn
from rvi_eligibility.tasks import AdHocDecision, ad_hoc_row, check_task, task_facts
from rvi_shared.auth import Principal
from rvi_shared.clock import Clock
from rvi_shared.db import asyncpg_dsn


def _table(model: Any) -> str:
    return f'{SCHEMA}."{model.__tablename__}"'


_DIALECT = postgresql.dialect()
DECISION_COLUMNS: tuple[str, ...] = tuple(c.name for c in Decision.__table__.columns)
# Traces first (by digest, those already stored left alone), then the decisions citing them.
INSERT_SQL = (
    f"WITH stored_traces AS (INSERT INTO {_table(DecisionTrace)} (digest, trace) "
    f"SELECT * FROM unnest($1::VARCHAR(64)[], $2::JSON[]) ON CONFLICT DO NOTHING) "
    f"INSERT INTO {_table(Decision)} ({', '.join(DECISION_COLUMNS)}) SELECT * FROM unnest("
    + ", ".join(
        f"${n}::{column.type.compile(dialect=_DIALECT)}[]"
        for n, column in enumerate(Decision.__table__.columns, start=3)
    )
    + ")"
)
FACTS_SQL = (
    f"SELECT {', '.join(c.name for c in EnterpriseFacts.__table__.columns)} "
    f"FROM {_table(EnterpriseFacts)} WHERE enterprise_id = ANY($1::varchar[])"
)
HISTORY_SQL = (
    f"SELECT effective_from, changes FROM {_table(EnterpriseFactChange)} WHERE enterprise_id = $1 ORDER BY seq"
)
FOLLOWED_SQL = f"SELECT 1 FROM {_table(InspectionRequest)} WHERE inspection_id = $1"


async def _read_facts(connection: asyncpg.Connection, enterprise_ids: Sequence[str]) -> list[asyncpg.Record | None]:
    rows = await connection.fetch(FACTS_SQL, list(set(enterprise_ids)))
    by_id = {row["enterprise_id"]: row for row in rows}
    return [by_id.get(eid) for eid in enterprise_ids]


async def _insert(connection: asyncpg.Connection, decided: Sequence[AdHocDecision]) -> list[None]:
    traces = {d.evaluation.trace_digest: d.evaluation for d in decided}
    await connection.execute(
        INSERT_SQL,
        list(traces),
        [evaluation.trace_text() for evaluation in traces.values()],
        *([d.row[c] for d in decided] for c in DECISION_COLUMNS),
    )
    return [None] * len(decided)


async def keep_session_state(connection: asyncpg.Connection) -> None:
    """The hot path takes no advisory lock, opens no cursor, listens to nothing and sets nothing:
    asyncpg's default reset (four statements per release) would only cost a round trip."""


class AdHocDecider:
    @classmethod
    async def open(cls, database_url: str, pool_size: int, clock: Clock) -> AdHocDecider:
        pool = await asyncpg.create_pool(
            asyncpg_dsn(database_url), min_size=1, max_size=pool_size, reset=keep_session_state
        )
        return cls(pool, clock)

    async def close(self) -> None:
        await self.pool.close()

    def __init__(self, pool: asyncpg.Pool, clock: Clock) -> None:
        self.pool = pool
        self.clock = clock
        self.facts: Coalescer[str, asyncpg.Record | None] = Coalescer(pool, _read_facts)
        self.decisions: Coalescer[AdHocDecision, None] = Coalescer(pool, _insert)

    async def decide(self, task: TaskIn, principal: Principal) -> AdHocDecision | None:
        """The stored decision, or None when the task names an inspection this service follows."""
        now = self.clock.now()
        checked = check_task(task, now)
        if task.inspection_id is not None and await self._followed(task.inspection_id):
            return None
        standing = await self._standing(task.enterprise_id, checked.at)
        evaluation = evaluate(task_facts(task, standing, checked.at), task.checklist_items, checked.rule_set)
        row = ad_hoc_row(task, evaluation, now, f"POST /v1/decisions by {principal.subject}", principal.subject)
        decision = AdHocDecision(row, evaluation)
        await self.decisions.submit(decision)
        return decision

    async def _followed(self, inspection_id: str) -> bool:
        async with self.pool.acquire() as connection:
            return bool(await connection.fetchval(FOLLOWED_SQL, inspection_id))

    async def _standing(self, enterprise_id: str, at: datetime) -> EnterpriseStanding | None:
        """As FactStore.standing: the current row, or the history folded up to `at` for an earlier moment."""
        row = await self.facts.submit(enterprise_id)
        if row is None or row["effective_from"] is None:
            return None
        if at >= row["effective_from"]:
            return _standing_of(row)
        async with self.pool.acquire() as connection:
            history = await connection.fetch(HISTORY_SQL, enterprise_id)
        changes = [FactChange(h["effective_from"], values_from_json(json.loads(h["changes"]))) for h in history]
        return fold(enterprise_id, changes, as_at=at)


def _standing_of(row: Mapping[str, Any]) -> EnterpriseStanding:
    return EnterpriseStanding(
        enterprise_id=row["enterprise_id"],
        effective_from=row["effective_from"],
        **{name: row[name] for name in FACT_FIELDS},
    )
