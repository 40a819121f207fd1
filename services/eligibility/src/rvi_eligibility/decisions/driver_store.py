"""The statements of concurrent single decisions (single_decisions.py) on a connection of the
service's engine, through the driver itself: the same SQL as the repository's (compiled from its
statements), without SQLAlchemy's asyncio layer, which costs some 0.2 ms of CPU per statement and
0.75 ms per session transaction here, more than a decision's rules. No transaction: reading facts
takes no lock, and the decisions and their traces are stored by one statement."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.sql import ClauseElement

from rvi_eligibility.decisions.repository import FOLLOWED_OF, INSERT_AD_HOC, ad_hoc_parameters
from rvi_eligibility.facts.changes import FactChange, values_from_json
from rvi_eligibility.facts.repository import CHANGES_OF, FACTS_OF
from rvi_eligibility.rules.standing import FACT_FIELDS, EnterpriseStanding

_DIALECT = asyncpg_dialect()


def driver_sql(statement: ClauseElement, *names: str) -> str:
    """The statement as the driver runs it, its parameters `names` in that order ($1, $2, ...)."""
    compiled = statement.compile(dialect=_DIALECT)
    assert tuple(compiled.positiontup or ()) == names, (compiled.positiontup, names)
    return str(compiled)


FACTS_SQL = driver_sql(FACTS_OF, "ids")
CHANGES_SQL = driver_sql(CHANGES_OF, "enterprise_id")
FOLLOWED_SQL = driver_sql(FOLLOWED_OF, "ids")
INSERT_AD_HOC_SQL = driver_sql(INSERT_AD_HOC, "traces", "decisions")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


class DriverStore:
    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection

    async def known_inspections(self, inspection_ids: Collection[str]) -> set[str]:
        return {row[0] for row in await self.connection.fetch(FOLLOWED_SQL, list(inspection_ids))}

    async def current_standings(self, enterprise_ids: Collection[str]) -> dict[str, EnterpriseStanding]:
        return {
            row["enterprise_id"]: EnterpriseStanding(
                enterprise_id=row["enterprise_id"],
                effective_from=row["effective_from"],
                **{name: row[name] for name in FACT_FIELDS},
            )
            for row in await self.connection.fetch(FACTS_SQL, list(enterprise_ids))
        }

    async def fact_changes(self, enterprise_id: str) -> list[FactChange]:
        """The engine's connections decode JSON (SQLAlchemy sets their codec); a bare one gives text."""
        rows = await self.connection.fetch(CHANGES_SQL, enterprise_id)
        return [FactChange(row["effective_from"], values_from_json(_json(row["changes"]))) for row in rows]

    async def insert_ad_hoc(self, traces: Mapping[str, bytes], rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            parameters = ad_hoc_parameters(traces, rows)
            await self.connection.execute(INSERT_AD_HOC_SQL, parameters["traces"], parameters["decisions"])
