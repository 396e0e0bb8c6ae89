"""Comparing process versions and moving a running workflow onto a newer one.

Built on SpiffWorkflow's own diff tools: :class:`SpecDiff` aligns the task specs of two versions by
BPMN id (and by structure where ids changed) and lists what each aligned spec changed; a
:class:`WorkflowDiff` maps a running workflow's tasks onto the new version. A workflow may move only
when no step it has already completed (or is inside) changed or disappeared — the rule SpiffArena
uses — and no step it is waiting at disappeared; its READY and WAITING steps are then re-predicted
from the new version (``migrate_workflow``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, diff_dependencies, migrate_workflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from workflows.runtime import WorkflowRuntime, _wrap
from workflows.serializer import _spec_registry

SpecPair = tuple[Any, dict[str, Any]]


@dataclass(frozen=True)
class ElementRef:
    bpmn_id: str
    name: str
    kind: str


@dataclass(frozen=True)
class ElementChange:
    element: ElementRef
    #: The spec attributes that differ (``bpmn_name``, ``lane``, ``extensions``, ``outputs`` …).
    attributes: tuple[str, ...]


@dataclass(frozen=True)
class SpecChanges:
    """What a new version adds, removes and changes, in BPMN elements (engine-internal specs left out)."""

    added: tuple[ElementRef, ...] = ()
    removed: tuple[ElementRef, ...] = ()
    changed: tuple[ElementChange, ...] = ()
    #: Subprocess (call activity) specs: name → their changes, or None when the new version lacks them.
    subprocesses: dict[str, SpecChanges | None] = field(default_factory=dict)
    new_subprocesses: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.new_subprocesses
                    or any(c is None or not c.is_empty for c in self.subprocesses.values()))


@dataclass(frozen=True)
class Blocker:
    """Why a workflow cannot move: a step it has done (or is at) changed or is gone."""

    element: ElementRef
    state: str          # "completed", "started", "ready", "waiting"
    reason: str         # "changed", "removed", "subprocess_removed"
    attributes: tuple[str, ...] = ()


class MigrationRefused(Exception):
    def __init__(self, blockers: list[Blocker]):
        super().__init__(f"{len(blockers)} blocking change(s)")
        self.blockers = blockers


def _ref(spec: Any) -> ElementRef | None:
    bpmn_id = getattr(spec, "bpmn_id", None)
    if bpmn_id is None:
        return None
    return ElementRef(bpmn_id, getattr(spec, "bpmn_name", None) or bpmn_id, type(spec).__name__)


def _changes(diff: SpecDiff) -> SpecChanges:
    added = tuple(r for r in (_ref(s) for s in diff.added) if r)
    removed = tuple(r for r in (_ref(s) for s in diff.removed) if r)
    changed = tuple(ElementChange(r, tuple(attrs)) for spec, attrs in diff.changed.items()
                    if (r := _ref(spec)) is not None)
    key = lambda r: r.bpmn_id  # noqa: E731
    return SpecChanges(tuple(sorted(added, key=key)), tuple(sorted(removed, key=key)),
                       tuple(sorted(changed, key=lambda c: c.element.bpmn_id)))


def spec_changes(old: SpecPair, new: SpecPair) -> SpecChanges:
    """Compare two versions of a process (each a ``(spec, subprocess_specs)`` pair)."""
    top = _changes(SpecDiff(_spec_registry, old[0], new[0]))
    deps, new_names = diff_dependencies(_spec_registry, old[1], new[1])
    subs = {name: (_changes(d) if d is not None else None) for name, d in deps.items()}
    return SpecChanges(top.added, top.removed, top.changed, subs, tuple(sorted(new_names)))


_STATE_NAMES = {TaskState.COMPLETED: "completed", TaskState.STARTED: "started", TaskState.READY: "ready",
                TaskState.WAITING: "waiting", TaskState.ERROR: "error"}


def _blockers(workflow_diff: WorkflowDiff, spec_diff: SpecDiff) -> list[Blocker]:
    blockers = []
    done = TaskState.COMPLETED | TaskState.STARTED | TaskState.ERROR
    for task in [*workflow_diff.changed, *workflow_diff.removed]:
        spec = task.task_spec
        ref = _ref(spec) or ElementRef(spec.name, spec.name, type(spec).__name__)
        removed = task in workflow_diff.removed
        if task.state & done or (removed and task.state & (TaskState.READY | TaskState.WAITING)):
            attrs = () if removed else tuple(spec_diff.changed.get(spec, ()))
            blockers.append(Blocker(ref, _STATE_NAMES.get(task.state, "completed"),
                                    "removed" if removed else "changed", attrs))
    unique = {(b.element.bpmn_id, b.reason): b for b in blockers}
    return sorted(unique.values(), key=lambda b: b.element.bpmn_id)


def _diffs(runtime: WorkflowRuntime, new: SpecPair) -> tuple[Any, dict[Any, tuple[WorkflowDiff, SpecDiff] | None]]:
    """Like SpiffWorkflow's ``diff_workflow``, but keeping each SpecDiff for the attribute names."""
    workflow = runtime.spiff_workflow
    top_spec = SpecDiff(_spec_registry, workflow.spec, new[0])
    top = (WorkflowDiff(workflow, top_spec), top_spec)
    subs: dict[Any, tuple[WorkflowDiff, SpecDiff] | None] = {}
    for sp_id, sp in workflow.subprocesses.items():
        if sp.spec.name in new[1]:
            sp_spec = SpecDiff(_spec_registry, sp.spec, new[1][sp.spec.name])
            subs[sp_id] = (WorkflowDiff(sp, sp_spec), sp_spec)
        else:
            subs[sp_id] = None
    return top, subs


def migration_blockers(runtime: WorkflowRuntime, new: SpecPair) -> list[Blocker]:
    """What keeps ``runtime`` from moving to ``new``; empty when the move is safe."""
    workflow = runtime.spiff_workflow
    top, subs = _diffs(runtime, new)
    blockers = _blockers(*top)
    for sp_id, pair in subs.items():
        if pair is None:
            owner = workflow.get_task_from_id(sp_id)
            sub = workflow.subprocesses[sp_id]
            ref = _ref(owner.task_spec) or ElementRef(sub.spec.name, sub.spec.name, "SubWorkflow")
            blockers.append(Blocker(ref, _STATE_NAMES.get(owner.state, "started"), "subprocess_removed"))
        else:
            blockers.extend(_blockers(*pair))
    return blockers


def migrate(runtime: WorkflowRuntime, new: SpecPair, new_spec_ref: str) -> None:
    """Move ``runtime`` onto ``new`` and run it to its next wait state; raise :class:`MigrationRefused`.

    ``new_spec_ref`` is the new definition's content hash: the state saved afterwards refers to it.
    """
    blockers = migration_blockers(runtime, new)
    if blockers:
        raise MigrationRefused(blockers)
    workflow = runtime.spiff_workflow
    top, subs = _diffs(runtime, new)
    try:
        migrate_workflow(top[0], workflow, new[0])
        for sp_id, sp in list(workflow.subprocesses.items()):
            pair = subs.get(sp_id)
            if pair is not None:
                migrate_workflow(pair[0], sp, new[1][sp.spec.name])
        workflow.subprocess_specs = new[1]
        workflow.yx_spec_ref = new_spec_ref
    except SpiffWorkflowException as err:
        raise _wrap(err) from err
    runtime.run()
