"""Administrative repairs on a running workflow: cancel it, or rewind it to a step it has completed.

Rewinding uses SpiffWorkflow's ``reset_from_task_id`` (what SpiffArena's "reset to task" does): every
step after the chosen one is dropped and the chosen step is READY again, with the workflow data it
had when it first became ready. Business records live in the application's tables and are not
touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from workflows.errors import TaskNotReady
from workflows.runtime import WorkflowRuntime, _wrap


@dataclass(frozen=True)
class RewindTarget:
    task_id: str
    bpmn_id: str
    name: str
    #: When the step completed (its last state change), UTC.
    completed_at: datetime | None


def rewind_targets(runtime: WorkflowRuntime) -> list[RewindTarget]:
    """Completed user steps the workflow can be rewound to: the latest run of each, oldest first."""
    latest: dict[str, object] = {}
    for task in runtime.spiff_workflow.get_tasks(state=TaskState.COMPLETED):
        if not getattr(task.task_spec, "manual", False) or getattr(task.task_spec, "bpmn_id", None) is None:
            continue
        current = latest.get(task.task_spec.bpmn_id)
        if current is None or task.last_state_change >= current.last_state_change:  # type: ignore[attr-defined]
            latest[task.task_spec.bpmn_id] = task
    targets = [RewindTarget(str(t.id), t.task_spec.bpmn_id, t.task_spec.bpmn_name or t.task_spec.bpmn_id,  # type: ignore[attr-defined]
                            datetime.fromtimestamp(t.last_state_change, UTC))  # type: ignore[attr-defined]
               for t in latest.values()]
    return sorted(targets, key=lambda t: t.completed_at or datetime.min.replace(tzinfo=UTC))


def rewind(runtime: WorkflowRuntime, task_id: str) -> RewindTarget:
    """Make the completed user step ``task_id`` READY again, dropping everything after it."""
    target = next((t for t in rewind_targets(runtime) if t.task_id == task_id), None)
    if target is None:
        raise TaskNotReady(f"步骤 {task_id} 不是可以回退到的已完成环节")
    runtime.reset_to(task_id)
    return target


def cancel(runtime: WorkflowRuntime) -> int:
    """Cancel every unfinished task; return how many were cancelled."""
    try:
        return len(runtime.spiff_workflow.cancel())
    except SpiffWorkflowException as err:
        raise _wrap(err) from err
