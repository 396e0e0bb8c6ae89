"""Durable jobs: timers and other background work, stored as rows and run by `yanxiu worker`.

A job is *claimed* by a worker (``locked_by`` and a lease ``lease_until``) in one short transaction,
then *run* in its own transaction that commits the job's effect together with ``status = done``. A
worker that dies mid-run leaves the lease to expire; the next worker re-claims the job. A failing job
is retried with back-off; when its attempts are used up it becomes an incident (``failed``) that an
administrator sees and can retry.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.i18n import N_
from app.models.base import Base, created_at, intpk, utcnow


class JobStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"        # an incident: retries used up
    CANCELLED = "cancelled"  # no longer needed (the timer it stood for went away)

    @property
    def label(self) -> str:
        return JOB_STATUS_LABELS[self]


JOB_STATUS_LABELS = {
    JobStatus.PENDING: N_("待执行"),
    JobStatus.RUNNING: N_("执行中"),
    JobStatus.DONE: N_("已完成"),
    JobStatus.FAILED: N_("故障"),
    JobStatus.CANCELLED: N_("已取消"),
}


class Job(Base):
    __tablename__ = "job"
    __table_args__ = (
        # The claim query: due pending jobs in due order, and running jobs whose lease ran out.
        Index("ix_job_status_due", "status", "due_at"),
        Index("ix_job_status_lease", "status", "lease_until"),
    )

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: One live job per key (e.g. ``bpmn-timer:<instance>:<task>``): scheduling again updates it.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    #: What the job concerns (``instance:42``), so that a record's jobs can be found and cancelled.
    ref: Mapped[str | None] = mapped_column(String(60), index=True)
    due_at: Mapped[datetime]
    status: Mapped[JobStatus] = mapped_column(
        Enum(JobStatus, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=JobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status}>"
