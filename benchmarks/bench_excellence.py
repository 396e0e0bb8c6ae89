"""评优 benchmark (issue 5). Prints figures; asserts nothing.

A city-scale round: S schools (spread over the demo's two townships) apply, the organiser checks every
nomination, the experts are assigned (conflicts of interest excluded), every expert scores all their
nominations on the shipped term-end score sheet and submits through the real task command, then the
last submission aggregates and ranks. Times each step, and the ranking page and an expert's task page
as rendered by the app.

Usage: python benchmarks/bench_excellence.py [--database-url URL] [--schools 120] [--experts 9]
The database is emptied. Default: a fresh SQLite file.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--schools", type=int, default=120)
    parser.add_argument("--experts", type=int, default=9)
    args = parser.parse_args()
    files = Path(tempfile.mkdtemp(prefix="bench-exc-"))
    url = args.database_url or f"sqlite:///{files / 'bench.sqlite'}"

    from flask_migrate import upgrade
    from sqlalchemy import MetaData, select

    from app import create_app
    from app.clock import FrozenClock, use_clock
    from app.demo import create_org, create_user, seed_demo
    from app.excellence import services
    from app.extensions import db
    from app.inspections.sheets import install_builtin
    from app.jobs.services import run_due_jobs
    from app.models import HumanTask, OrgType, OrgUnit, Role, SelectionRound, TaskStatus, User
    from app.processes.registry import Completion
    from app.processes.runtime import complete_task
    from app.processes.services import deploy_directory
    from app.workdays.calendar import LOCAL_ZONE

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ATTACHMENT_ROOT": str(files), "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False})
    start = date(2026, 3, 2)
    clock = FrozenClock(datetime.combine(start, dtime(9), LOCAL_ZONE))
    with app.app_context(), use_clock(clock):
        meta = MetaData()
        meta.reflect(bind=db.engine)
        meta.drop_all(bind=db.engine)
        upgrade()
        seed_demo(password_method="pbkdf2:sha256:1")
        deploy_directory(ROOT / "bpmn")
        orgs = {o.code: o for o in db.session.scalars(select(OrgUnit))}
        install_builtin(orgs["YY"].id)
        schools = []
        for index in range(args.schools):
            township = orgs["YY-T1"] if index % 2 else orgs["YY-T2"]
            school = create_org(f"BX-{index}", f"测试学校{index}", f"测试{index}", OrgType.SCHOOL, township)
            create_user(f"bx{index}", f"测试{index}管理员", [(Role.SCHOOL_ADMIN, school)], password_method="pbkdf2:sha256:1")
            schools.append(school)
        experts = [create_user(f"bexp{i}", f"专家{i}", [(Role.EXPERT, orgs["YY-C"] if i % 3 else orgs["YY-T1"])],
                               password_method="pbkdf2:sha256:1") for i in range(args.experts)]
        db.session.commit()
        city = db.session.scalars(select(User).where(User.username == "city")).one()
        director = db.session.scalars(select(User).where(User.username == "director")).one()
        template = services.score_templates(orgs["YY"].id)[0]
        round_ = services.create_round(city, orgs["YY-C"], services.RoundInput(
            type=services.RoundType.ADVANCED_UNIT, title="基准评选", level="county", cycle_label="2025–2026学年",
            quota_count=10, quota_ratio=None, township_quota=None, reserve_count=3,
            rules=["inspection_passed", "no_overdue_rectification", "no_ethics_veto"], template_id=template.id,
            aggregation="trimmed_mean", apply_start=start, apply_end=start + timedelta(days=4),
            review_due=start + timedelta(days=18), notice_working_days=5, remind_working_days=2, recommend_count=3,
            award_valid_years=None, expert_ids=[e.id for e in experts]))
        services.submit_round(city, round_)
        db.session.commit()

        def task(bpmn_id: str, assignee: User | None = None) -> HumanTask:
            stmt = select(HumanTask).where(HumanTask.instance_id == round_.instance_id, HumanTask.bpmn_id == bpmn_id,
                                           HumanTask.status == TaskStatus.OPEN)
            if assignee is not None:
                stmt = stmt.where(HumanTask.assignee_id == assignee.id)
            return db.session.scalars(stmt).first()

        complete_task(task("Task_approve_round").id, actor=director,
                      apply=lambda t, r: Completion({"round_decision": "approve"}, "approve"))
        db.session.commit()
        t0 = time.perf_counter()
        for index, school in enumerate(schools):
            admin = db.session.scalars(select(User).where(User.username == f"bx{index}")).one()
            services.nominate(admin, round_, services.NominationInput(school.id, None, [], "做法与成效", None))
            db.session.commit()
        nominate_ms = (time.perf_counter() - t0) * 1000 / len(schools)
        t0 = time.perf_counter()
        for nomination in round_.nominations:
            services.check_nomination(city, nomination, complete=True, note="")
        db.session.commit()
        check_ms = (time.perf_counter() - t0) * 1000 / len(schools)
        # The eligibility rule 「学期检查≥合格」 refuses schools with no published inspection: count them.
        refused = sum(1 for n in round_.nominations if n.failed_rules)
        # For the review, let every school through (the benchmark is about scoring, not rules).
        for nomination in round_.nominations:
            nomination.status = services.NominationStatus.PASSED
            nomination.failed_rules = []
        db.session.commit()
        clock.set(datetime.combine(start + timedelta(days=5), dtime(0, 0, 1), LOCAL_ZONE))
        run_due_jobs("bench")
        t0 = time.perf_counter()
        complete_task(task("Task_check").id, actor=city, apply=lambda t, r: Completion({}, "submit"))
        db.session.commit()
        assign_ms = (time.perf_counter() - t0) * 1000
        assignments = sum(len(services.assignments_of(round_, e)) for e in experts)

        submit_times = []
        items = services.leaves(round_)
        for i, expert in enumerate(experts):
            mine = services.assignments_of(round_, expert)
            scores = {a.id: {it.id: (it.max_points * Decimal((a.nomination_id * 7 + i) % 10 + 90) / 100)
                             .quantize(Decimal("0.1")) for it in items} for a in mine}
            t0 = time.perf_counter()
            complete_task(task("Task_score", expert).id, actor=expert, apply=lambda t, r, e=expert, s=scores: (
                services.save_scores(e, r, s, {}, submitting=True), Completion({}, "submit"))[1])
            db.session.commit()
            submit_times.append((time.perf_counter() - t0) * 1000)
        round_ = db.session.get(SelectionRound, round_.id)
        status = round_.status.value
        round_id = round_.id

    client = app.test_client()
    with client.session_transaction() as session:
        with app.app_context():
            session["_user_id"] = str(db.session.scalars(select(User.id).where(User.username == "city")).one())
        session["_fresh"] = True
    with use_clock(clock):
        client.get(f"/excellence/{round_id}/ranking")
        t0 = time.perf_counter()
        for _ in range(5):
            response = client.get(f"/excellence/{round_id}/ranking")
        ranking_ms = (time.perf_counter() - t0) * 1000 / 5
        t0 = time.perf_counter()
        for _ in range(5):
            round_page = client.get(f"/excellence/{round_id}")
        round_ms = (time.perf_counter() - t0) * 1000 / 5

    print(f"database: {url.split(':')[0]}; {args.schools} nominations, {args.experts} experts, "
          f"{len(items)} rubric items; {assignments} expert assignments (conflicts excluded)")
    print(f"nominate: {nominate_ms:.1f} ms each; formal check incl. rules: {check_ms:.1f} ms each "
          f"({refused} refused by 学期检查≥合格: no published inspection)")
    print(f"complete 形式审查 + assign experts: {assign_ms:.0f} ms")
    print(f"expert submit (save + lock + complete task): median {statistics.median(submit_times[:-1]):.0f} ms, "
          f"last one incl. aggregation and ranking {submit_times[-1]:.0f} ms; round status: {status}")
    print(f"ranking page: {ranking_ms:.0f} ms ({response.status_code}); round page: {round_ms:.0f} ms "
          f"({round_page.status_code})")


if __name__ == "__main__":
    main()
