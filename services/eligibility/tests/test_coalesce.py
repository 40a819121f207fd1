"""Concurrent requests' work runs in batches (coalesce.py): every waiting request answered with
its own result, at most `max_in_flight` batches at once, and an item that fails fails alone."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from rvi_eligibility.decisions.coalesce import Coalescer


class Recorder:
    def __init__(self, fail_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.running = 0
        self.most_running = 0
        self.fail_on = fail_on

    async def flush(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            await asyncio.sleep(0.01)
            if self.fail_on in items:
                raise ValueError(f"cannot do {self.fail_on}")
            return [item * 10 for item in items]
        finally:
            self.running -= 1


async def test_concurrent_items_go_together_each_answered_with_its_own_result() -> None:
    recorder = Recorder()
    together = Coalescer(recorder.flush)
    assert await asyncio.gather(*(together.submit(n) for n in range(20))) == [n * 10 for n in range(20)]
    assert recorder.batches[0] == list(range(20))
    assert await together.submit(7) == 70  # a lone item waits for its own batch only
    assert recorder.batches[-1] == [7]


@pytest.mark.parametrize("max_in_flight", [1, 2, 3])
async def test_at_most_max_in_flight_batches_run_at_once(max_in_flight: int) -> None:
    recorder = Recorder()
    together = Coalescer(recorder.flush, max_in_flight=max_in_flight)

    async def client(n: int) -> list[int]:
        results = []
        for round_ in range(5):
            results.append(await together.submit(n * 100 + round_))
            await asyncio.sleep(0.001 * (n % 3))
        return results

    answers = await asyncio.gather(*(client(n) for n in range(12)))
    assert answers == [[(n * 100 + r) * 10 for r in range(5)] for n in range(12)]
    assert recorder.most_running == max_in_flight
    assert sorted(i for batch in recorder.batches for i in batch) == sorted(
        n * 100 + r for n in range(12) for r in range(5)
    )


async def test_a_failing_item_fails_alone_the_others_of_its_batch_are_done() -> None:
    recorder = Recorder(fail_on=3)
    together = Coalescer(recorder.flush)
    results = await asyncio.gather(*(together.submit(n) for n in range(6)), return_exceptions=True)
    assert [r if not isinstance(r, Exception) else str(r) for r in results] == [0, 10, 20, "cannot do 3", 40, 50]
    assert recorder.batches[0] == list(range(6))
    assert recorder.batches[1:] == [[n] for n in range(6)]  # retried item by item


async def test_max_batch_splits_a_crowd() -> None:
    recorder = Recorder()
    together = Coalescer(recorder.flush, max_batch=4, max_in_flight=1)
    await asyncio.gather(*(together.submit(n) for n in range(10)))
    assert recorder.batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
