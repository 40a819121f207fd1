"""The periodic task: runs at once, again after the interval, at once when it has more work, survives
a failing tick and ends as soon as the service stops."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from rvi_shared.background import run_periodically


async def test_ticks_at_once_then_every_interval_and_stops_within_the_wait() -> None:
    stop = asyncio.Event()
    ticks: list[float] = []

    async def tick() -> None:
        ticks.append(time.monotonic())

    started = time.monotonic()
    task = asyncio.create_task(run_periodically("test", tick, 0.2, stop))
    await asyncio.sleep(0.5)
    assert len(ticks) == 3 and ticks[0] - started < 0.05
    assert all(0.18 < later - earlier < 0.3 for earlier, later in zip(ticks, ticks[1:], strict=False))
    stop.set()
    await asyncio.wait_for(task, timeout=0.1)  # the 0.2 s wait is cut short, not slept out


async def test_a_tick_with_more_work_runs_again_without_waiting() -> None:
    stop = asyncio.Event()
    backlog = [1, 2, 3]

    async def tick() -> bool:
        if backlog:
            backlog.pop()
        return bool(backlog)

    task = asyncio.create_task(run_periodically("test", tick, 60.0, stop))
    await asyncio.sleep(0.05)
    assert backlog == []
    stop.set()
    await asyncio.wait_for(task, timeout=0.1)


async def test_a_failing_tick_is_logged_and_retried(caplog: pytest.LogCaptureFixture) -> None:
    stop = asyncio.Event()
    calls = 0

    async def tick() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database down")

    with caplog.at_level(logging.ERROR, logger="rvi_shared.background"):
        task = asyncio.create_task(run_periodically("flaky", tick, 0.05, stop))
        await asyncio.sleep(0.12)
        stop.set()
        await asyncio.wait_for(task, timeout=0.1)
    assert calls >= 2
    assert any("flaky failed" in r.getMessage() and r.exc_info for r in caplog.records)
