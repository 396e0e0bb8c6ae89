"""Where notifications come from: engine runs (new tasks, finished instances) and task events.

Both run inside the command's transaction, so a rolled-back command notifies nobody.
"""

from __future__ import annotations

from app.access import task_holder_ids
from app.models import InstanceStatus, TaskStatus
from app.notifications.services import notify
from app.processes.events import TaskEvent, subscribe
from app.processes.registry import RunResult, register_run_hook


@register_run_hook
def notify_after_run(result: RunResult) -> None:
    """Tell the holders of every task this run opened; tell the initiator when the instance ended."""
    actor_id = result.actor.id if result.actor else None
    for row in result.created:
        if row.status != TaskStatus.OPEN:
            continue
        for user_id in task_holder_ids(row):
            if user_id != actor_id:
                notify(user_id, "task_created", instance=result.instance, task=row, actor=result.actor)
    instance = result.instance
    if instance.status == InstanceStatus.COMPLETED and instance.starter_id != actor_id:
        notify(instance.starter_id, "finished", instance=instance, actor=result.actor)


#: Task events whose recipients are the holders of the tasks when the event names nobody else.
_EVENTS = {"opened": "task_created", "transferred": "transferred", "delegated": "delegated",
           "resolved": "resolved", "signer_added": "signer_added", "withdrawn": "withdrawn", "cc": "cc",
           "urged": "urged", "commented": "commented"}


@subscribe
def notify_task_event(event: TaskEvent) -> None:
    kind = _EVENTS.get(event.kind)
    if kind is None:
        return
    actor_id = event.actor.id if event.actor else None
    note = event.detail.get("note") or event.detail.get("comment")
    # Repeatable events carry a discriminator: each urge (per minute) and each comment is news.
    discriminator = {"urged": event.detail.get("bucket"), "commented": str(event.detail.get("opinion") or "")}.get(
        event.kind) or None
    if event.recipients:
        task = event.tasks[0] if event.tasks else None
        for user_id in event.recipients:
            if user_id != actor_id:
                notify(user_id, kind, instance=event.instance, task=task, actor=event.actor, note=note,
                       discriminator=discriminator)
        return
    for task in event.tasks:
        for user_id in task_holder_ids(task):
            if user_id != actor_id:
                notify(user_id, kind, instance=event.instance, task=task, actor=event.actor, note=note,
                       discriminator=discriminator)
