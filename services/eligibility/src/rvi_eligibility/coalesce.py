"""Concurrent requests' statements of one kind run together, in one round trip: while one batch
is in flight the next one gathers, so batches grow with the load and a lone request waits for
nothing but its own statement (the way PostgreSQL groups commits)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import asyncpg

K = TypeVar("K")
V = TypeVar("V")

Flush = Callable[[asyncpg.Connection, Sequence[K]], Awaitable[Sequence[V]]]


class Coalescer(Generic[K, V]):
    def __init__(self, pool: asyncpg.Pool, flush: Flush[K, V], max_batch: int = 500) -> None:
        self.pool = pool
        self.flush = flush
        self.max_batch = max_batch
        self._pending: list[tuple[K, asyncio.Future[V]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, item: K) -> V:
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._drainer is None:
            self._drainer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
                try:
                    async with self.pool.acquire() as connection:
                        results = await self.flush(connection, [item for item, _ in batch])
                except BaseException as exc:  # every waiting request fails with it: none is left hanging
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc) if isinstance(exc, Exception) else future.cancel()
                    if not isinstance(exc, Exception):
                        raise
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._drainer = None
