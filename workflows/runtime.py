"""A running workflow, wrapped so that callers never touch SpiffWorkflow internals."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent, ThrowingEvent
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.none_task import NoneTask
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from workflows.clock import Now, engine_clock, wall_clock
from workflows.errors import RewindRefused, TaskNotReady, WorkflowError
from workflows.serializer import StateSerializer


@dataclass(frozen=True)
class ReadyTask:
    """A READY user task, as the application sees it."""

    id: str
    bpmn_id: str
    name: str
    lane: str | None
    properties: Mapping[str, str] = field(default_factory=dict)
    #: For a task with the ``assigneeVariable`` property (an instance of a multi-instance task over a
    #: list of user ids): the value of that variable in the task's data, i.e. whose task it is.
    assignee_value: Any = None


@dataclass(frozen=True)
class StepEvent:
    """An engine-run step (script, service, gateway, event) that completed during a run."""

    bpmn_id: str
    name: str
    kind: str


@dataclass(frozen=True)
class WaitingTimer:
    """A timer event the workflow is waiting on, with its due time if already computed."""

    task_id: str
    bpmn_id: str
    name: str
    due_at: datetime | None


@dataclass(frozen=True)
class RewindPlan:
    """What rewinding to an earlier user task would undo.

    ``rolled_back`` holds the ids of the completed user tasks between the target and the open
    tasks (their results stop counting); ``open_tasks`` the ids of the tasks that get cancelled.
    """

    target_id: str
    target_bpmn_id: str
    rolled_back: tuple[str, ...]
    open_tasks: tuple[str, ...]


#: Tasks that may lie between a rewind target and the open tasks: re-running them is harmless,
#: because their only effect is on workflow data, which the rewind restores as well.
_REWINDABLE = (UserTask, ManualTask, ExclusiveGateway, ScriptTask, NoneTask)
_ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def _refusal(spec: Any) -> tuple[str, str] | None:
    """Why a task of this kind may not be passed by a rewind, or None if it may."""
    if isinstance(spec, LoopTask):
        return "multi_instance", "多实例任务"
    if isinstance(spec, UnstructuredJoin):   # parallel and inclusive gateways, both split and join
        return "parallel", "并行或包容网关"
    if isinstance(spec, SubWorkflowTask):
        return "subprocess", "子流程"
    if isinstance(spec, ServiceTask) or type(spec).__name__ in ("SendTask",):
        return "side_effect", "已执行的服务任务"
    if isinstance(spec, CatchingEvent | ThrowingEvent):
        return "event", "事件"
    if type(spec).__name__ == "BusinessRuleTask" or isinstance(spec, _REWINDABLE):
        return None
    return "event", type(spec).__name__


def _task_info(task: Any) -> ReadyTask:
    spec = task.task_spec
    props = dict((getattr(spec, "extensions", None) or {}).get("properties", {}))
    variable = props.get("assigneeVariable")
    return ReadyTask(id=str(task.id), bpmn_id=spec.bpmn_id, name=spec.bpmn_name or spec.bpmn_id,
                     lane=spec.lane, properties=props,
                     assignee_value=task.data.get(variable) if variable else None)


def _wrap(err: SpiffWorkflowException) -> WorkflowError:
    task = getattr(err, "task", None)
    name = None
    if task is not None:
        name = task.task_spec.bpmn_name or task.task_spec.bpmn_id
    line = getattr(err, "line_number", None) or None
    message = str(err.args[0]) if err.args else type(err).__name__
    return WorkflowError(message, task_name=name, line=line)


class WorkflowRuntime:
    """One loaded workflow. Create through :class:`workflows.engine.WorkflowEngine`."""

    def __init__(self, workflow: BpmnWorkflow, serializer: StateSerializer, now: Now | None = None):
        self._wf = workflow
        self._serializer = serializer
        self._now: Now = now or wall_clock
        self.steps: list[StepEvent] = []
        #: Task ids of the timers the workflow waited on when it was loaded, and of those that fired
        #: since: a timer that is in the first set and in neither the second nor :meth:`waiting_timers`
        #: went away unfired (its task completed or was cancelled), so its durable job must be cancelled.
        self.timers_at_load: frozenset[str] = frozenset(t.task_id for t in self.waiting_timers())
        #: Whether a user task was READY when the workflow was loaded (a new workflow: False). The
        #: application keeps a task row for each READY user task, so without one there were no live rows.
        self.had_ready_human_tasks: bool = bool(self._wf.get_tasks(state=TaskState.READY, manual=True))
        self.fired_timers: set[str] = set()

    # -- reading -------------------------------------------------------------------------------
    @property
    def is_completed(self) -> bool:
        return bool(self._wf.is_completed())

    def ready_human_tasks(self) -> list[ReadyTask]:
        """READY user/manual tasks in tree order (subprocesses included)."""
        return [_task_info(t) for t in self._wf.get_tasks(state=TaskState.READY, manual=True)]

    def ready_task(self, task_id: str) -> ReadyTask:
        return _task_info(self._spiff_task(task_id))

    def task_data(self, task_id: str) -> dict[str, Any]:
        """A copy of a task's data (for prefilling forms)."""
        return dict(self._spiff_task(task_id, ready_only=False).data)

    @property
    def data(self) -> dict[str, Any]:
        """The data of the most recently completed task: what a finished process decided."""
        last = self._wf.last_task
        return dict(last.data) if last is not None else dict(self._wf.data)

    def reached_end_events(self) -> list[str]:
        """BPMN ids of end events that completed, in completion order."""
        done = [t for t in self._wf.get_tasks(state=TaskState.COMPLETED)
                if isinstance(t.task_spec, EndEvent)]
        done.sort(key=lambda t: t.last_state_change)
        return [t.task_spec.bpmn_id for t in done]

    def waiting_timers(self) -> list[WaitingTimer]:
        """Timer events the workflow waits on, with the moment each falls due (UTC)."""
        timers = []
        for task in self._wf.get_tasks(state=TaskState.WAITING):
            spec = task.task_spec
            if isinstance(spec, CatchingEvent) and isinstance(spec.event_definition, TimerEventDefinition):
                raw = task._get_internal_data("event_value")
                due = None
                if isinstance(raw, str):
                    try:
                        due = datetime.fromisoformat(raw)
                    except ValueError:
                        due = None
                    if due is not None and due.tzinfo is None:
                        due = due.replace(tzinfo=UTC)
                timers.append(WaitingTimer(str(task.id), spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, due))
        return timers

    # -- acting --------------------------------------------------------------------------------
    def _spiff_task(self, task_id: str, ready_only: bool = True) -> Any:
        try:
            task = self._wf.get_task_from_id(UUID(task_id))
        except (ValueError, TypeError, KeyError):
            task = None
        if task is None:
            raise TaskNotReady(f"任务 {task_id} 不存在")
        if ready_only and (task.state != TaskState.READY or not task.task_spec.manual):
            raise TaskNotReady(f"任务「{task.task_spec.bpmn_name}」当前不可办理（状态 {TaskState.get_name(task.state)}）")
        return task

    def set_initial_data(self, data: Mapping[str, Any]) -> None:
        for task in self._wf.get_tasks(state=TaskState.READY):
            task.data.update(data)

    def complete(self, task_id: str, data: Mapping[str, Any] | None = None) -> None:
        """Complete a READY user task with ``data`` merged into its data, then run the engine."""
        task = self._spiff_task(task_id)
        if data:
            task.data.update(data)
        try:
            with engine_clock(self._now):
                task.run()
        except SpiffWorkflowException as err:
            raise _wrap(err) from err
        self.run()

    def run(self) -> None:
        """Run engine steps until only user tasks or waiting events remain."""
        def did_complete(task: Any) -> None:
            spec = task.task_spec
            if isinstance(spec, ServiceTask | EndEvent) or type(spec).__name__ in ("ScriptTask", "BusinessRuleTask"):
                self.steps.append(StepEvent(spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, type(spec).__name__))
        try:
            with engine_clock(self._now):
                self._wf.do_engine_steps(did_complete_task=did_complete)
        except SpiffWorkflowException as err:
            raise _wrap(err) from err

    def refresh_timers(self) -> list[WaitingTimer]:
        """Fire the timers that are due by the engine's clock and run on; return the ones that fired."""
        before = {t.task_id: t for t in self.waiting_timers()}
        try:
            with engine_clock(self._now):
                self._wf.refresh_timers()
        except SpiffWorkflowException as err:
            raise _wrap(err) from err
        self.run()
        still = {t.task_id for t in self.waiting_timers()}
        fired = [t for task_id, t in before.items() if task_id not in still]
        self.fired_timers.update(t.task_id for t in fired)
        return fired

    def catch_message(self, name: str, payload: Mapping[str, Any] | None = None) -> bool:
        """Deliver the BPMN message ``name`` to the event waiting for it, then run on.

        Returns False (and changes nothing) when no event waits for that message.
        """
        for task in self._wf.get_tasks(state=TaskState.WAITING):
            definition = getattr(task.task_spec, "event_definition", None)
            if isinstance(definition, MessageEventDefinition) and definition.name == name:
                try:
                    with engine_clock(self._now):
                        self._wf.catch(BpmnEvent(definition, payload=dict(payload or {})))
                except SpiffWorkflowException as err:
                    raise _wrap(err) from err
                self.run()
                return True
        return False

    def plan_rewind(self, target_id: str) -> RewindPlan:
        """Check that the flow can safely go back to the completed user task ``target_id``.

        Safe means: the target is a completed, plain user task of the main process, every open
        task lies behind it on a single path, and nothing on those paths is a parallel or
        inclusive gateway, a subprocess, a multi-instance task, an event or a service task (whose
        effects outside the workflow a rewind could not undo). Raises :class:`RewindRefused`.
        """
        try:
            target = self._wf.get_task_from_id(UUID(target_id))
        except (ValueError, TypeError, KeyError, SpiffWorkflowException):
            target = None  # dropped from the tree by an earlier rewind
        if target is None:
            raise RewindRefused("not_found", "该环节在流程中已不存在（可能已被退回或撤回过）")
        name = target.task_spec.bpmn_name or target.task_spec.bpmn_id
        if target.workflow is not self._wf:
            raise RewindRefused("subprocess", "不能退回到子流程中的环节", task_name=name)
        if isinstance(target.task_spec, LoopTask) or not isinstance(target.task_spec, UserTask | ManualTask):
            raise RewindRefused("multi_instance", "只能退回到普通的人工环节", task_name=name)
        if target.state != TaskState.COMPLETED:
            raise RewindRefused("not_completed", "该环节尚未办理完成", task_name=name)
        active = [t for t in self._wf.get_tasks(state=_ACTIVE) if t is not target]
        rolled_back: list[str] = []
        for task in active:
            node = task
            while node is not None and node is not target:
                refusal = _refusal(node.task_spec)
                if refusal is not None:
                    raise RewindRefused(refusal[0], f"流程在此之间经过{refusal[1]}，不能退回",
                                        task_name=node.task_spec.bpmn_name or node.task_spec.bpmn_id)
                if (node is not task and node.state == TaskState.COMPLETED and isinstance(node.task_spec, UserTask | ManualTask)
                        and str(node.id) not in rolled_back):
                    rolled_back.append(str(node.id))
                node = node.parent
            if node is None:
                raise RewindRefused("not_on_path", "当前环节不在该环节之后的同一条路径上，不能退回", task_name=name)
        return RewindPlan(str(target.id), target.task_spec.bpmn_id, tuple(rolled_back),
                          tuple(str(t.id) for t in active))

    def rewind_to(self, target_id: str) -> RewindPlan:
        """Go back to the completed user task ``target_id`` (see :meth:`plan_rewind`) and run.

        Everything after it is dropped from the task tree, its data is restored to what it was
        when the task first became ready, and it becomes READY again with the same id.
        """
        plan = self.plan_rewind(target_id)
        self.reset_to(target_id)
        return plan

    def reset_to(self, task_id: str) -> None:
        """Make the completed task ``task_id`` READY again, dropping everything after it, and run.

        Unchecked: :meth:`rewind_to` (退回) checks first; the admin repair tool decides for itself.
        """
        try:
            with engine_clock(self._now):
                self._wf.reset_from_task_id(UUID(task_id))
        except SpiffWorkflowException as err:
            raise _wrap(err) from err
        self.run()

    def dumps(self) -> str:
        return self._serializer.dumps(self._wf)

    # An escape hatch for tests and repair tools that must inspect the engine directly.
    @property
    def spiff_workflow(self) -> BpmnWorkflow:
        return self._wf


ServiceCallback = Callable[[str, Mapping[str, Any], Mapping[str, Any]], Any]
