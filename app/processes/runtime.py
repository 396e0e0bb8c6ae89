"""Starting instances and completing tasks: one transaction per command.

Every command here follows the same order: lock the instance, check the task is still open and
the actor may act, apply the form, run the engine, save the state, bring the human-task rows in
step with the READY user tasks, append the opinion and audit events. Nothing commits here; the
edge (request, CLI command, job) commits once, and a concurrent save is caught by the instance's
version column (``StaleDataError``) or, on PostgreSQL, blocked by the row lock until the first
command commits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from app import audit
from app.access import require_can_act
from app.errors import ConfigurationError, Conflict, NotFound, ProcessFailure
from app.extensions import db, engine
from app.models import (
    HumanTask,
    InstanceStatus,
    Opinion,
    OrgUnit,
    ProcessInstance,
    Role,
    RoleAssignment,
    TaskStatus,
    User,
)
from app.models.base import utcnow
from app.processes.registry import Completion, OperationContext, adapter_for
from app.processes.roles import LANE_ROLES
from app.processes.services import latest_definition
from app.sequences import next_value
from workflows import TaskNotReady, WorkflowError, WorkflowRuntime
from workflows.lanes import nearest_org_with_role


def _service_handler(instance: ProcessInstance, actor: User | None) -> Callable[..., Any]:
    adapter = adapter_for(instance.process_key)

    def handle(operation: str, params: Mapping[str, Any], task_data: Mapping[str, Any]) -> Any:
        fn = adapter.operations.get(operation)
        if fn is None:
            raise WorkflowError(f"流程 {instance.process_key} 没有注册服务操作 {operation}")
        return fn(OperationContext(instance, actor), params)

    return handle


def lock_instance(instance_id: int) -> ProcessInstance:
    """Load the instance for update: a row lock on PostgreSQL, fresh values everywhere."""
    stmt = (select(ProcessInstance).where(ProcessInstance.id == instance_id)
            .options(undefer(ProcessInstance.state))
            .with_for_update(of=ProcessInstance)
            .execution_options(populate_existing=True))
    instance = db.session.scalars(stmt).first()
    if instance is None:
        raise NotFound("流程实例不存在")
    return instance


def load_runtime(instance: ProcessInstance, actor: User | None) -> WorkflowRuntime:
    return engine.load(instance.definition.ref(), instance.state, instance.serializer_version,
                       services=_service_handler(instance, actor))


def resolve_candidate_org(school: OrgUnit, role: str) -> int:
    """The nearest org, from the school upwards, where an active user holds ``role``."""
    chain = school.ancestor_ids()
    holders = set(db.session.scalars(
        select(RoleAssignment.org_id).join(User).where(
            RoleAssignment.role == Role(role), RoleAssignment.org_id.in_(chain), User.active.is_(True))))
    org_id = nearest_org_with_role(chain, role, lambda org, _role: org in holders)
    if org_id is None:
        raise ConfigurationError(
            f"找不到「{Role(role).label}」的承办单位：学校「{school.name}」及其上级单位都没有该角色的在岗人员，请联系管理员")
    return org_id


def _previous_assignee(instance: ProcessInstance, bpmn_id: str, role: str, org_id: int) -> User | None:
    """Whoever last completed this step in this instance, if they still hold the role.

    A returned application goes back to the person who drafted it, not to the whole group.
    """
    user_id = db.session.scalar(
        select(HumanTask.completed_by_id).where(
            HumanTask.instance_id == instance.id, HumanTask.bpmn_id == bpmn_id,
            HumanTask.status == TaskStatus.COMPLETED).order_by(HumanTask.completed_at.desc()).limit(1))
    user = db.session.get(User, user_id) if user_id else None
    if user is not None and user.active and user.has_role(Role(role), org_id):
        return user
    return None


def _due_at(properties: Mapping[str, str], now: datetime) -> datetime | None:
    raw = properties.get("dueDays")
    if raw and raw.isdigit():
        return now + timedelta(days=int(raw))
    return None


def sync_human_tasks(instance: ProcessInstance, runtime: WorkflowRuntime, *,
                     prefer_assignee: User | None = None) -> list[HumanTask]:
    """Bring the instance's open human-task rows in step with its READY user tasks.

    Rows whose task is no longer READY are cancelled; READY tasks without a row get one, with the
    lane's role resolved against the instance's school. Returns the rows created.
    """
    now = utcnow()
    ready = runtime.ready_human_tasks()
    ready_ids = {t.id for t in ready}
    open_rows = list(db.session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance.id, HumanTask.status == TaskStatus.OPEN)))
    for row in open_rows:
        if row.spiff_task_id not in ready_ids:
            row.status = TaskStatus.CANCELLED
            row.completed_at = now
    have = {row.spiff_task_id for row in open_rows}
    created = []
    for t in ready:
        if t.id in have:
            continue
        role = LANE_ROLES.role_for(t.lane)
        if role is None:
            raise ConfigurationError(f"任务「{t.name}」所在车道「{t.lane}」不对应任何角色")
        org_id = resolve_candidate_org(instance.school, role)
        assignee = _previous_assignee(instance, t.bpmn_id, role, org_id)
        if assignee is None and prefer_assignee is not None and prefer_assignee.has_role(Role(role), org_id):
            assignee = prefer_assignee
        row = HumanTask(instance_id=instance.id, spiff_task_id=t.id, bpmn_id=t.bpmn_id, name=t.name,
                        lane=t.lane, form_key=t.properties.get("formKey"), properties=dict(t.properties),
                        role=role, org_id=org_id, assignee_id=assignee.id if assignee else None,
                        claimed_at=now if assignee else None, due_at=_due_at(t.properties, now),
                        status=TaskStatus.OPEN, created_at=now)
        db.session.add(row)
        created.append(row)
    db.session.flush()
    return created


def _save_state(instance: ProcessInstance, runtime: WorkflowRuntime) -> None:
    now = utcnow()
    instance.state = runtime.dumps()
    instance.serializer_version = engine.serializer_version
    instance.updated_at = now
    if runtime.is_completed:
        instance.status = InstanceStatus.COMPLETED
        instance.completed_at = now
        ends = runtime.reached_end_events()
        instance.outcome = ends[-1] if ends else None


def _audit_steps(instance: ProcessInstance, runtime: WorkflowRuntime, actor: User | None) -> None:
    for step in runtime.steps:
        audit.record("engine.step", actor=actor, instance=instance, step=step.bpmn_id, name=step.name,
                     kind=step.kind)


def new_business_key(prefix: str) -> str:
    year = utcnow().year
    return f"{prefix}-{year}-{next_value(f'business_key:{prefix}:{year}'):05d}"


def start_instance(process_key: str, *, actor: User, school: OrgUnit, title: str,
                   data: Mapping[str, Any], key_prefix: str) -> ProcessInstance:
    """Start the latest version of ``process_key`` for ``school`` and run it to its first wait state."""
    definition = latest_definition(process_key)
    if definition is None:
        raise ConfigurationError(f"流程 {process_key} 尚未部署，请管理员运行 yanxiu deploy")
    instance = ProcessInstance(definition=definition, process_key=process_key,
                               business_key=new_business_key(key_prefix), title=title, school=school,
                               starter_id=actor.id, status=InstanceStatus.RUNNING, state="",
                               serializer_version=engine.serializer_version)
    db.session.add(instance)
    db.session.flush()
    seed = {**data, "instance_id": instance.id, "school_id": school.id, "school_is_direct": school.is_direct}
    try:
        runtime = engine.start(definition.ref(), seed, services=_service_handler(instance, actor))
    except WorkflowError as err:
        raise ProcessFailure(f"流程启动失败：{err}") from err
    _save_state(instance, runtime)
    audit.record("instance.start", actor=actor, instance=instance, key=process_key,
                 version=definition.version, business_key=instance.business_key)
    _audit_steps(instance, runtime, actor)
    sync_human_tasks(instance, runtime, prefer_assignee=actor)
    adapter_for(process_key).after_run(instance, runtime, actor)
    return instance


def already_handled_message(task: HumanTask) -> str:
    if task.status == TaskStatus.COMPLETED and task.completed_by is not None:
        when = task.completed_at.astimezone().strftime("%Y-%m-%d %H:%M") if task.completed_at else ""
        return f"该任务已由 {task.completed_by.display_name} 于 {when} 处理，无需重复办理"
    return "该任务已不在待办状态（流程已流转或已取消）"


def _round(instance: ProcessInstance, action: str) -> int:
    submits = db.session.scalar(select(func.count(Opinion.id)).where(
        Opinion.instance_id == instance.id, Opinion.action == "submit")) or 0
    return submits + 1 if action == "submit" or submits == 0 else submits


def complete_task(task_id: int, *, actor: User,
                  apply: Callable[[HumanTask, Any], Completion]) -> HumanTask:
    """Complete a human task in one transaction (the caller commits).

    ``apply(task, record)`` writes the form's business data and returns the workflow data and the
    opinion. Raises :class:`Conflict` ("已由 X 处理") when the task is no longer open — including
    when a concurrent command completed it while we waited for the instance lock.
    """
    task = db.session.get(HumanTask, task_id)
    if task is None:
        raise NotFound("任务不存在")
    instance = lock_instance(task.instance_id)
    # Re-read the task after taking the lock: a concurrent completion may have committed meanwhile.
    task = db.session.scalars(select(HumanTask).where(HumanTask.id == task_id)
                              .execution_options(populate_existing=True)).one()
    if task.status != TaskStatus.OPEN:
        raise Conflict(already_handled_message(task))
    require_can_act(actor, task)
    if instance.status != InstanceStatus.RUNNING:
        raise Conflict(f"流程当前状态为「{instance.status.label}」，不能办理")

    adapter = adapter_for(instance.process_key)
    record = adapter.load_record(instance)
    completion = apply(task, record)
    runtime = load_runtime(instance, actor)
    try:
        runtime.complete(task.spiff_task_id, dict(completion.data))
    except TaskNotReady as err:
        raise Conflict("该任务在流程中已不可办理，请刷新页面") from err
    except WorkflowError as err:
        raise ProcessFailure(f"流程执行出错，未做任何更改：{err}") from err

    now = utcnow()
    task.status = TaskStatus.COMPLETED
    task.completed_at = now
    task.completed_by_id = actor.id
    if task.assignee_id is None:
        task.assignee_id = actor.id
        task.claimed_at = now
    db.session.add(Opinion(instance_id=instance.id, human_task_id=task.id, task_name=task.name,
                           actor_id=actor.id, action=completion.action, comment=completion.comment,
                           round=_round(instance, completion.action), created_at=now))
    _save_state(instance, runtime)
    audit.record("task.complete", actor=actor, instance=instance, task=task, step=task.bpmn_id, step_name=task.name,
                 decision=completion.action)
    _audit_steps(instance, runtime, actor)
    sync_human_tasks(instance, runtime)
    adapter.after_run(instance, runtime, actor)
    return task
