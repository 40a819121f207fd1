"""A periodic background task that ends cleanly when the service stops."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Tick = Callable[[], Awaitable[bool | None]]


async def run_periodically(name: str, tick: Tick, interval_s: float, stop: asyncio.Event) -> None:
    """`tick` now and then every `interval_s` seconds until `stop` is set; a `stop` during the wait
    ends the task at once, one during a tick once that tick returns. A tick that returns True has
    more work waiting and runs again without waiting. A tick that raises is logged and retried at
    the next interval: a database or network outage never ends the task."""
    while not stop.is_set():
        again = False
        try:
            again = await tick() is True
        except Exception:
            log.exception("%s failed; retrying", name)
        if again:
            continue
        try:
            await asyncio.wait_for(stop.wait(), interval_s)
        except TimeoutError:
            pass
