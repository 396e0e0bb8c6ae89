"""Task events that happen outside an engine run, for subscribers such as notifications.

Engine runs already end in :func:`app.processes.runtime.finish_run` and its run hooks. Some state
changes do not run the engine — the next signer of a 依次审批 step gets their turn, a task is
transferred or delegated, someone is copied in — and are announced here instead, inside the
command's transaction, so a subscriber's writes commit or roll back with the change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.models import HumanTask, ProcessInstance, User


@dataclass(frozen=True)
class TaskEvent:
    #: opened, transferred, delegated, resolved, signer_added, returned, withdrawn, cc, urged, commented
    kind: str
    instance: ProcessInstance
    actor: User | None
    #: The task rows the event is about (a task that opened: its assignee or candidates hear of it).
    tasks: tuple[HumanTask, ...] = ()
    #: Users to tell, when they are not simply the tasks' holders (ids).
    recipients: tuple[int, ...] = ()
    detail: Mapping[str, Any] = field(default_factory=dict)


_SUBSCRIBERS: list[Callable[[TaskEvent], None]] = []


def subscribe(fn: Callable[[TaskEvent], None]) -> Callable[[TaskEvent], None]:
    """Call ``fn`` for every emitted task event, in the emitting command's transaction."""
    _SUBSCRIBERS.append(fn)
    return fn


def emit(kind: str, *, instance: ProcessInstance, actor: User | None, tasks: Iterable[HumanTask] = (),
         recipients: Iterable[int] = (), **detail: Any) -> None:
    event = TaskEvent(kind, instance, actor, tuple(tasks), tuple(recipients), detail)
    for fn in _SUBSCRIBERS:
        fn(event)
