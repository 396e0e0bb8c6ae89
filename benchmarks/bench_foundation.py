"""Foundation benchmark (issue 2). Prints figures; asserts nothing.

(a) raw SpiffWorkflow: deserialize + complete a user task + engine steps + serialize, with the
    library's default serializer (spec embedded in the state), on bpmn/project_application.bpmn;
    also the same step through our facade (spec held by reference).
(b) the full complete-task POST through the Flask test client: logged in, CSRF on, form validated,
    instance locked, engine run, human tasks synced, opinion and audit written, committed.
(c) the 待办 page with 20,000 instances and 100,000 human-task rows, p50/p95 for three users.

Usage: python benchmarks/bench_foundation.py [--database-url URL] [--n 300] [--instances 20000]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BPMN = ROOT / "bpmn" / "project_application.bpmn"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"median {statistics.median(ms):7.2f} ms   p95 {pct(ms, 95):7.2f} ms   (n={len(ms)})"


def bench_raw(n: int) -> tuple[list[float], list[float]]:
    from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
    from SpiffWorkflow.util.task import TaskState

    from workflows import DefinitionRef, WorkflowEngine, parse_definition

    class Env(TaskDataEnvironment):
        def call_service(self, context, operation_name, operation_params, **kwargs):
            return json.dumps({"code": "XM0"})

    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(BPMN))
    spec = parser.get_spec("project_application")
    subprocess_specs = parser.get_subprocess_specs("project_application")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    wf = BpmnWorkflow(spec, subprocess_specs, script_engine=PythonScriptEngine(Env()))
    wf.get_tasks(state=TaskState.READY)[0].data.update({"project_id": 1, "school_is_direct": False})
    wf.do_engine_steps()
    wf.get_tasks(state=TaskState.READY, manual=True)[0].run()
    wf.do_engine_steps()
    state = serializer.serialize_json(wf)
    task_id = wf.get_tasks(state=TaskState.READY, manual=True)[0].id
    raw = []
    for _ in range(n):
        start = time.perf_counter()
        w = serializer.deserialize_json(state)
        w.script_engine = PythonScriptEngine(Env())
        task = w.get_task_from_id(task_id)
        task.data.update({"principal_decision": "approve"})
        task.run()
        w.do_engine_steps()
        serializer.serialize_json(w)
        raw.append(time.perf_counter() - start)

    parsed = parse_definition(BPMN.read_bytes(), BPMN.name)
    ref = DefinitionRef(parsed.content_hash, parsed.spec_json)
    engine = WorkflowEngine()
    rt = engine.start(ref, {"project_id": 1, "school_is_direct": False})
    rt.complete(rt.ready_human_tasks()[0].id, {})
    fstate, ftask = rt.dumps(), rt.ready_human_tasks()[0].id
    facade = []
    for _ in range(n):
        start = time.perf_counter()
        r = engine.load(ref, fstate, engine.serializer_version)
        r.complete(ftask, {"principal_decision": "approve"})
        r.dumps()
        facade.append(time.perf_counter() - start)
    return raw, facade


def make_app(database_url: str, files: Path):
    from flask_migrate import upgrade
    from sqlalchemy import MetaData

    from app import create_app
    from app.demo import seed_demo
    from app.extensions import db
    from app.processes.services import deploy_directory

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "ATTACHMENT_ROOT": str(files),
                      "SECRET_KEY": "bench", "SERVER_NAME": "localhost"})
    with app.app_context():
        meta = MetaData()
        meta.reflect(bind=db.engine)
        meta.drop_all(bind=db.engine)
        upgrade()
        seed_demo(password_method="pbkdf2:sha256:1")
        deploy_directory(ROOT / "bpmn")
        db.session.commit()
    return app


def submitted_applications(app, n: int) -> list[int]:
    """n applications of 阳明小学 waiting for the principal; returns their open task ids."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import HumanTask, OrgUnit, TaskStatus, User
    from app.processes.registry import Completion
    from app.processes.runtime import complete_task
    from app.projects.services import create_application

    with app.app_context():
        admin = db.session.scalars(select(User).where(User.username == "s1_admin")).one()
        school = db.session.scalars(select(OrgUnit).where(OrgUnit.code == "YY-S1")).one()
        ids = []
        for i in range(n):
            project = create_application(actor=admin, school_id=school.id)
            project.title = f"基准测试项目 {i}"
            draft = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == project.instance_id,
                                                               HumanTask.status == TaskStatus.OPEN)).one()
            complete_task(draft.id, actor=admin, apply=lambda t, r: Completion({}, "submit", None))
            db.session.commit()
            ids.append(db.session.scalars(select(HumanTask.id).where(
                HumanTask.instance_id == project.instance_id, HumanTask.status == TaskStatus.OPEN)).one())
        return ids


class Client:
    TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

    def __init__(self, app, username: str):
        self.client = app.test_client()
        token = self.TOKEN.search(self.client.get("/login").get_data(as_text=True)).group(1)
        r = self.client.post("/login", data={"username": username, "password": "yanxiu2026", "csrf_token": token})
        assert r.status_code == 302, r.status_code
        page = self.client.get("/account/password").get_data(as_text=True)
        self.token = self.TOKEN.search(page).group(1)


def add_floor_route(app) -> None:
    """A POST that does the least any state change does here: session user, CSRF, one UPDATE,
    commit, redirect. It is the floor under (b) on this machine."""
    from flask import redirect, request
    from flask_login import current_user, login_required
    from sqlalchemy import update

    from app.extensions import db
    from app.models import User

    @app.route("/__bench_floor", methods=["POST"])
    @login_required
    def bench_floor():
        db.session.execute(update(User).where(User.id == current_user.id).values(locale=request.form["x"]))
        db.session.commit()
        return redirect("/tasks")


def bench_floor(app, n: int) -> list[float]:
    client = Client(app, "s1_principal")
    times = []
    for _ in range(n):
        start = time.perf_counter()
        r = client.client.post("/__bench_floor", data={"x": "zh_CN", "csrf_token": client.token})
        times.append(time.perf_counter() - start)
        assert r.status_code == 302
    return times


def bench_post(app, task_ids: list[int]) -> list[float]:
    principal = Client(app, "s1_principal")
    times = []
    for task_id in task_ids:
        start = time.perf_counter()
        r = principal.client.post(f"/tasks/{task_id}", data={"decision": "approve", "comment": "同意",
                                                              "action": "submit", "csrf_token": principal.token})
        times.append(time.perf_counter() - start)
        assert r.status_code == 302, (r.status_code, r.get_data(as_text=True)[:300])
    return times


def fill_inbox_tables(app, instances: int, tasks: int) -> None:
    """Bulk rows shaped like real ones: 5 human tasks per instance, the last one open."""
    from sqlalchemy import insert, select

    from app.extensions import db
    from app.models import HumanTask, OrgUnit, ProcessDefinition, ProcessInstance, Role, User
    from app.models.base import utcnow
    from app.models.task import NO_DUE

    with app.app_context():
        definition = db.session.scalars(select(ProcessDefinition)).first()
        schools = list(db.session.scalars(select(OrgUnit).where(OrgUnit.code.like("YY-S%"))))
        townships = {o.code: o.id for o in db.session.scalars(select(OrgUnit).where(OrgUnit.code.like("YY-T%")))}
        center = db.session.scalars(select(OrgUnit.id).where(OrgUnit.code == "YY-C")).one()
        starter = db.session.scalars(select(User.id).where(User.username == "s1_admin")).one()
        now = utcnow()
        per_instance = tasks // instances
        steps = [("Task_draft", "填写申报书", Role.SCHOOL_ADMIN.value), ("Task_principal", "校长审核签字", Role.PRINCIPAL.value),
                 ("Task_township", "乡镇审核", Role.TOWNSHIP_REVIEWER.value), ("Task_city", "市级审核", Role.CITY_REVIEWER.value)]
        batch = 2000
        for offset in range(0, instances, batch):
            rows = []
            for i in range(offset, min(offset + batch, instances)):
                school = schools[(i // 4) % len(schools)]  # every school gets every kind of open step
                rows.append({"definition_id": definition.id, "process_key": "project_application",
                             "business_key": f"BENCH-{i:06d}", "title": f"批量项目 {i}", "school_id": school.id,
                             "starter_id": starter, "status": "running", "state": "{}",
                             "serializer_version": "bench", "started_at": now - timedelta(minutes=i),
                             "updated_at": now, "version": 1})
            db.session.execute(insert(ProcessInstance), rows)
        db.session.flush()
        instance_rows = db.session.execute(select(ProcessInstance.id, ProcessInstance.school_id)
                                           .where(ProcessInstance.business_key.like("BENCH-%"))).all()
        school_by_id = {s.id: s for s in schools}
        task_rows = []
        for n, (instance_id, school_id) in enumerate(instance_rows):
            school = school_by_id[school_id]
            township = townships.get("YY-T1") if school.code in ("YY-S1", "YY-S2") else townships.get("YY-T2")
            orgs = {Role.SCHOOL_ADMIN.value: school.id, Role.PRINCIPAL.value: school.id,
                    Role.TOWNSHIP_REVIEWER.value: township if not school.is_direct else center,
                    Role.CITY_REVIEWER.value: center}
            for k in range(per_instance):
                # Earlier rounds completed; the last row is open at a step that varies per instance,
                # so every role's queue gets its share (a quarter of the instances each).
                bpmn_id, name, role = steps[(n + k - (per_instance - 1)) % len(steps)]
                is_open = k == per_instance - 1
                created = now - timedelta(minutes=n * per_instance + (per_instance - k))
                task_rows.append({"instance_id": instance_id, "spiff_task_id": f"{instance_id:08d}-{k:04d}",
                                  "bpmn_id": bpmn_id, "name": name, "lane": None, "form_key": "decision",
                                  "properties": {}, "role": role, "org_id": orgs[role],
                                  "assignee_id": None, "status": "open" if is_open else "completed",
                                  "due_at": created + timedelta(days=5) if is_open else None,
                                  "due_sort": created + timedelta(days=5) if is_open else NO_DUE,
                                  "created_at": created, "completed_at": None if is_open else created,
                                  "completed_by_id": None if is_open else starter, "version": 1})
            if len(task_rows) >= 10000:
                db.session.execute(insert(HumanTask), task_rows)
                task_rows = []
        if task_rows:
            db.session.execute(insert(HumanTask), task_rows)
        db.session.commit()
        # Refresh the planner's statistics after a bulk load, as a nightly maintenance job would.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")


def bench_inbox(app, usernames: list[str], rounds: int) -> dict[str, tuple[list[float], int]]:
    results = {}
    for username in usernames:
        c = Client(app, username)
        c.client.get("/tasks")  # warm caches
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            r = c.client.get("/tasks")
            times.append(time.perf_counter() - start)
            assert r.status_code == 200
        count = re.search(r"共 (\d+) 项", r.get_data(as_text=True))
        results[username] = (times, int(count.group(1)) if count else -1)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    parser.add_argument("--n", type=int, default=300, help="samples for (a) and (b)")
    parser.add_argument("--instances", type=int, default=20000)
    parser.add_argument("--tasks", type=int, default=100000)
    parser.add_argument("--rounds", type=int, default=200, help="待办 requests per user for (c)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
        print(f"database: {url.split('@')[-1]}")
        raw, facade = bench_raw(args.n)
        print(f"(a)  raw SpiffWorkflow step (default serializer)   {summary(raw)}")
        print(f"(a') facade step (spec by reference)                {summary(facade)}")

        app = make_app(url, Path(tmp) / "files")
        add_floor_route(app)
        task_ids = submitted_applications(app, args.n + 20)
        bench_post(app, task_ids[:20])  # warm-up: spec cache, SQL compilation caches
        post = bench_post(app, task_ids[20:])
        print(f"(b)  complete-task POST, full stack                 {summary(post)}")
        floor = bench_floor(app, args.n)
        print(f"(b0) floor: login + CSRF + one UPDATE + commit      {summary(floor)}")
        ratio = statistics.median(post) / statistics.median(raw)
        print(f"     ratio b/a (medians) = {ratio:.2f}   [target <= 2.5]   "
              f"b/a' = {statistics.median(post) / statistics.median(facade):.2f}   "
              f"floor/a = {statistics.median(floor) / statistics.median(raw):.2f}")

        start = time.perf_counter()
        fill_inbox_tables(app, args.instances, args.tasks)
        print(f"(c)  filled {args.instances} instances / {args.tasks} human tasks in "
              f"{time.perf_counter() - start:.1f} s")
        for username, (times, count) in bench_inbox(app, ["s1_principal", "town1", "city"], args.rounds).items():
            ms = [t * 1000 for t in times]
            print(f"     待办 as {username:<13} ({count:>5} open tasks)  p50 {statistics.median(ms):6.2f} ms   "
                  f"p95 {pct(ms, 95):6.2f} ms   [target p95 <= 30 ms on SQLite]")


if __name__ == "__main__":
    main()
