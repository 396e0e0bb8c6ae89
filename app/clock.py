"""The one source of the current time.

Everything that asks "what time is it?" — due dates, timers, audit stamps — calls :func:`now`, so a
test (or a demo) can freeze or move time for the whole application with :func:`use_clock`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta


class SystemClock:
    """Wall-clock time, timezone-aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to (thread-safe)."""

    def __init__(self, start: datetime | None = None):
        if start is not None and start.tzinfo is None:
            raise ValueError("FrozenClock needs a timezone-aware start")
        self._now = start or datetime.now(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("timezone-aware datetime required")
        with self._lock:
            self._now = moment.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now


_clock: SystemClock | FrozenClock = SystemClock()


def now() -> datetime:
    """The current time (UTC, timezone-aware) according to the installed clock."""
    return _clock.now()


def install(clock: SystemClock | FrozenClock) -> None:
    global _clock
    _clock = clock


@contextmanager
def use_clock(clock: SystemClock | FrozenClock) -> Iterator[SystemClock | FrozenClock]:
    """Install ``clock`` for the duration of a ``with`` block (tests)."""
    previous = _clock
    install(clock)
    try:
        yield clock
    finally:
        install(previous)
