"""Durable-timer benchmark (issue 4). Prints figures; asserts nothing.

A backlog of N due BPMN timers (N process instances, each waiting on a timer event that is already
due, each with its ``bpmn.timer`` job) is drained by one worker process, then — on PostgreSQL — by two
worker processes. Every job does the real work: claim, lock the instance, restore the workflow, fire
the timer by the application clock, run to the end event, save, audit, sync tasks, commit.

While the backlog drains, one new timer falls due "now"; its lateness (when its instance completed
minus when the timer was due) shows whether fresh deadlines wait behind the backlog.

Usage: python benchmarks/bench_timers.py [--database-url URL] [--jobs 10000] [--workers 1 2]
The database is emptied. Default: a fresh SQLite file (one worker only, as SQLite runs one).
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Definitions_bench" targetNamespace="x">
  <bpmn:process id="bench_timer" name="bench timer" isExecutable="true">
    <bpmn:startEvent id="StartEvent_bench"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="Timer" name="deadline">
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
      <bpmn:timerEventDefinition id="TD"><bpmn:timeDate xsi:type="bpmn:tFormalExpression">due_at</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="EndEvent_bench" name="fired"><bpmn:incoming>F2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="StartEvent_bench" targetRef="Timer"/>
    <bpmn:sequenceFlow id="F2" sourceRef="Timer" targetRef="EndEvent_bench"/>
  </bpmn:process>
</bpmn:definitions>
"""


def make_app(database_url: str, files: Path, *, reset: bool):
    from flask_migrate import upgrade
    from sqlalchemy import MetaData

    from app import create_app
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "ATTACHMENT_ROOT": str(files), "SECRET_KEY": "bench"})
    if reset:
        with app.app_context():
            meta = MetaData()
            meta.reflect(bind=db.engine)
            meta.drop_all(bind=db.engine)
            upgrade()
            from app.demo import seed_demo
            from app.processes.services import store_definitions
            from workflows import parse_definition

            seed_demo(password_method="pbkdf2:sha256:1")
            store_definitions([parse_definition(BPMN, "bench_timer.bpmn")], actor=None)
            db.session.commit()
    return app


def start_one(app, due: datetime) -> int:
    """Start one instance the normal way (its timer job is scheduled by the run hook)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import OrgUnit, User
    from app.processes.runtime import start_instance

    with app.app_context():
        school = db.session.scalars(select(OrgUnit).where(OrgUnit.code == "YY-S1")).one()
        actor = db.session.scalars(select(User).where(User.username == "s1_admin")).one()
        instance = start_instance("bench_timer", actor=actor, school=school, title="probe",
                                  data={"due_at": due.isoformat()}, key_prefix="BENCH")
        db.session.commit()
        return instance.id


def build_backlog(app, n: int) -> None:
    """N waiting instances whose timers are due, cloned from one started normally, and their jobs."""
    from sqlalchemy import delete, insert, select

    from app.extensions import db
    from app.jobs.timers import KIND, TICK, instance_ref, timer_key
    from app.models import AuditEvent, Job, JobStatus, ProcessInstance

    # Started with a future deadline (a past one would fire at once), then moved into the past.
    future = datetime.now(UTC) + timedelta(hours=1)
    due = datetime.now(UTC) - timedelta(minutes=1)
    template_id = start_one(app, future)
    with app.app_context():
        db.session.execute(delete(Job))
        db.session.execute(delete(AuditEvent))
        template = db.session.get(ProcessInstance, template_id)
        state = template.state.replace(future.isoformat(), due.isoformat())
        assert state != template.state
        template.state = state
        from app.extensions import engine
        from app.processes.runtime import definition_ref

        runtime = engine.load(definition_ref(template.definition_id), state, template.serializer_version)
        [timer] = runtime.waiting_timers()
        base = {c: getattr(template, c) for c in ("definition_id", "process_key", "school_id", "starter_id", "status",
                                                  "serializer_version", "started_at", "updated_at")}
        db.session.execute(delete(ProcessInstance).where(ProcessInstance.id != template_id))
        stamp = int(time.time())
        for offset in range(0, n - 1, 1000):
            rows = [{**base, "business_key": f"B{stamp}-{i}", "title": "bench", "state": state, "round": 0,
                     "version": 1} for i in range(offset, min(offset + 1000, n - 1))]
            db.session.execute(insert(ProcessInstance), rows)
        ids = list(db.session.scalars(select(ProcessInstance.id).where(ProcessInstance.process_key == "bench_timer")))
        now = datetime.now(UTC)
        for offset in range(0, len(ids), 1000):
            db.session.execute(insert(Job), [
                {"kind": KIND, "payload": {"instance_id": i, "task_id": timer.task_id, "timer": timer.bpmn_id},
                 "dedupe_key": timer_key(i, timer.task_id), "ref": instance_ref(i), "due_at": due + TICK,
                 "status": JobStatus.PENDING, "attempts": 0, "max_attempts": 5, "updated_at": now}
                for i in ids[offset:offset + 1000]])
        db.session.commit()
        assert len(ids) == n, (len(ids), n)


def worker_process(database_url: str, files: str, name: str, results) -> None:
    from app.jobs.worker import Worker

    app = make_app(database_url, Path(files), reset=False)
    worker = Worker(app, name=name, batch=20, poll_seconds=0.05)
    idle_since = None
    while True:
        if worker.run_once():
            idle_since = None
            continue
        idle_since = idle_since or time.monotonic()
        if time.monotonic() - idle_since > 2.0:
            break
        time.sleep(0.05)
    results.put((name, worker.processed))


def drain(app, database_url: str, files: Path, workers: int, n: int) -> None:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import InstanceStatus, ProcessInstance

    build_backlog(app, n)
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    start = time.perf_counter()
    procs = [ctx.Process(target=worker_process, args=(database_url, str(files), f"bench-{k}", results))
             for k in range(workers)]
    for p in procs:
        p.start()
    time.sleep(3.0)  # workers are importing and draining; now a fresh timer falls due in a second
    probe_due = datetime.now(UTC) + timedelta(seconds=1)
    probe = start_one(app, probe_due)
    done_at = None
    while any(p.is_alive() for p in procs):
        with app.app_context():
            remaining = db.session.scalar(select(func.count()).select_from(ProcessInstance).where(
                ProcessInstance.process_key == "bench_timer", ProcessInstance.status == InstanceStatus.RUNNING))
            db.session.remove()
        if remaining == 0 and done_at is None:
            done_at = time.perf_counter()
        time.sleep(0.2)
    for p in procs:
        p.join()
    per_worker = dict(results.get() for _ in procs)
    with app.app_context():
        backlog = (ProcessInstance.process_key == "bench_timer", ProcessInstance.id != probe)
        first = db.session.scalar(select(func.min(ProcessInstance.completed_at)).where(*backlog))
        last = db.session.scalar(select(func.max(ProcessInstance.completed_at)).where(*backlog))
        probe_row = db.session.get(ProcessInstance, probe)
        late = (probe_row.completed_at - probe_due).total_seconds() if probe_row.completed_at else float("nan")
        fired = db.session.scalar(select(func.count()).select_from(ProcessInstance).where(
            ProcessInstance.process_key == "bench_timer", ProcessInstance.status == InstanceStatus.COMPLETED))
    span = (last - first).total_seconds()
    total = sum(per_worker.values()) - 1  # the probe is not part of the backlog
    print(f"  {workers} worker(s): {fired} timers fired (backlog {total} + 1 probe; jobs per worker "
          f"{sorted(per_worker.values())})")
    print(f"    drain time {span:7.1f} s   throughput {total / span:7.1f} jobs/s "
          f"(first to last completion; wall incl. start-up {((done_at or time.perf_counter()) - start):.1f} s)")
    print(f"    a timer due now while the backlog drained fired {late:5.2f} s late")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    parser.add_argument("--jobs", type=int, default=10000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
        files = Path(tmp) / "files"
        app = make_app(url, files, reset=True)
        workers = args.workers if url.startswith("postgresql") else [1]
        print(f"durable timers: draining {args.jobs} due timers on {url.split('://')[0]}")
        for count in workers:
            drain(app, url, files, count, args.jobs)


if __name__ == "__main__":
    main()
