"""Where a workflow stands, in BPMN ids: what is done, what is open, what waits, which paths were taken."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.util.task import TaskState

from workflows.runtime import WorkflowRuntime

_REACHED = TaskState.COMPLETED | TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR


@dataclass(frozen=True)
class Progress:
    completed: frozenset[str]
    active: frozenset[str]
    waiting: frozenset[str]
    error: frozenset[str]
    #: (source BPMN id, target BPMN id) for every step the token moved along.
    transitions: frozenset[tuple[str, str]]
    #: How many times each element completed (more than once in a loop such as 退回修改).
    counts: dict[str, int] = field(default_factory=dict)


def _bpmn_id(task: Any) -> str | None:
    return getattr(task.task_spec, "bpmn_id", None)


def _nearest_bpmn_ancestor(task: Any) -> Any | None:
    # Skip the engine's internal specs (start, boundary-event split …) that have no BPMN element.
    parent = task.parent
    while parent is not None and _bpmn_id(parent) is None:
        parent = parent.parent
    return parent


def progress(runtime: WorkflowRuntime) -> Progress:
    """Read the state of every task, subprocesses included, from the loaded workflow."""
    completed: set[str] = set()
    active: set[str] = set()
    waiting: set[str] = set()
    error: set[str] = set()
    transitions: set[tuple[str, str]] = set()
    counts: Counter[str] = Counter()
    for task in runtime.spiff_workflow.get_tasks():
        bpmn_id = _bpmn_id(task)
        if bpmn_id is None or not task.state & _REACHED:
            continue
        if task.state == TaskState.COMPLETED:
            completed.add(bpmn_id)
            counts[bpmn_id] += 1
        elif task.state in (TaskState.READY, TaskState.STARTED):
            active.add(bpmn_id)
        elif task.state == TaskState.WAITING:
            waiting.add(bpmn_id)
        else:
            error.add(bpmn_id)
        parent = _nearest_bpmn_ancestor(task)
        if parent is not None and parent.state == TaskState.COMPLETED:
            transitions.add((_bpmn_id(parent), bpmn_id))
    # An element open now (a step redone after 退回) shows as open, not also as done.
    return Progress(frozenset(completed - active - waiting - error), frozenset(active), frozenset(waiting),
                    frozenset(error), frozenset(transitions), dict(counts))
