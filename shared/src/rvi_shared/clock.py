"""Injectable clocks. Services never call datetime.now() directly (DESIGN: lifecycle)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.now(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class FileOffsetClock:
    """System time plus an offset in seconds read from a file.

    Lets several processes (the embedded stack, cross-service tests) share one
    moved clock: the demo writes the file, every service sees the same time.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path)
        self._version: tuple[int, int, int] | None = None
        self._offset = timedelta()

    def _refresh(self) -> None:
        # The inode too: each write replaces the file, and two writes within one tick of the
        # file system's coarse timestamps share an mtime.
        try:
            stat = self._path.stat()
        except FileNotFoundError:
            self._offset = timedelta()
            self._version = None
            return
        version = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if version != self._version:
            text = self._path.read_text().strip() or "0"
            self._offset = timedelta(seconds=float(text))
            self._version = version

    def now(self) -> datetime:
        self._refresh()
        return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> None:
        self._refresh()
        new_offset = self._offset + delta
        tmp = self._path.with_suffix(".tmp")
        tmp.write_text(str(new_offset.total_seconds()))
        tmp.replace(self._path)


def clock_from_settings(clock_file: str | None) -> Clock:
    return FileOffsetClock(clock_file) if clock_file else SystemClock()
