"""Inbox queries and claiming. The inbox reads human-task rows only, never workflow state."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from app import audit
from app.access import is_candidate, task_candidate_ids
from app.errors import Conflict, Forbidden, NotFound
from app.extensions import db
from app.models import HumanTask, Opinion, ProcessDefinition, ProcessInstance, TaskStatus, User
from app.models.base import utcnow
from app.pagination import Page, paginate
from app.tasks.filters import InboxFilter

#: What a task list row shows, loaded with the rows instead of one query per row.
LIST_OPTIONS = (
    joinedload(HumanTask.instance).joinedload(ProcessInstance.definition),
    joinedload(HumanTask.instance).joinedload(ProcessInstance.school),
    joinedload(HumanTask.assignee),
)


QUEUE_ORDER = (HumanTask.due_sort, HumanTask.created_at, HumanTask.id)


def inbox(user: User, *, page: int = 1, per_page: int = 30, process_key: str | None = None,
          q: str | None = None, filters: InboxFilter | None = None) -> Page:
    """待办: open tasks assigned to the user or waiting for one of their roles; soonest due first,
    then oldest first. ``filters`` narrows it (see :class:`app.tasks.filters.InboxFilter`)."""
    page = max(page, 1)
    if filters is None and (process_key or q):
        filters = InboxFilter(process=process_key, q=q)
    if filters is not None and not filters.is_empty:
        where = [HumanTask.id.in_(task_candidate_ids(user)), *filters.conditions(user)]
        stmt = select(HumanTask).where(*where).options(*LIST_OPTIONS).order_by(*QUEUE_ORDER)
        return paginate(stmt, select(func.count(HumanTask.id)).where(*where), page, per_page)
    # Without filters, read each branch of the queue in index order up to the end of the page and
    # merge them here: the cost follows the page, not the number of open tasks.
    end = page * per_page
    keys = []
    for branch in task_candidate_ids(user).selects:
        ordered = branch.with_only_columns(*QUEUE_ORDER).order_by(*QUEUE_ORDER).limit(end)
        keys.extend(tuple(row) for row in db.session.execute(ordered))
    keys.sort()
    ids = [key[-1] for key in keys[end - per_page:end]]
    rows = {t.id: t for t in db.session.scalars(select(HumanTask).where(HumanTask.id.in_(ids))
                                                .options(*LIST_OPTIONS)).unique()} if ids else {}
    return Page([rows[i] for i in ids if i in rows], inbox_count(user), page, per_page)


def inbox_count(user: User) -> int:
    """The number shown beside 待办 in the navigation."""
    return db.session.scalar(select(func.count()).select_from(task_candidate_ids(user).subquery())) or 0


def done(user: User, *, page: int = 1, per_page: int = 30) -> Page:
    """已办: tasks the user completed, most recent first."""
    where = [HumanTask.completed_by_id == user.id]
    stmt = (select(HumanTask).where(*where).options(*LIST_OPTIONS)
            .order_by(HumanTask.completed_at.desc(), HumanTask.id.desc()))
    return paginate(stmt, select(func.count(HumanTask.id)).where(*where), page, per_page)


def started_by(user: User, *, page: int = 1, per_page: int = 30) -> Page:
    """我发起的: instances the user started, newest first."""
    where = [ProcessInstance.starter_id == user.id]
    stmt = (select(ProcessInstance).where(*where)
            .options(joinedload(ProcessInstance.definition), joinedload(ProcessInstance.school))
            .order_by(ProcessInstance.started_at.desc(), ProcessInstance.id.desc()))
    return paginate(stmt, select(func.count(ProcessInstance.id)).where(*where), page, per_page)


def process_choices() -> list[tuple[str, str]]:
    """(key, name) of every deployed process, for filters."""
    rows = db.session.execute(select(ProcessDefinition.key, func.max(ProcessDefinition.name))
                              .group_by(ProcessDefinition.key).order_by(ProcessDefinition.key))
    return [(key, name) for key, name in rows]


def get_task(task_id: int) -> HumanTask:
    """The task with its instance, school and definition (what every task view checks and shows), or NotFound."""
    task = db.session.get(HumanTask, task_id, options=[
        joinedload(HumanTask.instance).joinedload(ProcessInstance.school),
        joinedload(HumanTask.instance).joinedload(ProcessInstance.definition)])
    if task is None:
        raise NotFound(_("任务不存在"))
    return task


def claim(task_id: int, *, actor: User) -> HumanTask:
    """认领: take an unassigned group task. A concurrent second claim gets a Conflict."""
    task = get_task(task_id)
    if not is_candidate(actor, task):
        raise Forbidden(_("您不是该任务的候选办理人，不能认领"))
    now = utcnow()
    result = db.session.execute(
        update(HumanTask)
        .where(HumanTask.id == task_id, HumanTask.status == TaskStatus.OPEN, HumanTask.assignee_id.is_(None))
        .values(assignee_id=actor.id, claimed_at=now, version=HumanTask.version + 1)
        .execution_options(synchronize_session=False))
    db.session.refresh(task)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        if task.status != TaskStatus.OPEN:
            raise Conflict(_("该任务已办理或已取消"))
        holder = task.assignee.display_name if task.assignee else _("他人")
        raise Conflict(_("该任务已被 %(name)s 认领", name=holder))
    audit.record("task.claim", actor=actor, instance=task.instance, task=task)
    _opinion(task, actor, "claim")
    return task


def _opinion(task: HumanTask, actor: User, action: str) -> None:
    db.session.add(Opinion(instance_id=task.instance_id, human_task_id=task.id, task_name=task.name,
                           actor_id=actor.id, action=action, round=max(task.instance.round, 1), created_at=utcnow()))


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
        raise Conflict(_("只有当前认领人可以取消认领，且任务必须仍在待办状态"))
    audit.record("task.unclaim", actor=actor, instance=task.instance, task=task)
    _opinion(task, actor, "unclaim")
    return task
