"""What an instance page shows: the record, open steps, the opinion history and the timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import ACTION_LABELS, AuditEvent, HumanTask, Opinion, ProcessInstance, TaskStatus, User
from app.processes.registry import adapter_for


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    text: str


def _describe(event: AuditEvent) -> str | None:
    d = event.detail or {}
    match event.action:
        case "instance.start":
            return f"发起流程（{d.get('business_key', '')}，流程版本 v{d.get('version', '?')}）"
        case "task.complete":
            return f"办理「{d.get('step_name') or d.get('step', '')}」：{ACTION_LABELS.get(d.get('decision', ''), d.get('decision', ''))}"
        case "task.claim":
            return "认领任务"
        case "task.unclaim":
            return "取消认领"
        case "engine.step":
            if d.get("kind") == "EndEvent":
                return f"流程结束：{d.get('name', '')}"
            return f"系统执行：{d.get('name', '')}"
        case "project.save_draft":
            return "保存申报书草稿"
        case "project.register":
            return f"立项，项目编号 {d.get('code', '')}"
        case "attachment.upload":
            return f"上传附件「{d.get('filename', '')}」"
        case "attachment.delete":
            return f"删除附件「{d.get('filename', '')}」"
        case "project.create":
            return None  # already told by instance.start
    return event.action


def timeline(instance: ProcessInstance) -> list[TimelineEntry]:
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance.id)
                                .order_by(AuditEvent.at, AuditEvent.id))
    entries = []
    for event in events:
        text = _describe(event)
        if text:
            entries.append(TimelineEntry(event.at, event.actor.display_name if event.actor else "系统", text))
    return entries


def opinions(instance: ProcessInstance) -> list[Opinion]:
    return list(db.session.scalars(select(Opinion).where(Opinion.instance_id == instance.id)
                                   .order_by(Opinion.created_at, Opinion.id)))


def open_tasks(instance: ProcessInstance) -> list[HumanTask]:
    return list(db.session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance.id, HumanTask.status == TaskStatus.OPEN).order_by(HumanTask.id)))


def instance_page_context(instance: ProcessInstance, user: User) -> dict[str, Any]:
    """Everything the instance and task pages render around the form."""
    adapter = adapter_for(instance.process_key)
    record = adapter.load_record(instance)
    return {
        "instance": instance,
        "record": record,
        "record_template": adapter.record_template if record is not None else None,
        "record_context": adapter.record_context(instance, record, user) if record is not None else {},
        "opinions": opinions(instance),
        "timeline": timeline(instance),
        "open_tasks": open_tasks(instance),
        "action_labels": ACTION_LABELS,
    }
