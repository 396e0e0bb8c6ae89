"""转办 (transfer: the task moves for good) and 委派 (delegate: it comes back to the owner)."""

from __future__ import annotations

from flask_babel import gettext as _

from app.errors import Conflict, Forbidden, InvalidInput
from app.extensions import db
from app.models import HumanTask, Role, User
from app.models.base import utcnow
from app.processes import events
from app.processes.runtime import already_handled_message
from app.tasks.actions.common import clean_comment, lock_for_action, record_action, require_open_and_mine
from app.tasks.actions.eligibility import delegate_candidates, transfer_candidates


def _pick(candidates: list[User], user_id: int | None, message: str) -> User:
    chosen = next((u for u in candidates if u.id == user_id), None)
    if chosen is None:
        raise InvalidInput(message, field="user_id")
    return chosen


def transfer(task_id: int, *, actor: User, to_user_id: int | None, comment: str | None = None) -> HumanTask:
    """转办: hand the task to another eligible user for good; the actor leaves the loop.

    Eligible means holding the step's role at its org (see :func:`transfer_candidates`).
    """
    task, instance = lock_for_action(task_id, actor, "transfer")
    require_open_and_mine(task, actor, "transfer")
    role = _(Role(task.role).label) if task.role else ""
    target = _pick(transfer_candidates(task, actor), to_user_id,
                   _("只能转办给同样可以办理本环节的人员（具有「%(role)s」角色）", role=role))
    task.assignee_id = target.id
    task.claimed_at = utcnow()
    record_action(task, instance, actor, "transfer", comment=clean_comment(comment), target=target)
    events.emit("transferred", instance=instance, actor=actor, tasks=[task], recipients=[target.id],
                comment=clean_comment(comment))
    return task


def delegate(task_id: int, *, actor: User, to_user_id: int | None, comment: str | None = None) -> HumanTask:
    """委派: lend the task to a colleague, who prepares it (an opinion, a draft) and hands it back.

    The actor stays the owner and alone may complete it; the delegate cannot submit it.
    """
    task, instance = lock_for_action(task_id, actor, "delegate")
    require_open_and_mine(task, actor, "delegate")
    target = _pick(delegate_candidates(task, actor), to_user_id, _("只能委派给本单位的在岗人员"))
    task.owner_id = actor.id
    task.assignee_id = target.id
    task.claimed_at = utcnow()
    record_action(task, instance, actor, "delegate", comment=clean_comment(comment), target=target)
    events.emit("delegated", instance=instance, actor=actor, tasks=[task], recipients=[target.id],
                comment=clean_comment(comment))
    return task


def resolve(task_id: int, *, actor: User, comment: str | None = None) -> HumanTask:
    """委派办结: the delegate hands the task back to its owner, with their opinion."""
    task, instance = lock_for_action(task_id, actor, "delegate")
    if not task.is_open:
        raise Conflict(already_handled_message(task))
    if task.owner_id is None or task.assignee_id != actor.id:
        raise Forbidden(_("只有受委派人可以交还该任务"))
    text = clean_comment(comment)
    if text is None:
        raise InvalidInput(_("请填写处理意见，交还后委派人会看到"), field="comment")
    owner = db.session.get(User, task.owner_id)
    task.assignee_id, task.owner_id = task.owner_id, None
    task.claimed_at = utcnow()
    record_action(task, instance, actor, "resolve", comment=text, target=owner)
    events.emit("resolved", instance=instance, actor=actor, tasks=[task], recipients=[owner.id] if owner else [],
                comment=text)
    return task


def reclaim(task_id: int, *, actor: User) -> HumanTask:
    """收回委派: the owner takes a delegated task back before the delegate has handed it back."""
    task, instance = lock_for_action(task_id, actor, "delegate")
    if not task.is_open:
        raise Conflict(already_handled_message(task))
    if task.owner_id != actor.id:
        raise Forbidden(_("只有委派人可以收回委派"))
    delegate_user = db.session.get(User, task.assignee_id) if task.assignee_id else None
    task.assignee_id, task.owner_id = actor.id, None
    record_action(task, instance, actor, "reclaim", target=delegate_user)
    return task
