"""Concurrent requests' work of one kind runs together, the way PostgreSQL groups commits: a batch
takes every request waiting when it starts, so batches grow with the load and a lone request
waits for nothing but its own. Up to `max_in_flight` batches run at once: while one waits for the
database (its commit), the requests of the next are being read and checked, and then go too,
rather than all waiting in one batch while the process idles. A failed batch is retried item by
item, so an item that cannot be done fails alone."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

Flush = Callable[[Sequence[K]], Awaitable[Sequence[V]]]
log = logging.getLogger(__name__)


class Coalescer(Generic[K, V]):
    def __init__(self, flush: Flush[K, V], max_batch: int = 500, max_in_flight: int = 2) -> None:
        self.flush = flush
        self.max_batch = max_batch
        self.max_in_flight = max_in_flight
        self._pending: list[tuple[K, asyncio.Future[V]]] = []
        self._in_flight: set[asyncio.Task[None]] = set()

    async def submit(self, item: K) -> V:
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        self._start()
        return await future

    def _start(self) -> None:
        if self._pending and len(self._in_flight) < self.max_in_flight:
            task = asyncio.create_task(self._next_batch())
            self._in_flight.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._start()

    async def _next_batch(self) -> None:
        batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
        if not batch:  # taken by a batch started before this one ran
            return
        if len(batch) == 1 or not await self._run(batch, fail=False):
            if len(batch) > 1:
                log.info("a batch of %d failed: retrying each alone", len(batch))
            for one in batch:
                await self._run([one], fail=True)

    async def _run(self, batch: list[tuple[K, asyncio.Future[V]]], fail: bool) -> bool:
        """Answer every waiting request of `batch`; False (answering none) if it failed and not `fail`."""
        try:
            results = await self.flush([item for item, _ in batch])
        except BaseException as exc:  # every waiting request is answered: none is left hanging
            if fail or not isinstance(exc, Exception):
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc) if isinstance(exc, Exception) else future.cancel()
            if not isinstance(exc, Exception):
                raise
            return False
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
        return True
