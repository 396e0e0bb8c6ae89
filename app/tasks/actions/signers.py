"""加签 (add a signer before me, after me, or alongside me) and 减签 (remove one who has not signed)."""

from __future__ import annotations

from uuid import uuid4

from flask_babel import gettext as _

from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.i18n import N_
from app.models import HumanTask, SignKind, TaskStatus, User
from app.models.base import utcnow
from app.processes import events, signing
from app.processes.registry import adapter_for
from app.processes.runtime import run_step_completion
from app.tasks.actions.common import clean_comment, lock_for_action, record_action, require_open_and_mine
from app.tasks.actions.eligibility import signer_candidates

#: The effect of each kind, shown beside the choice.
KIND_LABELS = {
    SignKind.BEFORE: N_("前加签：先请加签人审批，您的任务暂停，待其通过后再由您办理"),
    SignKind.AFTER: N_("后加签：您通过后，还需加签人审批通过，本环节才算通过"),
    SignKind.PARALLEL: N_("并加签：加签人与您同时审批，都通过本环节才算通过"),
}


def add_signer(task_id: int, *, actor: User, to_user_id: int | None, kind: str | None,
               comment: str | None = None) -> HumanTask:
    """加签: add a signer to the actor's review task; the step advances only when they approve too.

    Any decision other than approve by an added signer is the decision of the actor's row (for 会签,
    a veto). Returns the signer's new row.
    """
    task, instance = lock_for_action(task_id, actor, "add_sign")
    require_open_and_mine(task, actor, "add_sign")
    if task.form_key != "decision":
        raise Forbidden(_("只有审核环节可以加签"))
    if task.parent_id is not None:
        raise Forbidden(_("加签人不能再加签"))
    try:
        sign_kind = SignKind(kind or "")
    except ValueError:
        sign_kind = None
    if sign_kind not in KIND_LABELS:
        raise InvalidInput(_("请选择加签方式"), field="kind")
    target = next((u for u in signer_candidates(task, actor) if u.id == to_user_id), None)
    if target is None:
        raise InvalidInput(_("所选人员不能作为本环节的加签人"), field="user_id")
    now = utcnow()
    if task.assignee_id is None:  # adding a signer to a group task takes it
        task.assignee_id, task.claimed_at = actor.id, now
    if task.step_key is None:
        task.step_key = uuid4().hex
    row = HumanTask(instance_id=task.instance_id, spiff_task_id=task.spiff_task_id, bpmn_id=task.bpmn_id,
                    name=task.name, lane=task.lane, form_key=task.form_key, properties=dict(task.properties or {}),
                    assignee_id=target.id, claimed_at=now, created_at=now, parent_id=task.id, sign_kind=sign_kind,
                    step_key=task.step_key,
                    status=TaskStatus.WAITING if sign_kind == SignKind.AFTER else TaskStatus.OPEN)
    row.set_due(task.due_at)
    db.session.add(row)
    if sign_kind == SignKind.BEFORE:
        task.status = TaskStatus.WAITING
    db.session.flush()
    record_action(task, instance, actor, "add_sign", comment=clean_comment(comment), target=target,
                  detail={"kind": sign_kind.value})
    events.emit("signer_added", instance=instance, actor=actor, tasks=[row], recipients=[target.id],
                sign_kind=sign_kind.value)
    return row


def remove_signer(signer_task_id: int, *, actor: User) -> HumanTask:
    """减签: withdraw an added signer who has not signed yet. May complete the step (the actor had
    approved and only waited for this signer)."""
    row, instance = lock_for_action(signer_task_id, actor, "add_sign")
    parent = db.session.get(HumanTask, row.parent_id) if row.parent_id else None
    if parent is None:
        raise NotFound(_("该任务不是加签任务"))
    if parent.assignee_id != actor.id:
        raise Forbidden(_("只有发起加签的人可以减签"))
    if not row.is_live:
        raise Conflict(_("加签人已经办理，不能减签"))
    now = utcnow()
    row.status, row.completed_at = TaskStatus.CANCELLED, now
    record_action(parent, instance, actor, "remove_sign", target=row.assignee,
                  detail={"kind": row.sign_kind.value if row.sign_kind else None})
    rows = signing.step_rows(parent)
    opened: list[HumanTask] = []
    if (row.sign_kind == SignKind.BEFORE and parent.status == TaskStatus.WAITING
            and not any(r.parent_id == parent.id and r.is_live and r.sign_kind == SignKind.BEFORE for r in rows)):
        parent.status = TaskStatus.OPEN
        opened.append(parent)
    progress = signing.advance(None, rows, signing.rule_of(parent))
    opened.extend(progress.opened)
    if progress.decided:
        variable = (parent.properties or {}).get("decisionVariable", "decision")
        run_step_completion(instance, parent, {variable: progress.decision}, actor,
                            adapter_for(instance.process_key).load_record(instance))
    else:
        events.emit("opened", instance=instance, actor=actor, tasks=opened)
    return row
