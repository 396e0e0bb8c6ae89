"""抄送 (copy someone in, read-only), 催办 (urge the current holders), comments and attachments."""

from __future__ import annotations

from datetime import timedelta
from typing import BinaryIO
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import joinedload

from app.access import can_act, task_holder_ids
from app.attachments.services import StorageSettings, store_upload
from app.errors import Conflict, Forbidden, InvalidInput
from app.extensions import db
from app.models import (
    Attachment,
    AuditEvent,
    CarbonCopy,
    HumanTask,
    Opinion,
    ProcessInstance,
    TaskStatus,
    User,
)
from app.models.base import utcnow
from app.pagination import Page, paginate
from app.processes import events
from app.processes.properties import disabled_actions
from app.tasks.actions.common import clean_comment, lock_for_action, lock_instance, record_action
from app.tasks.actions.eligibility import cc_candidates

URGE_INTERVAL = timedelta(hours=1)
COMMENT_MAX = 2000


def is_participant(user: User, instance: ProcessInstance, *, rows: list[HumanTask] | None = None) -> bool:
    """Started the instance, or holds, owns or completed one of its tasks (copied-in users do not count).

    ``rows``: the instance's task rows, when the caller has read them already.
    """
    if instance.starter_id == user.id:
        return True
    if rows is not None:
        return any(user.id in (r.assignee_id, r.completed_by_id, r.owner_id) for r in rows)
    return db.session.scalar(select(exists().where(
        HumanTask.instance_id == instance.id,
        or_(HumanTask.assignee_id == user.id, HumanTask.completed_by_id == user.id,
            HumanTask.owner_id == user.id)))) or False


def may_act_in(user: User, instance: ProcessInstance, *, rows: list[HumanTask] | None = None) -> bool:
    """A participant, or a candidate for one of the instance's open tasks."""
    if is_participant(user, instance, rows=rows):
        return True
    if rows is None:
        rows = list(db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                               HumanTask.status == TaskStatus.OPEN)))
    return any(can_act(user, r) for r in rows if r.status == TaskStatus.OPEN)


# -- 抄送 ------------------------------------------------------------------------------------------
def copy_to(instance_id: int, *, actor: User, user_ids: list[int], note: str | None = None,
            task_id: int | None = None) -> list[CarbonCopy]:
    """抄送: let ``user_ids`` read the instance (never act on it) and tell them."""
    instance = lock_instance(instance_id, actor, "cc")
    task = db.session.get(HumanTask, task_id) if task_id else None
    if task is not None and (task.instance_id != instance.id or "cc" in disabled_actions(task.properties)):
        raise Forbidden(_("本环节不提供「%(action)s」操作", action=_("抄送")))
    if not may_act_in(actor, instance):
        raise Forbidden(_("只有流程的发起人和办理人可以抄送"))
    allowed = {u.id: u for u in cc_candidates(instance, actor)}
    chosen = [allowed[i] for i in dict.fromkeys(user_ids) if i in allowed]
    if not chosen or len(chosen) != len(set(user_ids)):
        raise InvalidInput(_("请选择要抄送的人员（已抄送过的人不能重复抄送）"), field="user_ids")
    text = clean_comment(note)
    copies = [CarbonCopy(instance_id=instance.id, user_id=u.id, sent_by_id=actor.id,
                         human_task_id=task.id if task else None, note=text) for u in chosen]
    db.session.add_all(copies)
    record_action(task, instance, actor, "cc", comment=text,
                  detail={"users": [u.display_name for u in chosen]})
    events.emit("cc", instance=instance, actor=actor, tasks=[task] if task else [],
                recipients=[u.id for u in chosen], note=text)
    return copies


def copied_to_me(user: User, *, page: int = 1, per_page: int = 30) -> Page:
    """抄送我的: the instances the user was copied in on, newest first."""
    where = [CarbonCopy.user_id == user.id]
    stmt = (select(CarbonCopy).where(*where)
            .options(joinedload(CarbonCopy.instance).joinedload(ProcessInstance.school),
                     joinedload(CarbonCopy.instance).joinedload(ProcessInstance.definition),
                     joinedload(CarbonCopy.sent_by))
            .order_by(CarbonCopy.created_at.desc(), CarbonCopy.id.desc()))
    return paginate(stmt, select(func.count(CarbonCopy.id)).where(*where), page, per_page)


def mark_copy_read(user: User, instance: ProcessInstance) -> None:
    db.session.execute(update(CarbonCopy).where(CarbonCopy.instance_id == instance.id, CarbonCopy.user_id == user.id,
                                                CarbonCopy.read_at.is_(None)).values(read_at=utcnow()))


# -- 催办 ------------------------------------------------------------------------------------------
def can_urge(user: User, instance: ProcessInstance, *, rows: list[HumanTask] | None = None) -> bool:
    """The initiator, or someone who completed an earlier step (``rows``: the instance's task rows, if read)."""
    if rows is not None:
        return instance.starter_id == user.id or any(r.completed_by_id == user.id for r in rows)
    return instance.starter_id == user.id or (db.session.scalar(select(exists().where(
        HumanTask.instance_id == instance.id, HumanTask.completed_by_id == user.id))) or False)


def urge(instance_id: int, *, actor: User, comment: str | None = None) -> list[HumanTask]:
    """催办: remind the holders of the instance's open tasks. At most once per task per hour per urger;
    a refused urge says when the next one is possible."""
    instance = lock_instance(instance_id, actor, "urge")
    if not can_urge(actor, instance):
        raise Forbidden(_("只有发起人或之前环节的办理人可以催办"))
    live = [r for r in db.session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance.id, HumanTask.status == TaskStatus.OPEN).order_by(HumanTask.id))
        if "urge" not in disabled_actions(r.properties)]
    if not live:
        raise Conflict(_("当前没有可以催办的待办环节"))
    now = utcnow()
    recent = {task_id: at for task_id, at in db.session.execute(
        select(AuditEvent.human_task_id, func.max(AuditEvent.at)).where(
            AuditEvent.instance_id == instance.id, AuditEvent.action == "task.urge", AuditEvent.actor_id == actor.id,
            AuditEvent.at > now - URGE_INTERVAL, AuditEvent.human_task_id.in_([r.id for r in live]))
        .group_by(AuditEvent.human_task_id))}
    targets = [r for r in live if r.id not in recent]
    if not targets:
        last = max(recent.values())
        zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
        raise Conflict(_("您已于 %(when)s 催办过，同一任务每小时只能催办一次，请在 %(next)s 之后再试",
                         when=last.astimezone(zone).strftime("%H:%M"),
                         next=(last + URGE_INTERVAL).astimezone(zone).strftime("%H:%M")))
    text = clean_comment(comment)
    for row in targets:
        recipients = task_holder_ids(row)
        record_action(row, instance, actor, "urge", comment=text, detail={"recipients": len(recipients)})
        events.emit("urged", instance=instance, actor=actor, tasks=[row], recipients=recipients, note=text,
                    bucket=now.strftime("%Y%m%d%H%M"))
    return targets


# -- comments and attachments ------------------------------------------------------------------
def can_discuss(user: User, task: HumanTask) -> bool:
    """Who may comment on or attach files to a task: those who can act on it, and the participants."""
    return can_act(user, task) or task.owner_id == user.id or is_participant(user, task.instance)


def comment(task_id: int, *, actor: User, text: str | None) -> Opinion:
    """评论: add a remark to the task's record without changing its state."""
    task, instance = lock_for_action(task_id, actor, "comment")
    if not can_discuss(actor, task):
        raise Forbidden(_("您只能查看该流程，不能评论"))
    body = clean_comment(text)
    if body is None:
        raise InvalidInput(_("请填写评论内容"), field="text")
    if len(body) > COMMENT_MAX:
        raise InvalidInput(_("评论不能超过 %(n)s 字", n=COMMENT_MAX), field="text")
    opinion = record_action(task, instance, actor, "comment", comment=body)
    db.session.flush()  # the opinion's id tells this comment's notification from earlier ones
    recipients = {r for r in (task.assignee_id, task.owner_id, instance.starter_id) if r and r != actor.id}
    events.emit("commented", instance=instance, actor=actor, tasks=[task], recipients=sorted(recipients),
                note=body[:200], opinion=opinion.id)
    return opinion


def attach(task_id: int, *, actor: User, stream: BinaryIO, filename: str, settings: StorageSettings) -> Attachment:
    """附件: store a file on the task (checked like every upload) and record it in the history."""
    task, instance = lock_for_action(task_id, actor, "attach")
    if not can_discuss(actor, task):
        raise Forbidden(_("您只能查看该流程，不能上传附件"))
    attachment = store_upload(stream, filename, settings=settings, owner_type="task", owner_id=task.id,
                              instance_id=instance.id, school_id=instance.school_id, actor=actor)
    record_action(task, instance, actor, "attach", comment=attachment.filename,
                  detail={"attachment_id": attachment.id})
    return attachment


def task_attachments(instance: ProcessInstance) -> list[Attachment]:
    """Files attached to the instance's tasks (not to its business record), oldest first."""
    task_ids = select(HumanTask.id).where(HumanTask.instance_id == instance.id)
    return list(db.session.scalars(select(Attachment).where(
        Attachment.owner_type == "task", Attachment.owner_id.in_(task_ids), Attachment.deleted.is_(False))
        .order_by(Attachment.uploaded_at, Attachment.id)))
