"""Inbox queries and claiming. The inbox reads human-task rows only, never workflow state."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from app import audit
from app.access import is_candidate, task_candidate_clause
from app.errors import Conflict, Forbidden, NotFound
from app.extensions import db
from app.models import HumanTask, ProcessDefinition, ProcessInstance, TaskStatus, User
from app.models.base import utcnow
from app.pagination import Page, paginate


def _inbox_where(user: User, process_key: str | None, q: str | None) -> list[Any]:
    where: list[Any] = [HumanTask.status == TaskStatus.OPEN, task_candidate_clause(user)]
    if process_key or q:
        instance_filter = select(ProcessInstance.id)
        if process_key:
            instance_filter = instance_filter.where(ProcessInstance.process_key == process_key)
        if q:
            instance_filter = instance_filter.where(ProcessInstance.title.contains(q, autoescape=True)
                                                    | (ProcessInstance.business_key == q))
        where.append(HumanTask.instance_id.in_(instance_filter))
    return where


def inbox(user: User, *, page: int = 1, per_page: int = 30, process_key: str | None = None,
          q: str | None = None) -> Page:
    """待办: open tasks assigned to the user or waiting for one of their roles, due first."""
    where = _inbox_where(user, process_key, q)
    stmt = (select(HumanTask).where(*where)
            .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at.desc(), HumanTask.id))
    return paginate(stmt, select(func.count(HumanTask.id)).where(*where), page, per_page)


def inbox_count(user: User) -> int:
    return db.session.scalar(select(func.count(HumanTask.id)).where(*_inbox_where(user, None, None))) or 0


def done(user: User, *, page: int = 1, per_page: int = 30) -> Page:
    """已办: tasks the user completed, most recent first."""
    where = [HumanTask.completed_by_id == user.id]
    stmt = select(HumanTask).where(*where).order_by(HumanTask.completed_at.desc(), HumanTask.id.desc())
    return paginate(stmt, select(func.count(HumanTask.id)).where(*where), page, per_page)


def started_by(user: User, *, page: int = 1, per_page: int = 30) -> Page:
    """我发起的: instances the user started, newest first."""
    where = [ProcessInstance.starter_id == user.id]
    stmt = (select(ProcessInstance).where(*where)
            .order_by(ProcessInstance.started_at.desc(), ProcessInstance.id.desc()))
    return paginate(stmt, select(func.count(ProcessInstance.id)).where(*where), page, per_page)


def process_choices() -> list[tuple[str, str]]:
    """(key, name) of every deployed process, for filters."""
    rows = db.session.execute(select(ProcessDefinition.key, func.max(ProcessDefinition.name))
                              .group_by(ProcessDefinition.key).order_by(ProcessDefinition.key))
    return [(key, name) for key, name in rows]


def get_task(task_id: int) -> HumanTask:
    task = db.session.get(HumanTask, task_id)
    if task is None:
        raise NotFound("任务不存在")
    return task


def claim(task_id: int, *, actor: User) -> HumanTask:
    """认领: take an unassigned group task. A concurrent second claim gets a Conflict."""
    task = get_task(task_id)
    if not is_candidate(actor, task):
        raise Forbidden("您不是该任务的候选办理人，不能认领")
    now = utcnow()
    result = db.session.execute(
        update(HumanTask)
        .where(HumanTask.id == task_id, HumanTask.status == TaskStatus.OPEN, HumanTask.assignee_id.is_(None))
        .values(assignee_id=actor.id, claimed_at=now, version=HumanTask.version + 1)
        .execution_options(synchronize_session=False))
    db.session.refresh(task)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        if task.status != TaskStatus.OPEN:
            raise Conflict("该任务已办理或已取消")
        holder = task.assignee.display_name if task.assignee else "他人"
        raise Conflict(f"该任务已被 {holder} 认领")
    audit.record("task.claim", actor=actor, instance=task.instance, task=task)
    return task


def unclaim(task_id: int, *, actor: User) -> HumanTask:
    """取消认领: put a task the user holds back into the group queue."""
    task = get_task(task_id)
    result = db.session.execute(
        update(HumanTask)
        .where(HumanTask.id == task_id, HumanTask.status == TaskStatus.OPEN, HumanTask.assignee_id == actor.id)
        .values(assignee_id=None, claimed_at=None, version=HumanTask.version + 1)
        .execution_options(synchronize_session=False))
    db.session.refresh(task)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("只有当前认领人可以取消认领，且任务必须仍在待办状态")
    audit.record("task.unclaim", actor=actor, instance=task.instance, task=task)
    return task
