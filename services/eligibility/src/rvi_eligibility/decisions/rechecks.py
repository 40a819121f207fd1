"""Facts recorded ahead of time: a change dated later (consent revoked, credit downgraded to
discredited, a falsification, ...) or a consent revocation dated later makes an enterprise stricter
only when that moment comes. Recording it schedules a due re-check (a DueRecheck row, in the same
transaction as the change); this timer, started with the service, re-checks the enterprise's open
inspections once the service clock reaches that moment, superseding (and emitting) any decision
that the facts then in effect make stricter. Whether a change is stricter is judged then, against
the decisions then in force.

Each due re-check is claimed with SELECT ... FOR UPDATE SKIP LOCKED and marked done in the
transaction of its re-check: done once however many replicas run, done late (at the next start)
if none ran at the moment, and redone if a replica dies before committing. One that fails is
retried at the following ticks, up to `max_attempts`, then left with its error for an operator."""

from __future__ import annotations

import logging

from rvi_eligibility.decisions.repository import EligibilityRepository
from rvi_eligibility.decisions.service import EligibilityService
from rvi_eligibility.settings import EligibilitySettings
from rvi_shared.service import ServiceRuntime

log = logging.getLogger(__name__)


class DueRechecks:
    def __init__(self, runtime: ServiceRuntime[EligibilitySettings], max_attempts: int = 5) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.max_attempts = max_attempts

    async def tick(self) -> None:
        """One round of the service's periodic task: the re-checks due by the service clock."""
        if done := await self.run_due():
            log.info("%d due re-checks of open inspections done", done)

    async def run_due(self) -> int:
        """Every re-check due now that no other replica holds, each in its own transaction; how many were done."""
        tried: set[int] = set()
        done = 0
        while (outcome := await self._next(tried)) is not None:
            done += outcome
        return done

    async def _next(self, tried: set[int]) -> int | None:
        """1 if a due re-check was done, 0 if it failed (it is retried at a later tick), None if none is due."""
        rt = self.runtime
        async with rt.transaction() as session:
            now = rt.clock.now()
            repo = EligibilityRepository(session)
            due = await repo.claim_due_recheck(now, self.max_attempts, tried)
            if due is None:
                return None
            recheck_id, enterprise_id, due_at = due.id, due.enterprise_id, due.due_at
            tried.add(recheck_id)
            service = EligibilityService(session, rt.outbox, rt.clock, self.settings)
            try:
                async with session.begin_nested():
                    await service.reevaluate_open(
                        enterprise_id, f"facts in effect from {due_at.isoformat()} ({due.cause})"
                    )
            except Exception as exc:
                log.exception("re-check of %s due %s failed", enterprise_id, due_at.isoformat())
                await repo.recheck_failed(recheck_id, f"{type(exc).__name__}: {exc}")
                return 0
            await repo.recheck_done(recheck_id, now)
            return 1
