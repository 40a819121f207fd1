"""Per-task context carried into logs: the inspection being worked on."""

from __future__ import annotations

from contextvars import ContextVar

inspection_id_var: ContextVar[str | None] = ContextVar("inspection_id", default=None)
