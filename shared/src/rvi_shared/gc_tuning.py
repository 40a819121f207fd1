"""Garbage-collector settings for a long-running service process."""

from __future__ import annotations

import gc

_tuned = False


def tune_garbage_collector() -> None:
    """Once per process. What is loaded by now lives as long as the process: keep it out of the
    collector's full passes. And collect the young generation less eagerly: with dozens of
    requests in flight, the default (700) collects every few requests and promotes their live
    objects into the older generations, whose collections then cost the most."""
    global _tuned
    if not _tuned:
        _tuned = True
        gc.collect()
        gc.freeze()
        gc.set_threshold(10_000, 20, 20)
