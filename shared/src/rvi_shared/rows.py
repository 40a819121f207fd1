"""One row by its id, or one 404: a malformed id and an unknown one are the same answer to a caller
(RFC 9457 Problem Details, `NotFound`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.base import ExecutableOption

from rvi_shared.errors import NotFound

M = TypeVar("M", bound=DeclarativeBase)


def not_found(what: str, id_: object) -> NotFound:
    return NotFound(f"{what} {str(id_)!r} not found")


def parse_key(model: type[DeclarativeBase], id_: str | uuid.UUID, what: str) -> Any:
    """`id_` as the model's single primary key takes it: a UUID key parses the string
    (NotFound when it is no UUID); any other key takes the string as it is."""
    column = inspect(model).primary_key[0]
    if isinstance(id_, str) and column.type.python_type is uuid.UUID:
        try:
            return uuid.UUID(id_)
        except ValueError:
            raise not_found(what, id_) from None
    return id_


async def get_by_id(
    session: AsyncSession,
    model: type[M],
    id_: str | uuid.UUID,
    *,
    what: str,
    for_update: bool = False,
    options: Sequence[ExecutableOption] = (),
) -> M:
    """The `model` row whose primary key is `id_`, locked FOR UPDATE when asked, loaded with
    `options` (e.g. `undefer(...)`, `selectinload(...)`). NotFound (404) "`what` 'id' not found"
    when `id_` is malformed for the key or names no row."""
    key = parse_key(model, id_, what)
    row = await session.get(model, key, options=options, with_for_update=True if for_update else None)
    if row is None:
        raise not_found(what, id_)
    return row
