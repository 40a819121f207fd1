"""CPU time of process trees read from /proc (through psutil), for per-process cost figures.

A tree's CPU is the user + system time of its root and every live descendant, plus the time of
descendants already reaped by the root (PostgreSQL's backends that ended in the window)."""

from __future__ import annotations

from dataclasses import dataclass

import psutil


def tree_cpu_s(pid: int) -> float:
    """Seconds of CPU used so far by the tree rooted at `pid`; 0.0 when it is gone."""
    try:
        root = psutil.Process(pid)
        times = root.cpu_times()
        total = times.user + times.system + times.children_user + times.children_system
        for child in root.children(recursive=True):
            try:
                ctimes = child.cpu_times()
                total += ctimes.user + ctimes.system
            except psutil.NoSuchProcess:
                continue
        return total
    except psutil.NoSuchProcess:
        return 0.0


def own_cpu_s(pid: int) -> float:
    """Seconds of CPU used so far by the process `pid` itself (all its threads), none of its
    children: a bench that started the stack is the parent of its services. 0.0 when it is gone."""
    try:
        times = psutil.Process(pid).cpu_times()
        return times.user + times.system
    except psutil.NoSuchProcess:
        return 0.0


@dataclass
class CpuMeter:
    """Named process trees (or, with `own_only`, the processes alone); `start()` then `stop()`
    gives each one's CPU seconds in between."""

    pids: dict[str, int]
    own_only: bool = False

    def __post_init__(self) -> None:
        self._start: dict[str, float] = {}
        self.used_s: dict[str, float] = {}

    def _cpu_s(self, pid: int) -> float:
        return own_cpu_s(pid) if self.own_only else tree_cpu_s(pid)

    def start(self) -> None:
        self._start = {name: self._cpu_s(pid) for name, pid in self.pids.items()}

    def stop(self) -> dict[str, float]:
        self.used_s = {name: self._cpu_s(pid) - self._start[name] for name, pid in self.pids.items()}
        return self.used_s
