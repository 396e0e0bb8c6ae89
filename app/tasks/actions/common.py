"""What every action does first (lock, check) and last (opinion + audit)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit
from app.access import require_can_act, require_instance_visible
from app.errors import Conflict, Forbidden
from app.extensions import db
from app.models import ACTION_LABELS, HumanTask, InstanceStatus, Opinion, ProcessInstance, User
from app.models.base import utcnow
from app.processes.properties import disabled_actions
from app.processes.runtime import already_handled_message, lock_task, touch


def action_label(action: str) -> str:
    return _(ACTION_LABELS.get(action, action))


def lock_for_action(task_id: int, actor: User, action: str) -> tuple[HumanTask, ProcessInstance]:
    """Lock the task's instance, re-read both, and check the instance runs and the step offers ``action``.

    Records the actor may not see answer 404, as everywhere else.
    """
    task, instance = lock_task(task_id)
    require_instance_visible(actor, instance)
    if instance.status != InstanceStatus.RUNNING:
        raise Conflict(_("流程当前状态为「%(status)s」，不能%(action)s", status=_(instance.status.label),
                         action=action_label(action)))
    if action in disabled_actions(task.properties):
        raise Forbidden(_("本环节不提供「%(action)s」操作", action=action_label(action)))
    return task, instance


def lock_instance(instance_id: int, actor: User, action: str) -> ProcessInstance:
    """Lock an instance for an action that is not about one task (抄送, 催办); 404 if not visible."""
    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.id == instance_id)
                                  .with_for_update().execution_options(populate_existing=True)).first()
    require_instance_visible(actor, instance)
    assert instance is not None
    if instance.status != InstanceStatus.RUNNING:
        raise Conflict(_("流程当前状态为「%(status)s」，不能%(action)s", status=_(instance.status.label),
                         action=action_label(action)))
    return instance


def require_open_and_mine(task: HumanTask, actor: User, action: str) -> None:
    """The task is open, the actor may act on it, and it is not lent out to a delegate."""
    if not task.is_open:
        raise Conflict(already_handled_message(task))
    require_can_act(actor, task)
    if task.owner_id is not None:
        raise Conflict(_("该任务已委派给 %(name)s，需其交还后才能%(action)s",
                         name=task.assignee.display_name if task.assignee else "", action=action_label(action)))


def record_action(task: HumanTask | None, instance: ProcessInstance, actor: User, action: str, *,
                  comment: str | None = None, target: User | None = None,
                  detail: dict[str, Any] | None = None) -> Opinion:
    """Write the typed opinion and the audit event of an action, and mark the instance changed."""
    opinion = Opinion(instance_id=instance.id, human_task_id=task.id if task else None,
                      task_name=task.name if task else instance.title, actor_id=actor.id, action=action,
                      comment=comment or None, target_id=target.id if target else None, detail=detail or None,
                      round=max(instance.round, 1), created_at=utcnow())
    db.session.add(opinion)
    audit.record(f"task.{action}", actor=actor, instance=instance, task=task,
                 step_name=task.name if task else None, target=target.display_name if target else None,
                 **(detail or {}))
    touch(instance)
    return opinion


def clean_comment(text: str | None) -> str | None:
    return (text or "").strip() or None
