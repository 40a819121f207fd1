"""POST /v1/decisions under load: the tasks of concurrent requests are decided together by the code
that decides a batch (tasks.decide_unfollowed), on a connection of the service's engine: one query
reads the facts of all their enterprises, one statement stores all their decisions, and each
request is answered once they are stored. Per request, a session transaction of its own would cost
several times the evaluation itself. The statements run through the driver (driver_store.py). A
task naming an inspection this service follows is answered None here and decided in that
inspection's chain, in a transaction (it supersedes and emits)."""

from __future__ import annotations

from collections.abc import Sequence

from rvi_eligibility.decisions.coalesce import Coalescer
from rvi_eligibility.decisions.driver_store import DriverStore
from rvi_eligibility.decisions.schemas import TaskIn
from rvi_eligibility.decisions.tasks import AdHocDecision, AdHocTask, check_task, decide_unfollowed
from rvi_shared.auth import Principal
from rvi_shared.db import driver_connection
from rvi_shared.service import ServiceRuntime


class SingleDecisions:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        # Each batch holds one pooled connection while it runs; with three at once the process never
        # waits idle for the database under load (bench-eligibility's load: ~1.44k req/s with one, ~1.63k with three).
        self._together: Coalescer[AdHocTask, AdHocDecision | None] = Coalescer(self._decide, max_in_flight=3)

    async def decide(self, task: TaskIn, principal: Principal) -> AdHocDecision | None:
        """The stored ad-hoc decision, or None when the task names an inspection this service follows.
        Input no rule can judge is refused (422) before waiting for anything."""
        now = self.runtime.clock.now()
        checked = check_task(task, now)
        trigger = f"POST /v1/decisions by {principal.subject}"
        return await self._together.submit(AdHocTask(task, checked, now, trigger, principal.subject))

    async def _decide(self, tasks: Sequence[AdHocTask]) -> list[AdHocDecision | None]:
        async with driver_connection(self.runtime.engine) as connection:
            return await decide_unfollowed(DriverStore(connection), tasks)
