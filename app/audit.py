"""Appending audit events. Called by services inside the command's transaction."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from app.extensions import db
from app.models import AuditEvent, HumanTask, ProcessInstance, User

#: Set by the edge (request hook, CLI, worker) so services need not know where a command came from.
current_ip: ContextVar[str | None] = ContextVar("current_ip", default=None)


def record(action: str, *, actor: User | None, instance: ProcessInstance | None = None,
           instance_id: int | None = None, task: HumanTask | None = None, school_id: int | None = None,
           **detail: Any) -> AuditEvent:
    """Add an audit event to the session (the caller's transaction commits it)."""
    if instance is not None:
        instance_id = instance.id
        if school_id is None:
            school_id = instance.school_id
    event = AuditEvent(actor_id=actor.id if actor else None, action=action, instance_id=instance_id,
                       human_task_id=task.id if task else None, school_id=school_id,
                       detail=detail, ip=current_ip.get())
    db.session.add(event)
    return event
