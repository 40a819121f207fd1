"""Which subjects changed: the ids (an inspection's, a document's) that this service's writes and
events touched, so that a long-poll waits for a change instead of a client asking again and again.

A subject is announced by the outbox (NOTIFY on the outbox channel, payload the event's subject),
by the consumer runner (NOTIFY on the changes channel, payload each handled event's subject) and by
a write request (locally, each path parameter). PostgreSQL delivers a NOTIFY only once its
transaction commits, to every instance of the service."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

HISTORY = 4096


def changes_channel(schema: str) -> str:
    return f"{schema}_changes"


def canonical(subject: str) -> str:
    """Subjects compare case-blind: a UUID spelt in upper case is the same resource, and two
    subjects that differ only in case at worst wake a waiter for one needless read."""
    return subject.lower()


async def announce(session: AsyncSession, schema: str, subject: str) -> None:
    """Announces `subject` as changed to every instance of the service (NOTIFY on its changes
    channel, delivered once `session`'s transaction commits): for a write that emits no event."""
    await session.execute(select(func.pg_notify(changes_channel(schema), canonical(subject))))


class ChangeFeed:
    """A sequence number per announced change and the recent (sequence, subject) pairs: a waiter
    notes the sequence before it reads, and a change announced between its read and its wait still
    wakes it."""

    def __init__(self, history: int = HISTORY) -> None:
        self.sequence = 0
        self._recent: deque[tuple[int, str]] = deque(maxlen=history)
        self._waiters: dict[str, set[asyncio.Future[None]]] = {}

    def changed(self, subject: str) -> None:
        if not subject:
            return
        subject = canonical(subject)
        self.sequence += 1
        self._recent.append((self.sequence, subject))
        for waiter in self._waiters.pop(subject, ()):
            if not waiter.done():
                waiter.set_result(None)

    def changed_since(self, sequence: int, subjects: Collection[str]) -> bool:
        """Whether one of `subjects` changed after `sequence`; True too when the history no longer
        reaches back that far (a spurious wake-up costs one read, a missed one a whole wait)."""
        if self._recent and self._recent[0][0] > sequence + 1:
            return True
        for seen, subject in reversed(self._recent):
            if seen <= sequence:
                return False
            if subject in subjects:
                return True
        return False

    async def wait(self, subjects: Collection[str], since: int, timeout_s: float) -> bool:
        """Until one of `subjects` changes after `since` (True) or `timeout_s` seconds pass (False)."""
        subjects = {canonical(subject) for subject in subjects}
        if self.changed_since(since, subjects):
            return True
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        for subject in subjects:
            self._waiters.setdefault(subject, set()).add(waiter)
        try:
            await asyncio.wait_for(waiter, timeout_s)
            return True
        except TimeoutError:
            return False
        finally:
            for subject in subjects:
                waiting = self._waiters.get(subject)
                if waiting is not None:
                    waiting.discard(waiter)
                    if not waiting:
                        del self._waiters[subject]
