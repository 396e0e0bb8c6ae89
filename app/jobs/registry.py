"""Job kinds: what a job of each kind does when it runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.jobs.services import ClaimedJob


@dataclass(frozen=True)
class RunAgainAt:
    """Returned by a handler whose work is not due yet: the job goes back to pending until ``due_at``
    without using up an attempt (e.g. a timer whose deadline moved later)."""

    due_at: datetime


#: Gets the claimed job (id, kind, payload) and runs in the job's transaction.
Handler = Callable[["ClaimedJob"], "RunAgainAt | None"]


@dataclass(frozen=True)
class JobKind:
    name: str
    handler: Handler
    max_attempts: int = 5
    #: The handler is an edge of its own that commits (e.g. sending the e-mail outbox, whose rows are
    #: claimed and marked one by one); the job's completion is then recorded in a transaction after it.
    #: Only for work that is safe to repeat after a crash.
    edge: bool = False


_KINDS: dict[str, JobKind] = {}


def register_job_kind(name: str, handler: Handler, *, max_attempts: int = 5, edge: bool = False) -> JobKind:
    """Register what jobs of kind ``name`` do. The handler runs inside the job's transaction and must
    not commit; its effect commits together with the job's completion, or not at all (unless ``edge``)."""
    kind = JobKind(name, handler, max_attempts, edge)
    _KINDS[name] = kind
    return kind


def job_kind(name: str) -> JobKind | None:
    return _KINDS.get(name)
