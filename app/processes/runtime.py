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
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import uuid4

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import undefer

from app import audit
from app.access import require_can_act
from app.errors import ConfigurationError, Conflict, Forbidden, NotFound, ProcessFailure
from app.extensions import db, engine
from app.models import (
    HumanTask,
    InstanceStatus,
    Opinion,
    OrgUnit,
    ProcessDefinition,
    ProcessInstance,
    Role,
    RoleAssignment,
    SignKind,
    TaskStatus,
    User,
)
from app.models.base import utcnow
from app.processes import events, signing
from app.processes.registry import Completion, OperationContext, RunResult, adapter_for, run_hooks
from app.processes.roles import LANE_ROLES
from app.processes.services import latest_definition
from app.sequences import next_value
from app.workdays import deadline_after_working_days
from workflows import DefinitionRef, ReadyTask, TaskNotReady, WorkflowError, WorkflowRuntime
from workflows.lanes import nearest_org_with_role


def _service_handler(instance: ProcessInstance, actor: User | None) -> Callable[..., Any]:
    adapter = adapter_for(instance.process_key)

    def handle(operation: str, params: Mapping[str, Any], task_data: Mapping[str, Any]) -> Any:
        fn = adapter.operations.get(operation)
        if fn is None:
            raise WorkflowError(_("流程 %(process)s 没有注册服务操作 %(operation)s", process=instance.process_key,
                                   operation=operation))
        return fn(OperationContext(instance, actor), params)

    return handle


def lock_task(task_id: int) -> tuple[HumanTask, ProcessInstance]:
    """Lock the task's instance and re-read both in one statement.

    The re-read matters: a concurrent command may have completed the task while we waited for
    the lock, and what we loaded before waiting is stale.
    """
    stmt = (select(HumanTask, ProcessInstance).join(ProcessInstance, HumanTask.instance_id == ProcessInstance.id)
            .where(HumanTask.id == task_id)
            .options(undefer(ProcessInstance.state))
            # Lock both rows: after waiting, PostgreSQL re-reads only the rows it locks; a joined row
            # that is not locked would come from the snapshot taken before the wait.
            .with_for_update(of=(ProcessInstance, HumanTask))
            .execution_options(populate_existing=True))
    row = db.session.execute(stmt).first()
    if row is None:
        raise NotFound(_("任务不存在"))
    return row[0], row[1]


def touch(instance: ProcessInstance) -> None:
    """Mark the instance changed, so its version column makes concurrent commands conflict.

    Every command on an instance calls this (or saves the engine state), including those that
    change only task rows: on SQLite, the version check is the lock.
    """
    instance.updated_at = utcnow()


# Definitions are immutable once deployed, so their content hash can be remembered per process.
_definition_hashes: dict[int, str] = {}


def definition_ref(definition_id: int) -> DefinitionRef:
    """The engine's handle on a stored definition; its spec text is read only on a cache miss."""
    content_hash = _definition_hashes.get(definition_id)
    if content_hash is None:
        content_hash = db.session.scalar(select(ProcessDefinition.content_hash)
                                         .where(ProcessDefinition.id == definition_id))
        if content_hash is None:
            raise NotFound(_("流程定义不存在"))
        _definition_hashes[definition_id] = content_hash

    def spec_json() -> str:
        return db.session.scalars(select(ProcessDefinition.spec_json)
                                  .where(ProcessDefinition.id == definition_id)).one()

    return DefinitionRef(content_hash, spec_json)


def load_runtime(instance: ProcessInstance, actor: User | None) -> WorkflowRuntime:
    return engine.load(definition_ref(instance.definition_id), instance.state, instance.serializer_version,
                       services=_service_handler(instance, actor))


def resolve_candidate_org(school: OrgUnit, role: str) -> int:
    """The nearest org, from the school upwards, where an active user holds ``role``."""
    chain = school.ancestor_ids()
    holders = set(db.session.scalars(
        select(RoleAssignment.org_id).join(User).where(
            RoleAssignment.role == Role(role), RoleAssignment.org_id.in_(chain), User.active.is_(True))))
    org_id = nearest_org_with_role(chain, role, lambda org, _role: org in holders)
    if org_id is None:
        raise ConfigurationError(_(
            "找不到「%(role)s」的承办单位：学校「%(school)s」及其上级单位都没有该角色的在岗人员，请联系管理员",
            role=_(Role(role).label), school=school.name))
    return org_id


def _previous_assignee(history: list[HumanTask], bpmn_id: str, role: str, org_id: int) -> User | None:
    """Whoever last completed this step in this instance, if they still hold the role.

    A returned application goes back to the person who drafted it, not to the whole group.
    """
    done = [t for t in history if t.bpmn_id == bpmn_id and t.status == TaskStatus.COMPLETED and t.completed_at]
    if not done:
        return None
    user = db.session.get(User, max(done, key=lambda t: t.completed_at).completed_by_id)
    if user is not None and user.active and user.has_role(Role(role), org_id):
        return user
    return None


def _due_at(properties: Mapping[str, str], now: datetime, region_id: int) -> datetime | None:
    """``dueDays`` counts working days in the region's calendar; the deadline is the end of that day."""
    raw = properties.get("dueDays")
    if raw and raw.isdigit():
        return deadline_after_working_days(region_id, now, int(raw))
    return None


@dataclass(frozen=True)
class SyncResult:
    open: list[HumanTask]
    created: list[HumanTask]
    cancelled: list[HumanTask]


def sync_human_tasks(instance: ProcessInstance, runtime: WorkflowRuntime, *,
                     prefer_assignee: User | None = None) -> SyncResult:
    """Bring the instance's human-task rows in step with its READY user tasks.

    Rows whose task is no longer READY are cancelled; READY tasks without a row get one, with the
    lane's role resolved against the instance's school.
    """
    now = utcnow()
    ready = runtime.ready_human_tasks()
    if not ready and not runtime.had_ready_human_tasks:
        # No user task before the run, none after (a timer or a service step): no row can be live.
        return SyncResult([], [], [])
    ready_ids = {t.id for t in ready}
    history = list(db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)))
    open_rows: list[HumanTask] = []
    cancelled: list[HumanTask] = []
    created: list[HumanTask] = []
    region_id = instance.school.ancestor_ids()[-1]
    for row in history:
        if not row.is_live:
            continue
        if row.spiff_task_id in ready_ids:
            open_rows.append(row)
        else:
            row.status = TaskStatus.CANCELLED
            row.completed_at = now
            cancelled.append(row)
    have = {row.spiff_task_id for row in open_rows}
    for t in ready:
        if t.id in have:
            continue
        role = LANE_ROLES.role_for(t.lane)
        if role is None:
            raise ConfigurationError(_("任务「%(task)s」所在车道「%(lane)s」不对应任何角色", task=t.name, lane=t.lane))
        if t.assignee_value is not None:
            # One instance of a multi-instance task per person (专家评分): the row is theirs alone.
            row = _personal_row(instance, t, role, now, _due_at(t.properties, now, region_id))
            open_rows.append(row)
            created.append(row)
            continue
        org_id = resolve_candidate_org(instance.school, role)
        due_at = _due_at(t.properties, now, region_id)
        step_key = uuid4().hex
        rule = signing.rule_of_properties(t.properties)
        members = _sign_members(role, org_id) if rule is not None else []
        if len(members) > 1:
            # 会签 / 或签 / 依次 / 比例: one row per approver; in sequence only the first may act yet.
            for order, member in enumerate(members, 1):
                waiting = rule is not None and rule.kind == "sequential" and order > 1
                row = _new_row(instance, t, role, org_id, member, now, due_at, step_key,
                               status=TaskStatus.WAITING if waiting else TaskStatus.OPEN)
                row.sign_kind, row.sign_order = SignKind.MEMBER, order
                open_rows.append(row)
                created.append(row)
            continue
        assignee = _previous_assignee(history, t.bpmn_id, role, org_id)
        if assignee is None and prefer_assignee is not None and prefer_assignee.has_role(Role(role), org_id):
            assignee = prefer_assignee
        row = _new_row(instance, t, role, org_id, assignee, now, due_at, step_key)
        open_rows.append(row)
        created.append(row)
    return SyncResult(open_rows, created, cancelled)


def _personal_row(instance: ProcessInstance, t: ReadyTask, role: str, now: datetime,
                  due_at: datetime | None) -> HumanTask:
    """The row of a task whose ``assigneeVariable`` names its user: assigned to them, at the org where
    they hold the lane's role (the instance's school when they hold it nowhere, e.g. a guest expert)."""
    user = db.session.get(User, int(t.assignee_value))
    if user is None or not user.active:
        raise ConfigurationError(_("任务「%(task)s」的办理人（用户 %(id)s）不存在或已停用", task=t.name,
                                   id=t.assignee_value))
    org_id = next((r.org_id for r in user.roles if r.role == Role(role)), instance.school_id)
    return _new_row(instance, t, role, org_id, user, now, due_at, uuid4().hex)


def _sign_members(role: str, org_id: int) -> list[User]:
    """The approvers of a step with a node rule: active holders of the role at the org, in a fixed order."""
    return list(db.session.scalars(select(User).join(RoleAssignment).where(
        RoleAssignment.role == Role(role), RoleAssignment.org_id == org_id, User.active.is_(True))
        .order_by(User.id)))


def _new_row(instance: ProcessInstance, t: ReadyTask, role: str, org_id: int, assignee: User | None,
             now: datetime, due_at: datetime | None, step_key: str, *,
             status: TaskStatus = TaskStatus.OPEN) -> HumanTask:
    row = HumanTask(instance_id=instance.id, spiff_task_id=t.id, bpmn_id=t.bpmn_id, name=t.name,
                    lane=t.lane, form_key=t.properties.get("formKey"), properties=dict(t.properties),
                    role=role, org_id=org_id, assignee_id=assignee.id if assignee else None,
                    claimed_at=now if assignee else None, status=status, created_at=now, step_key=step_key)
    row.set_due(due_at)
    db.session.add(row)
    return row


def _save_state(instance: ProcessInstance, runtime: WorkflowRuntime) -> None:
    now = utcnow()
    instance.state = runtime.dumps()
    instance.serializer_version = engine.serializer_version
    instance.updated_at = now
    # A terminated workflow is cancelled, which the engine also counts as completed.
    if runtime.is_completed and instance.status != InstanceStatus.TERMINATED:
        instance.status = InstanceStatus.COMPLETED
        instance.completed_at = now
        ends = runtime.reached_end_events()
        instance.outcome = ends[-1] if ends else None


def _audit_steps(instance: ProcessInstance, runtime: WorkflowRuntime, actor: User | None) -> None:
    for step in runtime.steps:
        audit.record("engine.step", actor=actor, instance=instance, step=step.bpmn_id, name=step.name,
                     kind=step.kind)


def finish_run(instance: ProcessInstance, runtime: WorkflowRuntime, actor: User | None, record: Any, *,
               prefer_assignee: User | None = None, completed: HumanTask | None = None) -> RunResult:
    """Everything that follows an engine run, in the command's transaction.

    Save the state, audit what the engine did, bring the human-task rows in step, let the
    process adapter update its record, then call the registered run hooks. Every command that
    runs the engine (start, complete, timers, repair tools) ends here.
    """
    _save_state(instance, runtime)
    _audit_steps(instance, runtime, actor)
    synced = sync_human_tasks(instance, runtime, prefer_assignee=prefer_assignee)
    result = RunResult(instance, runtime, actor, record, synced.open, synced.created, synced.cancelled, completed)
    adapter_for(instance.process_key).after_run(result)
    for hook in run_hooks():
        hook(result)
    db.session.flush()
    return result


def new_business_key(prefix: str) -> str:
    year = utcnow().year
    return f"{prefix}-{year}-{next_value(f'business_key:{prefix}:{year}'):05d}"


def start_instance(process_key: str, *, actor: User, school: OrgUnit, title: str,
                   data: Mapping[str, Any], key_prefix: str) -> ProcessInstance:
    """Start the latest version of ``process_key`` for ``school`` and run it to its first wait state."""
    definition = latest_definition(process_key)
    if definition is None:
        raise ConfigurationError(_("流程 %(process)s 尚未部署，请管理员运行 yanxiu deploy", process=process_key))
    instance = ProcessInstance(definition_id=definition.id, process_key=process_key,
                               business_key=new_business_key(key_prefix), title=title, school=school,
                               starter_id=actor.id, status=InstanceStatus.RUNNING, state="",
                               serializer_version=engine.serializer_version)
    db.session.add(instance)
    db.session.flush()
    seed = {**data, "instance_id": instance.id, "school_id": school.id, "school_is_direct": school.is_direct}
    try:
        runtime = engine.start(definition_ref(definition.id), seed, services=_service_handler(instance, actor))
    except WorkflowError as err:
        raise ProcessFailure(_("流程启动失败：%(error)s", error=err)) from err
    audit.record("instance.start", actor=actor, instance=instance, key=process_key,
                 version=definition.version, business_key=instance.business_key)
    finish_run(instance, runtime, actor, adapter_for(process_key).load_record(instance), prefer_assignee=actor)
    return instance


def already_handled_message(task: HumanTask) -> str:
    if task.status == TaskStatus.WAITING:
        return _("该任务还没轮到办理：需等前面的审批人或加签人先办理")
    if task.status == TaskStatus.COMPLETED and task.completed_by is not None:
        when = task.completed_at.astimezone().strftime("%Y-%m-%d %H:%M") if task.completed_at else ""
        return _("该任务已由 %(name)s 于 %(when)s 处理，无需重复办理", name=task.completed_by.display_name, when=when)
    return _("该任务已不在待办状态（流程已流转或已取消）")


def complete_task(task_id: int, *, actor: User,
                  apply: Callable[[HumanTask, Any], Completion]) -> HumanTask:
    """Complete a human task in one transaction (the caller commits).

    ``apply(task, record)`` writes the form's business data and returns the workflow data and the
    opinion. Raises :class:`Conflict` ("已由 X 处理") when the task is no longer open — including
    when a concurrent command completed it while we waited for the instance lock.
    """
    task, instance = lock_task(task_id)
    if task.status != TaskStatus.OPEN:
        raise Conflict(already_handled_message(task))
    require_can_act(actor, task)
    if task.owner_id is not None:
        # 委派: the delegate works on it and hands it back; only the owner completes it, afterwards.
        raise Forbidden(_("该任务处于委派中，需由受委派人办理完毕交还后，由委派人 %(name)s 提交",
                          name=task.owner.display_name if task.owner else ""))
    if instance.status != InstanceStatus.RUNNING:
        raise Conflict(_("流程当前状态为「%(status)s」，不能办理", status=_(instance.status.label)))

    adapter = adapter_for(instance.process_key)
    record = adapter.load_record(instance)
    completion = apply(task, record)
    # Audited before the engine runs, so that what the engine does next (立项 …) follows it.
    audit.record("task.complete", actor=actor, instance=instance, task=task, step=task.bpmn_id,
                 step_name=task.name, decision=completion.action)

    now = utcnow()
    task.status = TaskStatus.COMPLETED
    task.completed_at = now
    task.completed_by_id = actor.id
    task.decision = completion.action
    if task.assignee_id is None:
        task.assignee_id = actor.id
        task.claimed_at = now
    if completion.action == "submit":
        instance.round += 1
    db.session.add(Opinion(instance_id=instance.id, human_task_id=task.id, task_name=task.name,
                           actor_id=actor.id, action=completion.action, comment=completion.comment,
                           round=max(instance.round, 1), created_at=now))
    progress = signing.advance(task, signing.step_rows(task), signing.rule_of(task))
    if not progress.decided:
        # Other approvers or added signers still have to sign: the engine task stays READY.
        touch(instance)
        events.emit("opened", instance=instance, actor=actor, tasks=progress.opened)
        db.session.flush()
        return task
    run_step_completion(instance, task, dict(completion.data), actor, record)
    return task


def run_step_completion(instance: ProcessInstance, task: HumanTask, data: Mapping[str, Any],
                        actor: User | None, record: Any) -> RunResult:
    """Complete the engine task behind ``task`` (its step is decided) and finish the run."""
    runtime = load_runtime(instance, actor)
    try:
        runtime.complete(task.spiff_task_id, dict(data))
    except TaskNotReady as err:
        raise Conflict(_("该任务在流程中已不可办理，请刷新页面")) from err
    except WorkflowError as err:
        raise ProcessFailure(_("流程执行出错，未做任何更改：%(error)s", error=err)) from err
    return finish_run(instance, runtime, actor, record, completed=task)
