"""The hot requests of the load test, one at a time, in process (Flask test client). Prints figures.

Per request kind: median and p95 wall time and SQL statements per request. The kinds are the steps of
benchmarks/load_test.py: a school admin creates an application (new application), opens its 申报书
(task page (form)) and submits it (complete (submit)); the principal opens 待办 (inbox), the first task
(task page (review)) and approves it (complete (approve)).

Usage:
  python benchmarks/bench_requests.py [--n 200] [--backlog 30]              # temporary SQLite
  python benchmarks/bench_requests.py --pg [--database test_perf]          # a fresh PostgreSQL database
  python benchmarks/bench_requests.py --profile "task page (review)"       # cProfile of one kind
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from werkzeug.datastructures import MultiDict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TASK_LINK = re.compile(r'href="/tasks/(\d+)"')
KINDS = ("inbox", "task page (review)", "complete (approve)", "new application", "task page (form)",
         "complete (submit)")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Counter:
    """Counts the SQL statements the engine sends."""

    def __init__(self) -> None:
        self.n = 0
        self.statements: list[str] = []
        self.keep = False

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.n += 1
        if self.keep:
            self.statements.append(statement)


class Client:
    def __init__(self, app, username: str, password: str) -> None:
        self.c = app.test_client()
        self.token = ""
        page = self.c.get("/login").get_data(as_text=True)
        self.token = CSRF.search(page).group(1)
        r = self.c.post("/login", data={"username": username, "password": password, "csrf_token": self.token})
        assert r.status_code == 302, r.status_code

    def get(self, path: str):
        r = self.c.get(path)
        text = r.get_data(as_text=True)
        match = CSRF.search(text)
        if match:
            self.token = match.group(1)
        return r, text

    def post(self, path: str, data):
        data = list(data.items()) if isinstance(data, dict) else list(data)
        r = self.c.post(path, data=MultiDict([*data, ("csrf_token", self.token)]))
        return r, r.get_data(as_text=True)


def application_form(terms: list[int]) -> list[tuple[str, str]]:
    return [("title", "压测：基于课堂观察的青年教师成长研究"), ("domain", "教师发展"),
            ("modules", "教学基本功与技能提升"), ("modules", "课程开发与实施"), ("forms", "同伴互助"),
            ("forms", "专家引领"), ("problem", "青年教师课堂组织能力不足。"), ("goals", "形成课例 10 篇。"),
            ("target_group", "青年教师"), ("start_term_id", str(terms[1])), ("end_term_id", str(terms[2])),
            ("leader", "张敏"), ("team", "李华 语文教研组长"), ("planned_hours", "36"), ("budget", "12000.00"),
            ("expected_outcomes", "课例集一册。"), ("action", "submit")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200, help="rounds (one of each request kind per round)")
    parser.add_argument("--backlog", type=int, default=30, help="applications waiting for the principal first")
    parser.add_argument("--pg", action="store_true", help="run on PostgreSQL at 127.0.0.1:5432")
    parser.add_argument("--database", default="test_perf", help="PostgreSQL database to recreate (with --pg)")
    parser.add_argument("--profile", choices=(*KINDS, "all"), help="print a cProfile of this request kind (or all)")
    parser.add_argument("--statements", choices=KINDS, help="print the statements of one request of this kind")
    args = parser.parse_args()

    if args.pg:
        if args.database == "test":
            sys.exit("the database 'test' belongs to CI")
        from benchmarks.topology import PG, recreate_database

        recreate_database(args.database)
        url = PG + args.database
    else:
        url = "sqlite:///" + tempfile.mkdtemp(prefix="yanxiu-bench-") + "/bench.sqlite"

    from flask_migrate import upgrade
    from sqlalchemy import event, select

    from app import create_app
    from app.demo import DEMO_PASSWORD, seed_demo
    from app.extensions import db
    from app.models import OrgUnit, Term
    from app.processes.services import deploy_directory

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" + "x" * 20,
                      "ATTACHMENT_ROOT": tempfile.mkdtemp(prefix="yanxiu-bench-files-")})
    with app.app_context():
        upgrade()
        seed_demo(password_method="pbkdf2:sha256:1")
        deploy_directory(ROOT / "bpmn")
        db.session.commit()
        school_id = db.session.scalars(select(OrgUnit.id).where(OrgUnit.code == "YY-S1")).one()
        region_id = db.session.scalars(select(OrgUnit.id).where(OrgUnit.code == "YY")).one()
        terms = list(db.session.scalars(select(Term.id).where(Term.region_id == region_id)
                                        .order_by(Term.start_date)))
        counter = Counter()
        event.listen(db.engine, "before_cursor_execute", counter)
        db.session.remove()

    admin = Client(app, "s1_admin", DEMO_PASSWORD)
    principal = Client(app, "s1_principal", DEMO_PASSWORD)
    times: dict[str, list[float]] = defaultdict(list)
    statements: dict[str, list[int]] = defaultdict(list)
    profiler = cProfile.Profile() if args.profile else None
    shown: set[str] = set()

    def timed(kind: str, fn):
        counter.n = 0
        counter.keep = args.statements == kind and kind not in shown
        counter.statements = []
        profiling = profiler is not None and args.profile in (kind, "all")
        if profiling:
            profiler.enable()
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        if profiling:
            profiler.disable()
        if counter.keep:
            shown.add(kind)
            print(f"--- statements of one {kind} ({counter.n}) ---")
            for s in counter.statements:
                print("  ", re.sub(r"^SELECT (DISTINCT )?\S.*? FROM ", r"SELECT \1… FROM ", " ".join(s.split()))[:230])
        times[kind].append(elapsed)
        statements[kind].append(counter.n)
        return result

    def submit_one(measure: bool) -> None:
        run = timed if measure else (lambda kind, fn: fn())
        r, _ = run("new application", lambda: admin.post("/projects/new", {"school_id": school_id}))
        assert r.status_code == 302 and "/tasks/" in r.headers["Location"], r.status_code
        path = "/tasks/" + r.headers["Location"].rsplit("/tasks/", 1)[1]
        run("task page (form)", lambda: admin.get(path))
        r, text = run("complete (submit)", lambda: admin.post(path, application_form(terms)))
        assert r.status_code == 302, (r.status_code, text[:2000])

    def approve_one() -> None:
        r, text = timed("inbox", lambda: principal.get("/tasks"))
        ids = TASK_LINK.findall(text)
        assert r.status_code == 200 and ids, r.status_code
        path = f"/tasks/{ids[0]}"
        r, _ = timed("task page (review)", lambda: principal.get(path))
        assert r.status_code == 200, r.status_code
        r, text = timed("complete (approve)", lambda: principal.post(
            path, {"decision": "approve", "comment": "同意", "action": "submit"}))
        assert r.status_code == 302, (r.status_code, text[:2000])

    started = time.perf_counter()
    for _ in range(args.backlog):
        submit_one(False)
    print(f"{'PostgreSQL' if args.pg else 'SQLite'}: seeded {args.backlog} waiting applications in "
          f"{time.perf_counter() - started:.1f} s; {args.n} rounds …", flush=True)
    for i in range(args.n + 5):
        if i == 5:  # warm-up rounds (template compilation, caches) are not counted
            times.clear()
            statements.clear()
        submit_one(True)
        approve_one()

    print(f"\n{'request':<22}{'median ms':>10}{'p95 ms':>10}{'statements':>12}")
    for kind in KINDS:
        ms = [t * 1000 for t in times[kind]]
        counts = statements[kind]
        spread = f"{min(counts)}" if min(counts) == max(counts) else f"{min(counts)}-{max(counts)}"
        print(f"{kind:<22}{statistics.median(ms):>10.1f}{pct(ms, 95):>10.1f}{spread:>12}")
    if profiler is not None:
        n = sum(len(v) for v in times.values()) if args.profile == "all" else len(times[args.profile])
        print(f"\n--- cProfile of {args.profile} ({n} requests) ---")
        stats = pstats.Stats(profiler)
        by_package: dict[str, float] = defaultdict(float)
        for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            match = re.search(r"site-packages/([^/]+)", filename)
            package = match.group(1) if match else ("yanxiu" if str(ROOT) in filename else "python")
            by_package[package] += tottime
        total = sum(by_package.values())
        print("own time by package: " + ", ".join(f"{k} {v / total:.0%}" for k, v in
                                                  sorted(by_package.items(), key=lambda kv: -kv[1])[:10]))
        stats.sort_stats("cumulative").print_stats(70)
        stats.sort_stats("tottime").print_stats(25)
    if args.pg:
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
