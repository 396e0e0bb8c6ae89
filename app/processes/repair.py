"""Admin repair tools for one instance: suspend, resume, terminate, rewind to a completed step.

Each command locks the instance row, checks the instance is in a state the repair applies to, does
its work, audits it with the admin's reason, and — when the engine changed — ends with
:func:`~app.processes.runtime.finish_run`, so human-task rows, the business record's status and the
run hooks (timers, notices) follow. Nothing commits here.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import undefer

from app import audit
from app.errors import Conflict, Forbidden, InvalidInput, NotFound, ProcessFailure
from app.extensions import db
from app.models import InstanceStatus, ProcessInstance, Role, User
from app.models.base import utcnow
from app.processes.registry import adapter_for
from app.processes.runtime import finish_run, load_runtime
from workflows import TaskNotReady, WorkflowError
from workflows.repair import RewindTarget, cancel, rewind, rewind_targets

OPEN_STATES = (InstanceStatus.RUNNING, InstanceStatus.SUSPENDED)


def require_admin(actor: User) -> None:
    if not actor.has_role(Role.ADMIN):
        raise Forbidden(_("仅系统管理员可以执行流程维护操作"))


def lock_instance(instance_id: int) -> ProcessInstance:
    """Lock the instance row and re-read it (a concurrent command may have just changed it)."""
    instance = db.session.scalars(
        select(ProcessInstance).where(ProcessInstance.id == instance_id).options(undefer(ProcessInstance.state))
        .with_for_update().execution_options(populate_existing=True)).first()
    if instance is None:
        raise NotFound(_("流程实例不存在"))
    return instance


def _require_status(instance: ProcessInstance, allowed: tuple[InstanceStatus, ...]) -> None:
    if instance.status not in allowed:
        raise Conflict(_("流程当前状态为「%(status)s」，不能执行此操作", status=_(instance.status.label)))


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput(_("请填写操作原因"), field="reason")
    return text


def _switch(instance_id: int, actor: User, reason: str, source: InstanceStatus, target: InstanceStatus,
            action: str) -> ProcessInstance:
    require_admin(actor)
    why = _reason(reason)
    instance = lock_instance(instance_id)
    _require_status(instance, (source,))
    instance.status = target
    instance.updated_at = utcnow()
    audit.record(action, actor=actor, instance=instance, reason=why)
    return instance


def suspend_instance(instance_id: int, *, actor: User, reason: str) -> ProcessInstance:
    """Stop work on a running instance: its open steps stay in place but cannot be completed."""
    return _switch(instance_id, actor, reason, InstanceStatus.RUNNING, InstanceStatus.SUSPENDED, "instance.suspend")


def resume_instance(instance_id: int, *, actor: User, reason: str) -> ProcessInstance:
    """Let work on a suspended instance continue where it stopped."""
    return _switch(instance_id, actor, reason, InstanceStatus.SUSPENDED, InstanceStatus.RUNNING, "instance.resume")


def terminate_instance(instance_id: int, *, actor: User, reason: str) -> ProcessInstance:
    """End a running or suspended instance for good: open steps are cancelled, nothing further runs."""
    require_admin(actor)
    why = _reason(reason)
    instance = lock_instance(instance_id)
    _require_status(instance, OPEN_STATES)
    runtime = load_runtime(instance, actor)
    try:
        cancelled = cancel(runtime)
    except WorkflowError as err:
        raise ProcessFailure(_("流程执行出错，未做任何更改：%(error)s", error=err)) from err
    now = utcnow()
    instance.status = InstanceStatus.TERMINATED
    instance.completed_at = now
    instance.outcome = None
    audit.record("instance.terminate", actor=actor, instance=instance, reason=why, cancelled=cancelled)
    finish_run(instance, runtime, actor, adapter_for(instance.process_key).load_record(instance))
    return instance


def rewind_choices(instance: ProcessInstance) -> list[RewindTarget]:
    """The completed user steps an admin may rewind ``instance`` to (none once it has ended)."""
    if instance.status not in OPEN_STATES:
        return []
    return rewind_targets(load_runtime(instance, None))


def rewind_instance(instance_id: int, *, actor: User, task_id: str, reason: str) -> RewindTarget:
    """Send the instance back to a completed step: later steps are dropped, business data is kept."""
    require_admin(actor)
    why = _reason(reason)
    instance = lock_instance(instance_id)
    _require_status(instance, OPEN_STATES)
    runtime = load_runtime(instance, actor)
    try:
        target = rewind(runtime, task_id)
    except TaskNotReady as err:
        raise InvalidInput(_("请选择一个已完成的环节"), field="task_id") from err
    except WorkflowError as err:
        raise ProcessFailure(_("流程执行出错，未做任何更改：%(error)s", error=err)) from err
    audit.record("instance.rewind", actor=actor, instance=instance, reason=why, step=target.bpmn_id,
                 step_name=target.name)
    finish_run(instance, runtime, actor, adapter_for(instance.process_key).load_record(instance))
    return target
