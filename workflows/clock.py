"""The engine's view of the current time.

SpiffWorkflow decides whether a timer event has fired by calling ``datetime.now(timezone.utc)``
inside ``SpiffWorkflow.bpmn.specs.event_definitions.timer``. The application has one injectable
clock (tests freeze and move it), and a timer must fire by *that* clock, not by the wall clock. This
module contains the only adaptation of the library for that: the timer module's ``datetime`` name
is replaced by a subclass whose ``now()`` asks the clock that the running :class:`WorkflowRuntime`
installed for the duration of an engine call (a context variable, so threads and concurrent
runtimes never see each other's clock). Outside an engine call it is the wall clock, unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, tzinfo

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

Now = Callable[[], datetime]

_current: ContextVar[Now | None] = ContextVar("workflows_engine_now", default=None)


class _EngineDatetime(datetime):
    """``datetime`` whose ``now()`` reads the engine clock installed by :func:`engine_clock`."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        source = _current.get()
        if source is None:
            return datetime.now(tz)
        moment = source()
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(tz) if tz is not None else moment.astimezone().replace(tzinfo=None)


def wall_clock() -> datetime:
    return datetime.now(UTC)


@contextmanager
def engine_clock(now: Now | None) -> Iterator[None]:
    """Let SpiffWorkflow's timer code read ``now`` while the block runs."""
    token = _current.set(now)
    try:
        yield
    finally:
        _current.reset(token)


def _install() -> None:
    # Idempotent: importing this module twice must not wrap the class twice.
    if getattr(_spiff_timer, "datetime", None) is not _EngineDatetime:
        _spiff_timer.datetime = _EngineDatetime  # type: ignore[misc]


_install()
