"""What an instance page shows: the record, open steps, the opinion history and the timeline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.access import is_copied, oversees
from app.extensions import db
from app.models import ACTION_LABELS, AuditEvent, HumanTask, Opinion, ProcessInstance, TaskStatus, User
from app.processes.registry import adapter_for

#: Feature packages describe their own audit actions here: action prefix -> fn(event) -> text or None.
DESCRIBERS: dict[str, Callable[[AuditEvent], str | None]] = {}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    text: str


#: Timeline texts for audit actions of feature packages: action → fn(detail) -> text (or None to hide).
_DESCRIBERS: dict[str, Callable[[dict[str, Any]], str | None]] = {}


def register_describer(action: str, describe: Callable[[dict[str, Any]], str | None]) -> None:
    """Let a feature package word its own audit events in the instance timeline."""
    _DESCRIBERS[action] = describe


def _action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return _(label) if label else action


def _describe(event: AuditEvent) -> str | None:
    d = event.detail or {}
    if event.action in _DESCRIBERS:
        return _DESCRIBERS[event.action](d)
    match event.action:
        case "instance.start":
            return _("发起流程（%(key)s，流程版本 v%(version)s）", key=d.get("business_key", ""),
                     version=d.get("version", "?"))
        case "task.complete":
            return _("办理「%(step)s」：%(decision)s", step=d.get("step_name") or d.get("step", ""),
                     decision=_action_label(d.get("decision", "")))
        case "task.claim":
            return _("认领任务")
        case "task.unclaim":
            return _("取消认领")
        case "engine.step":
            if d.get("kind") == "EndEvent":
                return _("流程结束：%(name)s", name=d.get("name", ""))
            return _("系统执行：%(name)s", name=d.get("name", ""))
        case "project.save_draft":
            return _("保存申报书草稿")
        case "project.register":
            return _("立项，项目编号 %(code)s", code=d.get("code", ""))
        case "attachment.upload":
            return _("上传附件「%(filename)s」", filename=d.get("filename", ""))
        case "attachment.delete":
            return _("删除附件「%(filename)s」", filename=d.get("filename", ""))
        case "project.create":
            return None  # already told by instance.start
        case "instance.suspend":
            return _("挂起流程，原因：%(reason)s", reason=d.get("reason", ""))
        case "instance.resume":
            return _("恢复流程，原因：%(reason)s", reason=d.get("reason", ""))
        case "instance.terminate":
            return _("终止流程，原因：%(reason)s", reason=d.get("reason", ""))
        case "instance.rewind":
            return _("回退到「%(step)s」，原因：%(reason)s", step=d.get("step_name") or d.get("step", ""),
                     reason=d.get("reason", ""))
        case "instance.migrate":
            return _("流程版本由 v%(old)s 迁移到 v%(new)s", old=d.get("from_version", "?"), new=d.get("to_version", "?"))
    describe = DESCRIBERS.get(event.action.split(".", 1)[0])
    return describe(event) if describe is not None else event.action


def _actor_for_name(relationship):
    """Load a record's actor for their name: their roles load only if something reads them."""
    return selectinload(relationship).lazyload(User.roles)


def timeline(instance: ProcessInstance) -> list[TimelineEntry]:
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance.id)
                                .options(_actor_for_name(AuditEvent.actor))
                                .order_by(AuditEvent.at, AuditEvent.id))
    entries = []
    for event in events:
        text = _describe(event)
        if text:
            entries.append(TimelineEntry(event.at, event.actor.display_name if event.actor else _("系统"), text))
    return entries


def opinions(instance: ProcessInstance) -> list[Opinion]:
    return list(db.session.scalars(select(Opinion).where(Opinion.instance_id == instance.id)
                                   .options(_actor_for_name(Opinion.actor))
                                   .order_by(Opinion.created_at, Opinion.id)))


def open_tasks(instance: ProcessInstance, rows: list[HumanTask] | None = None) -> list[HumanTask]:
    """The rows of the step the instance is at: open ones, and those waiting their turn.

    ``rows``: all of the instance's task rows, when the caller has just read them.
    """
    if rows is not None:
        return sorted((r for r in rows if r.status in (TaskStatus.OPEN, TaskStatus.WAITING)), key=lambda r: r.id)
    return list(db.session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance.id, HumanTask.status.in_((TaskStatus.OPEN, TaskStatus.WAITING)))
        .order_by(HumanTask.id)))


#: ``instance_page_context(record=...)`` default: the caller has not loaded the record.
NOT_LOADED: Any = object()


def instance_page_context(instance: ProcessInstance, user: User, *, rows: list[HumanTask] | None = None,
                          record: Any = NOT_LOADED) -> dict[str, Any]:
    """Everything the instance and task pages render around the form (``rows``: the instance's task
    rows, when the caller has read them for its action panels too; ``record``: the business record,
    when the caller has loaded it for its form)."""
    from app.tasks.actions.participation import task_attachments  # the tasks package imports this module

    adapter = adapter_for(instance.process_key)
    if record is NOT_LOADED:
        record = adapter.load_record(instance)
    return {
        "instance": instance,
        "record": record,
        "record_template": adapter.record_template if record is not None else None,
        "record_context": adapter.record_context(instance, record, user) if record is not None else {},
        "opinions": opinions(instance),
        "timeline": timeline(instance),
        "open_tasks": open_tasks(instance, rows),
        "action_labels": ACTION_LABELS,
        "task_attachments": task_attachments(instance),
        "copied_in": not oversees(user, instance.school) and is_copied(user, instance),  # no query for overseers
    }
