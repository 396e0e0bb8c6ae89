"""Load test of the production topology (benchmarks/topology.py) over loopback HTTP. Prints figures.

Simulated users for a fixed time, each a real login with its own session and CSRF token:
  * school admins create an application, open its 申报书 and submit it (a completion);
  * principals, township reviewers and the city reviewer open 待办, open the first task and approve it
    (a completion).
Then prints completions per second, p50/p95/p99 latency per page, the error count (5xx, transport
errors, unexpected statuses; 409 "already handled" is counted apart), and a consistency check on the
database: every instance's workflow state agrees with its 待办 rows, no task was completed twice, no
instance was lost, and the completions the clients saw are the completions the database holds.

Usage:
  python benchmarks/load_test.py [--duration 60] [--admins 12] [--principals 12] [--schools 30]
  python benchmarks/load_test.py --url http://127.0.0.1:8000 --database yanxiu_load   # a running topology
Traffic goes only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.topology import LOAD_PASSWORD, PG, Topology  # noqa: E402

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TASK_LINK = re.compile(r'href="/tasks/(\d+)"')


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.conflicts = 0
        self.completions = 0  # in the measured window
        self.total = 0  # during the whole run, for the consistency check

    def record(self, page: str, seconds: float) -> None:
        with self.lock:
            self.latency[page].append(seconds)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


class Client:
    """One browser: a keep-alive connection, the session cookie and the CSRF token."""

    def __init__(self, base: str, stats: Stats) -> None:
        parts = urlsplit(base)
        assert parts.hostname == "127.0.0.1", "the load test only talks to 127.0.0.1"
        self.host, self.port = parts.hostname, parts.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.token = ""
        self.stats = stats

    def request(self, page: str, method: str, path: str, form: dict | list | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, OSError) as err:
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt == 2:
                    self.stats.error(f"{page}: {type(err).__name__}")
                    return None, ""
        self.stats.record(page, time.perf_counter() - started)
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        match = CSRF.search(text)
        if match:
            self.token = match.group(1)
        if response.status >= 500:
            self.stats.error(f"{page}: HTTP {response.status}")
        return response, text

    def login(self, username: str) -> bool:
        self.request("login page", "GET", "/login")
        r, _ = self.request("login", "POST", "/login", {"username": username, "password": LOAD_PASSWORD,
                                                        "csrf_token": self.token})
        if r is None or r.status != 302 or "/account/password" in (r.getheader("Location") or ""):
            self.stats.error(f"login {username}: {r.status if r else 'no answer'}")
            return False
        return True


def application_form(terms: list[int], token: str) -> list[tuple[str, str]]:
    return [("csrf_token", token), ("title", "压测：基于课堂观察的青年教师成长研究"), ("domain", "教师发展"),
            ("modules", "教学基本功与技能提升"), ("modules", "课程开发与实施"), ("forms", "同伴互助"),
            ("forms", "专家引领"), ("problem", "青年教师课堂组织能力不足。"), ("goals", "形成课例 10 篇。"),
            ("target_group", "青年教师"), ("start_term_id", str(terms[1])), ("end_term_id", str(terms[2])),
            ("leader", "张敏"), ("team", "李华 语文教研组长"), ("planned_hours", "36"), ("budget", "12000.00"),
            ("expected_outcomes", "课例集一册。"), ("action", "submit")]


def school_admin(base, stats, username, school_id, terms, stop: threading.Event) -> None:
    c = Client(base, stats)
    if not c.login(username):
        return
    while not stop.is_set():
        r, _ = c.request("new application", "POST", "/projects/new", {"school_id": school_id, "csrf_token": c.token})
        if r is None or r.status != 302 or "/tasks/" not in (r.getheader("Location") or ""):
            stats.error(f"new application: {r.status if r else '-'}")
            continue
        path = urlsplit(r.getheader("Location")).path
        c.request("task page", "GET", path)
        r, text = c.request("complete task", "POST", path, application_form(terms, c.token))
        _completed(stats, r, "submit")


def reviewer(base, stats, username, stop: threading.Event) -> None:
    c = Client(base, stats)
    if not c.login(username):
        return
    while not stop.is_set():
        r, text = c.request("待办 (inbox)", "GET", "/tasks")
        ids = TASK_LINK.findall(text)
        if not ids:
            time.sleep(0.2)
            continue
        path = f"/tasks/{ids[0]}"
        c.request("task page", "GET", path)
        r, _ = c.request("complete task", "POST", path, {"decision": "approve", "comment": "同意",
                                                         "action": "submit", "csrf_token": c.token})
        _completed(stats, r, "approve")


def _completed(stats: Stats, r, what: str) -> None:
    if r is None:
        return
    if r.status == 302:
        with stats.lock:
            stats.completions += 1
            stats.total += 1
    elif r.status == 409:
        with stats.lock:
            stats.conflicts += 1
    elif r.status < 500:
        stats.error(f"{what}: HTTP {r.status}")


def cpu_seconds(match) -> float:
    """User+system CPU seconds of the processes ``match(comm, pgrp)`` selects (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        if match(comm, int(fields[2])):
            total += int(fields[11]) + int(fields[12])
    return total / tick


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def directory(database: str) -> tuple[dict[str, int], list[int]]:
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{database}") as conn:
        schools = dict(conn.execute("SELECT code, id FROM org_unit WHERE code LIKE 'LT%%-S%%'").fetchall())
        terms = [row[0] for row in conn.execute(
            "SELECT t.id FROM term t JOIN org_unit o ON o.id = t.region_id WHERE o.code = 'YY' ORDER BY t.start_date")]
    return schools, terms


def count_completed(database: str) -> int:
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{database}") as conn:
        return conn.execute("SELECT count(*) FROM human_task WHERE status = 'completed'").fetchone()[0]


def consistency(database: str, expected_new_completions: int, completed_before: int) -> list[str]:
    """Problems found in the database after the run (empty when consistent)."""
    os.environ["YANXIU_SQLALCHEMY_DATABASE_URI"] = PG + database
    os.environ.setdefault("YANXIU_SECRET_KEY", "consistency-check-only-" + "x" * 16)
    from sqlalchemy import func, select

    from app import create_app
    from app.extensions import db
    from app.models import (
        AuditEvent,
        HumanTask,
        InstanceStatus,
        ProcessInstance,
        ProjectApplication,
        TaskStatus,
    )
    from app.processes.runtime import load_runtime

    problems: list[str] = []
    app = create_app()
    with app.app_context():
        live = defaultdict(set)
        for instance_id, spiff_id in db.session.execute(select(HumanTask.instance_id, HumanTask.spiff_task_id).where(
                HumanTask.status.in_([TaskStatus.OPEN, TaskStatus.WAITING]))):
            live[instance_id].add(spiff_id)
        instances = list(db.session.scalars(select(ProcessInstance).where(
            ProcessInstance.process_key == "project_application")))
        for instance in instances:
            runtime = load_runtime(instance, None)
            ready = {t.id for t in runtime.ready_human_tasks()}
            if ready != live.get(instance.id, set()):
                problems.append(f"instance {instance.id}: engine READY {sorted(ready)} != 待办 rows "
                                f"{sorted(live.get(instance.id, set()))}")
            if (instance.status == InstanceStatus.COMPLETED) != runtime.is_completed:
                problems.append(f"instance {instance.id}: status {instance.status} but engine completed="
                                f"{runtime.is_completed}")
        twice = db.session.execute(select(HumanTask.instance_id, HumanTask.bpmn_id, func.count()).where(
            HumanTask.status == TaskStatus.COMPLETED).group_by(HumanTask.instance_id, HumanTask.bpmn_id)
            .having(func.count() > 1)).all()
        problems += [f"instance {i}: step {b} completed {n} times" for i, b, n in twice]
        audit_twice = db.session.execute(select(AuditEvent.human_task_id, func.count()).where(
            AuditEvent.action == "task.complete", AuditEvent.human_task_id.is_not(None))
            .group_by(AuditEvent.human_task_id).having(func.count() > 1)).all()
        problems += [f"task {t}: {n} task.complete audit events" for t, n in audit_twice]
        orphans = db.session.scalar(select(func.count()).select_from(ProjectApplication).where(
            ~ProjectApplication.instance_id.in_(select(ProcessInstance.id))))
        if orphans:
            problems.append(f"{orphans} applications lost their process instance")
        completed_now = db.session.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.status == TaskStatus.COMPLETED))
        if completed_now - completed_before != expected_new_completions:
            problems.append(f"clients saw {expected_new_completions} completions, the database holds "
                            f"{completed_now - completed_before} new completed tasks")
        print(f"consistency: {len(instances)} instances checked against their 待办 rows", flush=True)
    return problems


def run(base: str, database: str, args, web_pgid: int | None = None) -> int:
    schools, terms = directory(database)
    stats = Stats()
    stop = threading.Event()
    threads = []
    # Round-robin over the townships, so that every township's reviewer has work.
    codes = sorted(schools, key=lambda c: (int(c.split("-S")[1]), int(c[2:].split("-S")[0])))
    for code in codes[:args.admins]:
        t, s = code[2:].split("-S")
        threads.append(threading.Thread(target=school_admin, args=(base, stats, f"l{t}_{s}_admin", schools[code],
                                                                   terms, stop)))
    for code in codes[:args.principals]:
        t, s = code[2:].split("-S")
        threads.append(threading.Thread(target=reviewer, args=(base, stats, f"l{t}_{s}_principal", stop)))
    townships = sorted({code[2:].split("-S")[0] for code in codes[:max(args.admins, args.principals)]}, key=int)
    for t in townships:
        threads.append(threading.Thread(target=reviewer, args=(base, stats, f"lt{t}", stop)))
    threads.append(threading.Thread(target=reviewer, args=(base, stats, "city", stop)))
    before = count_completed(database)
    print(f"{len(threads)} simulated users ({args.admins} school admins, {args.principals} principals, "
          f"{len(townships)} township reviewers, 1 city reviewer) for {args.duration} s …", flush=True)
    for thread in threads:
        thread.start()
    # Logins are part of the run but not of the measured window.
    time.sleep(3)

    def cpu() -> tuple[float, float, float]:
        web = cpu_seconds(lambda comm, pgrp: pgrp == web_pgid) if web_pgid else 0.0
        return web, cpu_seconds(lambda comm, pgrp: comm.startswith("postgres")), sum(os.times()[:2])

    with stats.lock:
        stats.completions = 0
        start_latency = {k: len(v) for k, v in stats.latency.items()}
    cpu_before = cpu()
    started = time.perf_counter()
    time.sleep(args.duration)
    with stats.lock:
        measured = stats.completions
    elapsed = time.perf_counter() - started
    cpu_used = [after - before for after, before in zip(cpu(), cpu_before, strict=True)]
    stop.set()
    for thread in threads:
        thread.join(timeout=120)

    print(f"\ncompletions: {measured} in {elapsed:.1f} s = {measured / elapsed:.1f} completions/s "
          f"(target ≥ 150/s)")
    if measured:
        web, pg, client = (1000 * c / measured for c in cpu_used)
        print(f"CPU per completion: web {web:.0f} ms, PostgreSQL (every backend on the server) {pg:.0f} ms, "
              f"load generator {client:.0f} ms "
              f"(machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end)")
    print(f"errors: {len(stats.errors)}   conflicts (409 already handled, not errors): {stats.conflicts}")
    for text in stats.errors[:10]:
        print("  ", text)
    print(f"\n{'page':<20}{'n':>7}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for page, values in sorted(stats.latency.items()):
        window = values[start_latency.get(page, 0):] or values
        ms = [v * 1000 for v in window]
        print(f"{page:<20}{len(ms):>7}{statistics.median(ms):>10.1f}{pct(ms, 95):>10.1f}{pct(ms, 99):>10.1f}")
    problems = consistency(database, stats.total, before)
    print("consistency check: " + ("clean" if not problems else f"{len(problems)} problem(s)"))
    for p in problems[:20]:
        print("  ", p)
    return 0 if not problems and not stats.errors else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=60, help="measured seconds")
    parser.add_argument("--admins", type=int, default=12, help="simulated school admins (one school each)")
    parser.add_argument("--principals", type=int, default=12, help="simulated principals (one school each)")
    parser.add_argument("--townships", type=int, default=10)
    parser.add_argument("--schools", type=int, default=30, help="schools per township in the seed")
    parser.add_argument("--backlog", type=int, default=2)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--url", help="use a running topology instead of starting one")
    parser.add_argument("--database", default="yanxiu_load")
    args = parser.parse_args()
    if args.url:
        sys.exit(run(args.url, args.database, args))
    with Topology(args.database, web_workers=args.web_workers, threads=args.threads, townships=args.townships,
                  schools_per_township=args.schools, backlog=args.backlog) as topo:
        code = run(topo.url, args.database, args, web_pgid=topo.procs[0].pid)
    sys.exit(code)


if __name__ == "__main__":
    main()
