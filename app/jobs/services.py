"""Scheduling, claiming and running jobs.

Claiming and running are two transactions. :func:`claim` marks a batch of due jobs as running under
this worker's lease and commits at once, so other workers skip them: on PostgreSQL with
``SELECT … FOR UPDATE SKIP LOCKED``, on SQLite with one conditional UPDATE (SQLite has a single
writer). :func:`run_claimed` then runs one job in its own transaction, which commits the job's effect
and its ``done`` status together. If the worker dies in between, nothing of the run is committed and
the lease runs out; the next claim takes the job again. A job whose lease ran out may still be
running somewhere (a stalled worker): the completing UPDATE checks the lease holder, and handlers
guard their effect (a timer fires only while the workflow still waits on it), so a job's effect is
applied once.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm.exc import StaleDataError

from app import audit
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.jobs.registry import RunAgainAt, job_kind
from app.models import Job, JobStatus, User
from app.models.base import utcnow

log = logging.getLogger(__name__)

#: How long a claim lasts before another worker may take the job over.
DEFAULT_LEASE = timedelta(seconds=60)
#: Of each claimed batch, this many slots go to the most recently due jobs, so that a timer falling
#: due now is not stuck behind a backlog of older ones while that backlog drains.
FRESH_SLOTS = 2


def backoff(attempts: int) -> timedelta:
    """Delay before retry ``attempts`` + 1: 30 s, 1 min, 2 min, … capped at one hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def schedule(kind: str, payload: Mapping[str, Any], due_at: datetime, *, dedupe_key: str | None = None,
             ref: str | None = None) -> Job:
    """Add a job (in the caller's transaction), or move the live job with the same ``dedupe_key``.

    A running job with that key is left alone: it is the one being run now.
    """
    spec = job_kind(kind)
    max_attempts = spec.max_attempts if spec else 5
    if dedupe_key is not None:
        job = db.session.scalars(select(Job).where(Job.dedupe_key == dedupe_key)).first()
        if job is not None:
            if job.status != JobStatus.RUNNING:
                job.payload = dict(payload)
                job.due_at = due_at
                job.status = JobStatus.PENDING
                job.ref = ref
                job.updated_at = utcnow()
                job.finished_at = None
            return job
    job = Job(kind=kind, payload=dict(payload), due_at=due_at, dedupe_key=dedupe_key, ref=ref,
              status=JobStatus.PENDING, attempts=0, max_attempts=max_attempts, updated_at=utcnow())
    db.session.add(job)
    return job


def _due_clause(now: datetime) -> Any:
    return or_(and_(Job.status == JobStatus.PENDING, Job.due_at <= now),
               and_(Job.status == JobStatus.RUNNING, Job.lease_until < now))


@dataclass(frozen=True)
class ClaimedJob:
    """What a handler sees of its job: read once, when it was claimed."""

    id: int
    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Claim:
    holder: str
    jobs: list[ClaimedJob]

    @property
    def ids(self) -> list[int]:
        return [job.id for job in self.jobs]


def claim(worker: str, *, limit: int = 20, lease: timedelta = DEFAULT_LEASE) -> Claim:
    """Claim up to ``limit`` due jobs for ``worker`` and commit; return the lease holder and the jobs."""
    now = utcnow()
    holder = f"{worker}/{uuid.uuid4().hex[:8]}"
    # A job whose worker died on its last allowed attempt becomes an incident instead of running again.
    # This UPDATE is also the transaction's first statement, so on SQLite it takes the write lock
    # (waiting for it) before anything is read: a read first could not be upgraded to a write later.
    lost = list(db.session.scalars(update(Job).where(
        Job.status == JobStatus.RUNNING, Job.lease_until < now, Job.attempts >= Job.max_attempts)
        .values(status=JobStatus.FAILED, locked_by=None, lease_until=None, finished_at=now, updated_at=now,
                last_error=_("执行该任务的进程中断，重试次数已用完"))
        .returning(Job.id).execution_options(synchronize_session=False)))
    for job_id in lost:
        audit.record("job.incident", actor=None, job_id=job_id)
    due = _due_clause(now)
    oldest = (select(Job.id).where(due).order_by(Job.due_at, Job.id).limit(max(limit - FRESH_SLOTS, 1))
              .with_for_update(skip_locked=True))
    newest = (select(Job.id).where(due).order_by(Job.due_at.desc(), Job.id.desc()).limit(FRESH_SLOTS)
              .with_for_update(skip_locked=True))
    ids = set(db.session.scalars(oldest)) | set(db.session.scalars(newest))
    claimed: list[ClaimedJob] = []
    if ids:
        # Conditional: on SQLite (no row locks) a job claimed meanwhile by someone else no longer matches.
        rows = db.session.execute(update(Job).where(Job.id.in_(ids), due).values(
            status=JobStatus.RUNNING, locked_by=holder, lease_until=now + lease, attempts=Job.attempts + 1,
            updated_at=now).returning(Job.id, Job.kind, Job.payload, Job.due_at)
            .execution_options(synchronize_session=False))
        claimed = [ClaimedJob(job_id, kind, payload or {})
                   for job_id, kind, payload, _due in sorted(rows, key=lambda r: (r[3], r[0]))]
    db.session.commit()
    return Claim(holder, claimed)


@dataclass(frozen=True)
class RunOutcome:
    job_id: int
    result: str   # done / rescheduled / retry / failed / lost
    error: str | None = None


def _finish(job_id: int, holder: str, **values: Any) -> bool:
    """Update the job if this worker still holds it; False when someone else took it over."""
    result = db.session.execute(update(Job).where(Job.id == job_id, Job.locked_by == holder,
                                                  Job.status == JobStatus.RUNNING)
                                .values(updated_at=utcnow(), **values).execution_options(synchronize_session=False))
    return result.rowcount == 1  # type: ignore[attr-defined]


def _error_text(err: BaseException) -> str:
    if isinstance(err, DomainError):
        return err.message
    return "".join(traceback.format_exception_only(type(err), err)).strip()[:2000]


def run_claimed(job: ClaimedJob | int, holder: str) -> RunOutcome:
    """Run one claimed job in its own transaction and commit once (effect + completion together).

    The job row is not re-read: the completing UPDATE checks this worker still holds the lease, and
    rolls the whole run back if not.
    """
    job_id = job if isinstance(job, int) else job.id
    try:
        if isinstance(job, int):
            row = db.session.scalars(select(Job).where(Job.id == job_id, Job.locked_by == holder,
                                                       Job.status == JobStatus.RUNNING)).first()
            if row is None:
                db.session.rollback()
                return RunOutcome(job_id, "lost")
            job = ClaimedJob(row.id, row.kind, dict(row.payload or {}))
        spec = job_kind(job.kind)
        if spec is None:
            raise LookupError(f"unknown job kind {job.kind!r}")
        if spec.edge:
            db.session.commit()  # nothing written yet; the handler runs its own transactions
        outcome = spec.handler(job)
        now = utcnow()
        if isinstance(outcome, RunAgainAt):
            ok = _finish(job_id, holder, status=JobStatus.PENDING, due_at=outcome.due_at, locked_by=None,
                         lease_until=None, attempts=Job.attempts - 1)
            result = "rescheduled"
        else:
            ok = _finish(job_id, holder, status=JobStatus.DONE, finished_at=now, locked_by=None, lease_until=None,
                         last_error=None)
            result = "done"
        if not ok:
            db.session.rollback()
            return RunOutcome(job_id, "lost")
        db.session.commit()
        return RunOutcome(job_id, result)
    except StaleDataError as err:
        # Someone saved the same workflow meanwhile (SQLite's version check): try again shortly.
        db.session.rollback()
        _record_failure(job_id, holder, err, retry_in=timedelta(seconds=1), counts=False)
        return RunOutcome(job_id, "retry", _error_text(err))
    except Exception as err:  # noqa: BLE001 - a job's failure must never stop the worker
        db.session.rollback()
        log.warning("job %s failed: %s", job_id, err)
        failed = _record_failure(job_id, holder, err)
        return RunOutcome(job_id, "failed" if failed else "retry", _error_text(err))


def _record_failure(job_id: int, holder: str, err: BaseException, *, retry_in: timedelta | None = None,
                    counts: bool = True) -> bool:
    """Schedule a retry with back-off, or make the job an incident; True when it became an incident."""
    job = db.session.get(Job, job_id, populate_existing=True)
    if job is None or job.locked_by != holder or job.status != JobStatus.RUNNING:
        db.session.rollback()
        return False
    now = utcnow()
    text = _error_text(err)
    exhausted = counts and job.attempts >= job.max_attempts
    if exhausted:
        _finish(job_id, holder, status=JobStatus.FAILED, locked_by=None, lease_until=None, finished_at=now,
                last_error=text)
        audit.record("job.incident", actor=None, instance_id=_instance_id(job), job_id=job_id, kind=job.kind,
                     error=text[:500])
    else:
        delay = retry_in if retry_in is not None else backoff(job.attempts)
        _finish(job_id, holder, status=JobStatus.PENDING, locked_by=None, lease_until=None, due_at=now + delay,
                last_error=text, attempts=Job.attempts if counts else Job.attempts - 1)
    db.session.commit()
    return exhausted


def _instance_id(job: Job | ClaimedJob) -> int | None:
    value = (job.payload or {}).get("instance_id")
    return int(value) if isinstance(value, int) else None


def run_due_jobs(worker: str, *, limit: int = 20, lease: timedelta = DEFAULT_LEASE) -> list[RunOutcome]:
    """Claim one batch of due jobs and run them; what a worker does on every poll."""
    claimed = claim(worker, limit=limit, lease=lease)
    return [run_claimed(job, claimed.holder) for job in claimed.jobs]


def retry_incident(job_id: int, *, actor: User) -> Job:
    """An administrator retries a failed job: it runs again as soon as a worker polls."""
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFound(_("后台任务不存在"))
    if job.status != JobStatus.FAILED:
        raise Conflict(_("只有故障状态的后台任务可以重试"))
    job.status = JobStatus.PENDING
    job.attempts = 0
    job.due_at = utcnow()
    job.finished_at = None
    job.updated_at = utcnow()
    audit.record("job.retry", actor=actor, instance_id=_instance_id(job), job_id=job.id, kind=job.kind)
    return job


def status_counts() -> dict[JobStatus, int]:
    rows = db.session.execute(select(Job.status, func.count()).group_by(Job.status))
    return {status: count for status, count in rows}


def incidents(limit: int = 200) -> list[Job]:
    return list(db.session.scalars(select(Job).where(Job.status == JobStatus.FAILED)
                                   .order_by(Job.finished_at.desc(), Job.id.desc()).limit(limit)))


def upcoming(limit: int = 50) -> list[Job]:
    return list(db.session.scalars(select(Job).where(Job.status.in_([JobStatus.PENDING, JobStatus.RUNNING]))
                                   .order_by(Job.due_at, Job.id).limit(limit)))
