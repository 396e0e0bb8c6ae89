"""BPMN timer events as durable jobs.

After every engine run (a run hook), each timer the workflow now waits on has exactly one pending
``bpmn.timer`` job due when the timer is; jobs of timers that went away (their task was completed or
cancelled) are cancelled. The job, when run, locks the instance, checks the workflow still waits on
that timer — the guard that makes a re-run after a crash harmless — lets the engine fire the timers
that are due by the application clock, and finishes the run like any other command.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, undefer

from app import audit
from app.extensions import db
from app.instances.services import DESCRIBERS
from app.jobs.registry import RunAgainAt, register_job_kind
from app.jobs.services import ClaimedJob, schedule
from app.models import InstanceStatus, Job, JobStatus, ProcessInstance
from app.models.base import utcnow
from app.processes.registry import RunResult, adapter_for, register_run_hook
from app.processes.runtime import finish_run, load_runtime

KIND = "bpmn.timer"
TICK = timedelta(microseconds=1)


def instance_ref(instance_id: int) -> str:
    return f"instance:{instance_id}"


def timer_key(instance_id: int, task_id: str) -> str:
    return f"bpmn-timer:{instance_id}:{task_id}"


@register_run_hook
def sync_timer_jobs(result: RunResult) -> None:
    """Keep the instance's timer jobs in step with the timers its workflow waits on."""
    instance = result.instance
    waiting = {} if instance.status != InstanceStatus.RUNNING else {
        t.task_id: t for t in result.runtime.waiting_timers()}
    now = utcnow()
    runtime = result.runtime
    # Jobs exist only for timers the workflow waited on after its last run; when none of those went
    # away unfired (most commands: no timers at all), there is nothing to cancel and no statement to
    # send. A fired timer's job is the one running now, or finds the timer gone and does nothing.
    if runtime.timers_at_load - waiting.keys() - runtime.fired_timers:
        # One UPDATE, no rows loaded.
        stale = [Job.ref == instance_ref(instance.id), Job.kind == KIND, Job.status == JobStatus.PENDING]
        if waiting:
            stale.append(Job.dedupe_key.not_in([timer_key(instance.id, task_id) for task_id in waiting]))
        db.session.execute(update(Job).where(*stale).values(status=JobStatus.CANCELLED, finished_at=now,
                                                            updated_at=now)
                           .execution_options(synchronize_session=False))
    for timer in waiting.values():
        # The engine fires a timer once its moment has *passed* (strictly), so the job is due a tick later.
        due = timer.due_at + TICK if timer.due_at is not None else now
        schedule(KIND, {"instance_id": instance.id, "task_id": timer.task_id, "timer": timer.bpmn_id},
                 due, dedupe_key=timer_key(instance.id, timer.task_id), ref=instance_ref(instance.id))


def lock_instance(instance_id: int) -> ProcessInstance | None:
    """The instance, locked (PostgreSQL) and re-read, with its state."""
    stmt = (select(ProcessInstance).where(ProcessInstance.id == instance_id)
            # The school comes along: finish_run needs it, and a lazy load would be one more round trip.
            .options(undefer(ProcessInstance.state), joinedload(ProcessInstance.school))
            .with_for_update(of=ProcessInstance).execution_options(populate_existing=True))
    return db.session.scalars(stmt).first()


def fire_timer(job: ClaimedJob) -> RunAgainAt | None:
    """Run one timer job: fire the instance's due timers unless the workflow no longer waits on it."""
    instance = lock_instance(int(job.payload["instance_id"]))
    if instance is None or instance.status != InstanceStatus.RUNNING:
        return None
    runtime = load_runtime(instance, None)
    timer = next((t for t in runtime.waiting_timers() if t.task_id == job.payload["task_id"]), None)
    if timer is None:
        return None  # already fired, or its task finished: applying it again would double the effect
    if timer.due_at is not None and timer.due_at >= utcnow():
        return RunAgainAt(timer.due_at + TICK)
    fired = runtime.refresh_timers()
    if not any(t.task_id == timer.task_id for t in fired):
        # Not fired although due by our clock: nothing was applied; look again shortly.
        return RunAgainAt(utcnow() + timedelta(seconds=1))
    for t in fired:
        audit.record("timer.fire", actor=None, instance=instance, step=t.bpmn_id, name=t.name,
                     due_at=t.due_at.isoformat() if t.due_at else None)
    finish_run(instance, runtime, None, adapter_for(instance.process_key).load_record(instance))
    return None


register_job_kind(KIND, fire_timer, max_attempts=5)


def _describe(event: Any) -> str | None:
    if event.action == "timer.fire":
        return _("定时器到期：%(name)s", name=(event.detail or {}).get("name", ""))
    return event.action


DESCRIBERS["timer"] = _describe
