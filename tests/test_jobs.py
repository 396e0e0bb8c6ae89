"""Durable jobs: claiming, leases, retries with back-off, incidents, and two workers never running
the same job. These commit for real and run on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import audit
from app.clock import FrozenClock, use_clock
from app.extensions import db
from app.jobs.registry import register_job_kind
from app.jobs.services import backoff, claim, run_claimed, run_due_jobs, schedule
from app.jobs.worker import Worker
from app.models import AuditEvent, Job, JobStatus

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _note(job) -> None:
    if job.payload.get("fail"):
        raise RuntimeError("boom")
    audit.record("test.job", actor=None, job=job.id)


register_job_kind("test.note", _note, max_attempts=3)


def _runs(job_id: int) -> int:
    return sum(1 for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "test.job"))
               if e.detail.get("job") == job_id)


@pytest.fixture
def clock():
    with use_clock(FrozenClock(T0)) as c:
        yield c


def _add(n: int = 1, **payload) -> list[int]:
    jobs = [schedule("test.note", payload, T0) for _ in range(n)]
    db.session.commit()
    return [j.id for j in jobs]


def test_a_due_job_runs_once_and_its_effect_commits_with_it(ctx, clock):
    [job_id] = _add()
    future = schedule("test.note", {}, T0 + timedelta(hours=1))
    db.session.commit()
    outcomes = run_due_jobs("w1")
    assert [(o.job_id, o.result) for o in outcomes] == [(job_id, "done")]
    assert db.session.get(Job, job_id).status == JobStatus.DONE
    assert db.session.get(Job, future.id).status == JobStatus.PENDING  # not due yet
    assert run_due_jobs("w1") == []
    assert _runs(job_id) == 1


def test_scheduling_with_a_dedupe_key_moves_the_live_job_instead_of_adding_one(ctx, clock):
    first = schedule("test.note", {"v": 1}, T0, dedupe_key="k")
    db.session.commit()
    second = schedule("test.note", {"v": 2}, T0 + timedelta(minutes=5), dedupe_key="k")
    db.session.commit()
    assert first.id == second.id and second.payload == {"v": 2}
    assert db.session.scalar(select(func.count()).select_from(Job)) == 1


def test_failures_back_off_then_become_an_incident_an_admin_can_retry(app, world, clock, make_browser):
    with app.app_context():
        [job_id] = _add(fail=True)
        assert run_due_jobs("w1")[0].result == "retry"
        job = db.session.get(Job, job_id)
        assert job.status == JobStatus.PENDING and "boom" in job.last_error
        assert job.due_at == T0 + backoff(1)
        assert run_due_jobs("w1") == []  # backing off
        clock.advance(backoff(1))
        assert run_due_jobs("w1")[0].result == "retry"
        clock.advance(backoff(2))
        assert run_due_jobs("w1")[0].result == "failed"
        job = db.session.get(Job, job_id, populate_existing=True)
        assert job.status == JobStatus.FAILED and job.attempts == 3
        clock.advance(timedelta(days=1))
        assert run_due_jobs("w1") == []  # an incident is not retried by itself

    admin = make_browser("admin")
    page = admin.get("/admin/jobs").get_data(as_text=True)
    assert "test.note" in page and "boom" in page
    assert make_browser("city").get("/admin/jobs").status_code == 403
    assert admin.post(f"/admin/jobs/{job_id}/retry").status_code == 302
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job.status == JobStatus.PENDING and job.attempts == 0
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "job.retry")) == 1
    assert "只有故障状态" in admin.post(f"/admin/jobs/{job_id}/retry", follow_redirects=True).get_data(as_text=True)
    assert admin.post("/admin/jobs/999999/retry").status_code == 404


def test_a_claim_whose_lease_ran_out_is_taken_over_and_the_stale_holder_cannot_finish(ctx, clock):
    [job_id] = _add()
    stale = claim("dead-worker", lease=timedelta(seconds=60))
    stale_holder = stale.holder
    assert stale.ids == [job_id]
    assert claim("w2").ids == []  # leased: nobody else takes it
    clock.advance(timedelta(seconds=61))
    fresh = claim("w2")
    holder = fresh.holder
    assert fresh.ids == [job_id] and holder != stale_holder
    assert run_claimed(job_id, stale_holder).result == "lost"  # the old worker wakes up: refused
    assert run_claimed(job_id, holder).result == "done"
    assert _runs(job_id) == 1
    assert db.session.get(Job, job_id).attempts == 2


def test_a_job_whose_worker_dies_on_every_attempt_becomes_an_incident(ctx, clock):
    [job_id] = _add()
    for _ in range(3):
        assert claim("dying").ids == [job_id]
        clock.advance(timedelta(minutes=2))
    assert claim("w2").ids == []
    job = db.session.get(Job, job_id, populate_existing=True)
    assert job.status == JobStatus.FAILED and "中断" in job.last_error
    assert _runs(job_id) == 0


def test_two_workers_never_run_the_same_job(app, clock):
    with app.app_context():
        ids = _add(120)
        db.session.remove()
    workers = [Worker(app, name=f"w{i}", batch=7, poll_seconds=0.01) for i in (1, 2)]
    start = threading.Barrier(2, timeout=15)

    def drain(worker: Worker) -> None:
        start.wait()
        idle = 0
        while idle < 3:
            idle = idle + 1 if worker.run_once() == 0 else 0

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    with app.app_context():
        runs = Counter(e.detail["job"] for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "test.job")))
        statuses = Counter(db.session.scalars(select(Job.status)))
    assert set(runs) == set(ids) and set(runs.values()) == {1}, "a job ran twice or not at all"
    assert statuses == {JobStatus.DONE: 120}
    assert sum(w.processed for w in workers) == 120
