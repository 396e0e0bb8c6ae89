"""Start the production topology on this machine for the load test (benchmarks/load_test.py).

PostgreSQL at 127.0.0.1:5432 (a fresh database, default ``yanxiu_load``), ``yanxiu db upgrade``,
``yanxiu deploy``, a seed of many schools, users and running applications, then two gunicorn web
processes (``yanxiu serve --workers 2``) and one ``yanxiu worker`` — the commands of docs/deployment.md,
in production mode (YANXIU_ENV=production, a generated secret key). Everything listens on 127.0.0.1.

Usage:
  python benchmarks/topology.py            # start, print the URL, keep running until Ctrl+C
  from benchmarks.topology import Topology # used by load_test.py (a context manager)
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/"
#: Password of every seeded load-test user (passes the production strength rule).
LOAD_PASSWORD = "Bench7load"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(env: dict, townships: int, schools_per_township: int, backlog: int) -> None:
    """Many schools under 余姚's centre, an admin and a principal each, a reviewer per township, and
    ``backlog`` applications per school already waiting for the principal."""
    os.environ.update(env)
    from sqlalchemy import select

    from app import create_app
    from app.demo import create_org, create_user, seed_demo
    from app.extensions import db
    from app.models import HumanTask, OrgType, OrgUnit, ProjectApplication, Role, TaskStatus
    from app.processes.registry import Completion
    from app.processes.runtime import complete_task
    from app.projects.services import create_application, terms_for

    method = "pbkdf2:sha256:20000"  # seeding 600+ users; real deployments keep werkzeug's default
    app = create_app()
    with app.app_context():
        seed_demo(password_method=method)
        centre = db.session.scalars(select(OrgUnit).where(OrgUnit.code == "YY-C")).one()
        for t in range(1, townships + 1):
            town = create_org(f"LT{t}", f"压测第{t}街道教辅室", f"压测{t}教辅室", OrgType.TOWNSHIP, centre)
            create_user(f"lt{t}", f"压测审核{t}", [(Role.TOWNSHIP_REVIEWER, town)], password=LOAD_PASSWORD,
                        password_method=method)
            for s in range(1, schools_per_township + 1):
                school = create_org(f"LT{t}-S{s}", f"压测{t}街道第{s}学校", f"压测{t}-{s}校", OrgType.SCHOOL, town)
                create_user(f"l{t}_{s}_admin", f"站长{t}-{s}", [(Role.SCHOOL_ADMIN, school)], password=LOAD_PASSWORD,
                            password_method=method)
                create_user(f"l{t}_{s}_principal", f"校长{t}-{s}", [(Role.PRINCIPAL, school)],
                            password=LOAD_PASSWORD, password_method=method)
        from app.models import User

        city = db.session.scalars(select(User).where(User.username == "city")).one()
        from werkzeug.security import generate_password_hash

        city.password_hash = generate_password_hash(LOAD_PASSWORD, method=method)
        db.session.commit()
        users = {u.username: u for u in db.session.scalars(select(User))}
        schools = list(db.session.scalars(select(OrgUnit).where(OrgUnit.code.like("LT%-S%"))))
        started = time.perf_counter()
        for school in schools:
            admin = users[f"l{school.code[2:].replace('-S', '_')}_admin"]
            terms = terms_for(school)
            for _ in range(backlog):
                project = create_application(actor=admin, school_id=school.id)
                fill_project(project, admin, terms)
                task = db.session.scalars(select(HumanTask.id).where(
                    HumanTask.instance_id == project.instance_id, HumanTask.status == TaskStatus.OPEN)).one()
                complete_task(task, actor=admin, apply=lambda t, r: Completion({}, "submit", "请审核"))
            db.session.commit()
        count = db.session.query(ProjectApplication).count()
        print(f"seeded {len(schools)} schools, {count} applications in {time.perf_counter() - started:.0f} s",
              flush=True)


def fill_project(project, admin, terms) -> None:
    from app.vocab import RESEARCH_DOMAINS

    project.title = "压测：基于课堂观察的青年教师成长研究"
    project.domain = "教师发展"
    project.modules = list(RESEARCH_DOMAINS["教师发展"][:2])
    project.forms = ["同伴互助", "专家引领"]
    project.problem = "青年教师课堂组织能力不足。"
    project.goals = "形成课例 10 篇。"
    project.target_group = "青年教师"
    project.start_term_id, project.end_term_id = terms[1].id, terms[-1].id
    project.leader = admin.display_name
    project.team = ["语文教研组长"]
    project.planned_hours = 36
    project.budget = 12000
    project.expected_outcomes = "课例集一册。"
    project.instance.title = project.title
    project.round = 1


class Topology:
    """Database, migrations, seed, 2 gunicorn workers, 1 job worker; torn down on exit."""

    def __init__(self, database: str = "yanxiu_load", web_workers: int = 2, threads: int = 4,
                 townships: int = 10, schools_per_township: int = 30, backlog: int = 2, keep: bool = False):
        self.database, self.web_workers, self.threads = database, web_workers, threads
        self.townships, self.schools_per_township, self.backlog = townships, schools_per_township, backlog
        self.keep = keep
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.files = Path(tempfile.mkdtemp(prefix="yanxiu-load-files-"))
        self.procs: list[subprocess.Popen] = []
        self.env = {**os.environ,
                    "YANXIU_ENV": "production",
                    "YANXIU_SECRET_KEY": secrets.token_hex(32),
                    "YANXIU_SQLALCHEMY_DATABASE_URI": PG + database,
                    "YANXIU_ATTACHMENT_ROOT": str(self.files),
                    # The load test talks plain HTTP on loopback; behind TLS this stays on (the default).
                    "YANXIU_SESSION_COOKIE_SECURE": "false"}

    def _yanxiu(self, *args: str) -> None:
        subprocess.run(["yanxiu", *args], env=self.env,
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL)

    def __enter__(self) -> Topology:
        t0 = time.perf_counter()
        recreate_database(self.database)
        self._yanxiu("db", "upgrade")
        self._yanxiu("deploy")
        subprocess.run([sys.executable, __file__, "--seed-only", "--database", self.database,
                        "--townships", str(self.townships), "--schools", str(self.schools_per_township),
                        "--backlog", str(self.backlog)], env=self.env, check=True, cwd=ROOT)
        log = open(self.files / "serve.log", "w")  # noqa: SIM115 - closed with the process
        self.procs.append(subprocess.Popen(
            ["yanxiu", "serve", "--workers", str(self.web_workers), "--threads", str(self.threads),
             "--bind", f"127.0.0.1:{self.port}"], env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True))
        self.procs.append(subprocess.Popen(["yanxiu", "worker"], env=self.env, cwd=ROOT, stdout=log,
                                           stderr=subprocess.STDOUT, start_new_session=True))
        for _ in range(120):
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("the web processes did not answer /healthz; see " + str(self.files / "serve.log"))
        print(f"topology up in {time.perf_counter() - t0:.0f} s: {self.url} "
              f"({self.web_workers} gunicorn workers x {self.threads} threads, 1 job worker, PostgreSQL "
              f"{self.database})", flush=True)
        return self

    def __exit__(self, *exc) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        if not self.keep:
            drop_database(self.database)
            shutil.rmtree(self.files, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="yanxiu_load")
    parser.add_argument("--townships", type=int, default=10)
    parser.add_argument("--schools", type=int, default=30, help="schools per township")
    parser.add_argument("--backlog", type=int, default=2, help="applications per school waiting for the principal")
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_only:
        seed(dict(os.environ), args.townships, args.schools, args.backlog)
        return
    def interrupt(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)  # `kill` tears the topology down like Ctrl+C
    with Topology(args.database, townships=args.townships, schools_per_township=args.schools,
                  backlog=args.backlog) as topo:
        print(f"logins: l<t>_<s>_admin / l<t>_<s>_principal / lt<t> / city, password {LOAD_PASSWORD}")
        try:
            while all(p.poll() is None for p in topo.procs):
                time.sleep(1)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
