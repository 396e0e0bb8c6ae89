"""退回 (send the flow back to an earlier step) and 撤回 (take back one's own completed step).

Both rewind the workflow with the engine facade (``WorkflowRuntime.rewind_to``, SpiffWorkflow's
``reset_from_task_id``): the engine task of the earlier step becomes ready again and everything
after it is dropped. Business data in domain tables is kept — the application stays as last
edited — and the opinion and audit event list what was rolled back, so nothing is silently lost.
Workflow shapes a rewind cannot undo safely (parallel branches, service tasks that already ran,
subprocesses, events) are refused with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import exists, select

from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.i18n import N_
from app.models import AuditEvent, HumanTask, Opinion, ProcessInstance, TaskStatus, User
from app.models.base import utcnow
from app.processes import events
from app.processes.registry import adapter_for
from app.processes.runtime import finish_run, load_runtime
from app.processes.signing import step_rows
from app.tasks.actions.common import (
    clean_comment,
    lock_for_action,
    record_action,
    require_open_and_mine,
)
from workflows import RewindRefused, WorkflowRuntime

REFUSALS = {
    "not_found": N_("该环节在流程中已不存在（之前已被退回或撤回过）"),
    "not_completed": N_("该环节尚未办理完成"),
    "not_on_path": N_("流程中还有其他并行进行的环节，退回会使它们失去依据"),
    "parallel": N_("流程在此之间经过并行分支或汇聚，退回会使各分支状态不一致"),
    "side_effect": N_("流程在此之间已执行了系统操作（如生成项目编号），退回无法撤销它"),
    "subprocess": N_("流程在此之间经过子流程"),
    "multi_instance": N_("只能退回到普通的人工环节"),
    "event": N_("流程在此之间经过定时或消息事件"),
}


def refusal_message(err: RewindRefused) -> str:
    return _(REFUSALS.get(err.reason, REFUSALS["event"]))


@dataclass(frozen=True)
class ReturnTarget:
    """An earlier step the flow may go back to: its last completed row."""

    row: HumanTask
    name: str
    by: str


def _latest_completed(instance_id: int) -> dict[str, HumanTask]:
    """The last completed step row per engine task id (added signers' rows left out)."""
    rows = db.session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.COMPLETED,
        HumanTask.parent_id.is_(None)).order_by(HumanTask.completed_at, HumanTask.id)
        .execution_options(populate_existing=True))
    return {row.spiff_task_id: row for row in rows}


def return_targets(task: HumanTask, runtime: WorkflowRuntime | None = None) -> tuple[list[ReturnTarget], str | None]:
    """The earlier steps ``task``'s instance may go back to, computed from the task history and
    checked against the workflow; with the reason when there is none."""
    targets: list[ReturnTarget] = []
    seen: set[str] = set()
    reason: str | None = None
    for row in reversed(list(_latest_completed(task.instance_id).values())):
        if row.bpmn_id == task.bpmn_id or row.bpmn_id in seen:
            continue
        # The workflow is deserialized only when there is an earlier step to check (not on a first step).
        runtime = runtime or load_runtime(task.instance, None)
        try:
            runtime.plan_rewind(row.spiff_task_id)
        except RewindRefused as err:
            if err.reason != "not_found" and reason is None:
                reason = refusal_message(err)
            continue
        seen.add(row.bpmn_id)
        by = row.completed_by.display_name if row.completed_by else ""
        targets.append(ReturnTarget(row, row.name, by))
    targets.reverse()
    if not targets and reason is None:
        reason = _("没有可以退回的之前环节")
    return targets, reason


def _rolled_back(instance_id: int, spiff_ids: tuple[str, ...]) -> list[dict[str, str | None]]:
    latest = _latest_completed(instance_id)
    rows = sorted((latest[i] for i in spiff_ids if i in latest), key=lambda r: (r.completed_at, r.id))
    return [{"step": r.name, "by": r.completed_by.display_name if r.completed_by else None,
             "decision": r.decision} for r in rows]


def return_to(task_id: int, *, actor: User, target_id: int | None, comment: str | None) -> HumanTask:
    """退回: send the flow back to an earlier step of the same instance; the request continues.

    The earlier step goes to whoever completed it last. The results of the steps in between stop
    counting (they stay in the history) and the open rows of the current step are closed.
    """
    task, instance = lock_for_action(task_id, actor, "return_to")
    require_open_and_mine(task, actor, "return_to")
    text = clean_comment(comment)
    target = db.session.get(HumanTask, target_id) if target_id else None
    if (target is None or target.instance_id != instance.id or target.status != TaskStatus.COMPLETED
            or target.parent_id is not None or target.bpmn_id == task.bpmn_id):
        raise InvalidInput(_("请选择要退回到的环节"), field="target_id")
    if text is None:
        raise InvalidInput(_("退回时必须填写退回原因"), field="comment")
    runtime = load_runtime(instance, actor)
    try:
        plan = runtime.rewind_to(target.spiff_task_id)
    except RewindRefused as err:
        raise Conflict(_("不能退回到「%(step)s」：%(reason)s", step=target.name, reason=refusal_message(err))) from err
    rolled_back = _rolled_back(instance.id, plan.rolled_back)
    now = utcnow()
    task.status, task.completed_at, task.completed_by_id, task.decision = TaskStatus.COMPLETED, now, actor.id, "return_to"
    if task.assignee_id is None:
        task.assignee_id, task.claimed_at = actor.id, now
    record_action(task, instance, actor, "return_to", comment=text, target=target.completed_by,
                  detail={"to_step": target.name, "rolled_back": rolled_back})
    finish_run(instance, runtime, actor, adapter_for(instance.process_key).load_record(instance), completed=task)
    return task


def _untouched(rows: list[HumanTask]) -> bool:
    """Nobody has claimed, delegated, drafted, commented on or completed any of ``rows``.

    Every such action bumps the row's version or writes an audit event or opinion naming it.
    """
    if any(r.version != 1 or not r.is_live for r in rows):
        return False
    ids = [r.id for r in rows]
    # Being urged or copying someone in does not count: the next step's holder has done nothing yet.
    passive = ("task.urge", "task.cc")
    touched = db.session.scalar(select(exists().where(AuditEvent.human_task_id.in_(ids),
                                                      AuditEvent.action.notin_(passive)))) or \
        db.session.scalar(select(exists().where(Opinion.human_task_id.in_(ids), Opinion.action.notin_(("urge", "cc")))))
    return not touched


def instance_rows(instance: ProcessInstance) -> list[HumanTask]:
    """Every task row of the instance, freshly read (a concurrent command may have changed them)."""
    return list(db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)
                                   .execution_options(populate_existing=True)))


def withdrawable(instance: ProcessInstance, actor: User, *,
                 rows: list[HumanTask] | None = None) -> tuple[HumanTask | None, str | None]:
    """The actor's step that 撤回 would take back, or None with the reason it cannot be withdrawn.

    ``rows`` are the instance's task rows when the caller has just read them (:func:`instance_rows`).
    """
    rows = instance_rows(instance) if rows is None else rows
    mine = [r for r in rows if r.status == TaskStatus.COMPLETED and r.completed_by_id == actor.id and r.completed_at]
    if not mine:
        return None, _("您在该流程中没有可撤回的办理")
    done = [r for r in rows if r.status == TaskStatus.COMPLETED and r.completed_at]
    last = max(done, key=lambda r: (r.completed_at, r.id))
    if last.completed_by_id != actor.id:
        return None, _("您办理之后已有其他人办理过，不能撤回")
    if last.decision in ("return_to", "withdraw") or last.sign_kind is not None or len(step_rows(last)) > 1:
        return None, _("该环节由多人会签或加签，或是一次退回，办结后不能撤回")
    live = [r for r in rows if r.is_live]
    if not live:
        return None, _("流程没有进行中的下一环节")
    if not _untouched(live) or any(r.created_at < last.completed_at for r in live):
        names = _("、").join(sorted({r.name for r in live}))
        return None, _("下一环节「%(step)s」已被认领、委派、保存草稿或办理，不能撤回", step=names)
    return last, None


def withdraw(instance_id: int, *, actor: User, comment: str | None = None) -> HumanTask:
    """撤回: take back one's own completed step while the next step is untouched (checked under the lock).

    The step reopens for the actor; the next step's tasks are cancelled and their holders told.
    """
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(_("找不到该记录，或您没有查看权限"))
    candidate, reason = withdrawable(instance, actor)
    if candidate is None:
        raise Forbidden(reason or "")
    task, instance = lock_for_action(candidate.id, actor, "withdraw")
    # Decide again after the lock: the next step may have been handled while we waited for it.
    task, reason = withdrawable(instance, actor)
    if task is None or task.id != candidate.id:
        raise Conflict(reason or _("流程已变化，不能撤回"))
    next_rows = [r for r in db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id))
                 if r.is_live]
    runtime = load_runtime(instance, actor)
    try:
        runtime.rewind_to(task.spiff_task_id)
    except RewindRefused as err:
        raise Conflict(_("不能撤回：%(reason)s", reason=refusal_message(err))) from err
    record_action(task, instance, actor, "withdraw", comment=clean_comment(comment),
                  detail={"cancelled": sorted({r.name for r in next_rows})})
    finish_run(instance, runtime, actor, adapter_for(instance.process_key).load_record(instance),
               prefer_assignee=actor)
    events.emit("withdrawn", instance=instance, actor=actor, tasks=next_rows)
    return task
