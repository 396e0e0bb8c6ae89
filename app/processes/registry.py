"""What each process needs from the application, registered by its feature package.

A :class:`ProcessAdapter` ties a BPMN process key to its business record (loading it for the
task page, keeping its status in step after every engine run) and to the service-task operations
its BPMN calls. A :class:`TaskFormHandler` renders and applies the form of user tasks with a
given ``formKey``. Deployment refuses BPMN files that name an unknown form key or operation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from flask_wtf import FlaskForm

    from app.models import HumanTask, ProcessInstance, User
    from workflows import WorkflowRuntime


@dataclass(frozen=True)
class RunResult:
    """What an engine run left behind, handed to :attr:`ProcessAdapter.after_run` and run hooks."""

    instance: ProcessInstance
    runtime: WorkflowRuntime
    actor: User | None
    record: Any
    open_tasks: list[HumanTask]
    #: Human-task rows this run created and cancelled, and the one it completed (if any).
    created: list[HumanTask] = field(default_factory=list)
    cancelled: list[HumanTask] = field(default_factory=list)
    completed: HumanTask | None = None


@dataclass(frozen=True)
class OperationContext:
    """Passed to service-task operations: the instance being run and who triggered the run."""

    instance: ProcessInstance
    actor: User | None


Operation = Callable[[OperationContext, Mapping[str, Any]], Any]


@dataclass
class ProcessAdapter:
    key: str
    #: Loads the business record shown on task and instance pages (or None).
    load_record: Callable[[ProcessInstance], Any] = lambda instance: None
    #: Template partial that renders the record, given ``record`` and ``instance``.
    record_template: str | None = None
    #: Extra template context for the record partial (e.g. attachments and whether the viewer may edit them).
    record_context: Callable[[ProcessInstance, Any, User], dict[str, Any]] = lambda instance, record, user: {}
    #: Called after every engine run, in the same transaction, to keep the record in step. Gets the
    #: instance, the runtime, the actor, the record (or None) and the instance's open human tasks.
    after_run: Callable[[RunResult], None] = lambda result: None
    #: Service-task operations by name (``spiffworkflow:serviceTaskOperator id``).
    operations: dict[str, Operation] = field(default_factory=dict)


@dataclass(frozen=True)
class Completion:
    """What a submitted task form contributes: workflow data (decisions, ids) and the opinion."""

    data: Mapping[str, Any]
    action: str
    comment: str | None = None


class TaskFormHandler(Protocol):
    template: str
    #: Whether the form has a "save draft" button that stores input without completing the task.
    can_save_draft: bool
    #: Whether building and validating the form needs the business record (a review form does not).
    uses_record: bool

    def build_form(self, task: HumanTask, record: Any, formdata: Any = None) -> FlaskForm: ...

    def validate(self, form: FlaskForm, task: HumanTask, record: Any, *, submitting: bool) -> bool: ...

    def save(self, form: FlaskForm, task: HumanTask, record: Any, actor: User) -> None: ...

    def complete(self, form: FlaskForm, task: HumanTask, record: Any, actor: User) -> Completion: ...


_ADAPTERS: dict[str, ProcessAdapter] = {}
_FORM_HANDLERS: dict[str, TaskFormHandler] = {}
_RUN_HOOKS: list[Callable[[RunResult], None]] = []


def register_run_hook(hook: Callable[[RunResult], None]) -> Callable[[RunResult], None]:
    """Call ``hook`` after every engine run of every process, in the same transaction.

    For cross-cutting work that follows the workflow's state: durable timer jobs, notifications.
    """
    _RUN_HOOKS.append(hook)
    return hook


def run_hooks() -> tuple[Callable[[RunResult], None], ...]:
    return tuple(_RUN_HOOKS)


def register_adapter(adapter: ProcessAdapter) -> ProcessAdapter:
    _ADAPTERS[adapter.key] = adapter
    return adapter


def adapter_for(key: str) -> ProcessAdapter:
    return _ADAPTERS.get(key) or ProcessAdapter(key=key)


def register_form_handler(form_key: str, handler: TaskFormHandler) -> None:
    _FORM_HANDLERS[form_key] = handler


def form_handler(form_key: str | None) -> TaskFormHandler | None:
    return _FORM_HANDLERS.get(form_key or "")


def known_form_keys() -> frozenset[str]:
    return frozenset(_FORM_HANDLERS)


def known_operations() -> frozenset[str]:
    return frozenset(op for adapter in _ADAPTERS.values() for op in adapter.operations)
