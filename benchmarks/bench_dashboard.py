"""Dashboard benchmark (issue 7 part 3). Prints figures; asserts nothing.

Seeds a region of several hundred schools under a handful of townships, each with a term's plan, activity
records with attendance, credit records, a published inspection, 整改 orders and completed approval tasks,
then measures for the city reviewer (who sees every school):
  (a) the dashboard's queries alone (``app.dashboards.services.build``), and the statement count;
  (b) the whole GET /dashboard page (queries + template), and a township-filtered page;
  (c) the Excel export of the school table.

Usage: python benchmarks/bench_dashboard.py [--database-url URL] [--schools 400] [--rounds 15]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_foundation import Client, make_app, summary  # noqa: E402


def seed(app, schools: int, townships: int) -> int:
    """Insert the region's records with bulk INSERTs; return the term id."""
    from sqlalchemy import insert, select

    from app.demo import create_org
    from app.extensions import db
    from app.models import (
        ActivityRecord,
        Attendance,
        CreditBatch,
        CreditRecord,
        HumanTask,
        Inspection,
        InspectionCampaign,
        OrgType,
        OrgUnit,
        ProcessDefinition,
        ProcessInstance,
        RectificationOrder,
        ResearchPlan,
        ScoreSheetTemplate,
        Teacher,
        Term,
        User,
    )

    rng = random.Random(1)
    with app.app_context():
        admin = db.session.scalars(select(User).where(User.username == "admin")).one()
        center = db.session.scalars(select(OrgUnit).where(OrgUnit.code == "YY-C")).one()
        term = db.session.scalars(select(Term).order_by(Term.start_date)).first()
        definition = db.session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == "plan_approval")).first()
        towns = [create_org(f"B-T{t}", f"基准乡镇{t}", None, OrgType.TOWNSHIP, center) for t in range(townships)]
        orgs = [create_org(f"B-S{n}", f"基准学校{n}", None, OrgType.SCHOOL, towns[n % townships]) for n in range(schools)]
        template = ScoreSheetTemplate(region_id=center.parent_id, code="b", name="b", kind="term_end")
        db.session.add(template)
        db.session.flush()
        campaign = InspectionCampaign(region_id=center.parent_id, org_id=center.id, term_id=term.id, kind="term_end",
                                      title="基准检查", template_id=template.id, onsite_start=term.start_date,
                                      onsite_end=term.start_date, report_due=term.end_date, created_by_id=admin.id)
        db.session.add(campaign)
        db.session.flush()
        ids = [o.id for o in orgs]
        db.session.execute(insert(Teacher), [{"school_id": s, "name": f"教师{s}-{k}"} for s in ids for k in range(20)])
        teachers = {}
        for tid, sid in db.session.execute(select(Teacher.id, Teacher.school_id)):
            teachers.setdefault(sid, []).append(tid)
        db.session.execute(insert(ResearchPlan), [{"school_id": s, "term_id": term.id, "status": "approved",
                                                   "created_by_id": admin.id, "goals": "", "project_ids": [],
                                                   "change_reason": "", "check_result": []} for s in ids])
        plan_of = dict(db.session.execute(select(ResearchPlan.school_id, ResearchPlan.id)).all())
        db.session.execute(insert(ActivityRecord), [
            {"school_id": s, "term_id": term.id, "plan_id": plan_of[s], "held_on": term.start_date + timedelta(days=7 * k),
             "form": "讲座", "topic": f"活动{k}", "presenter": "张", "hours": Decimal(2), "created_by_id": admin.id}
            for s in ids for k in range(rng.randint(3, 9))])
        activities = db.session.execute(select(ActivityRecord.id, ActivityRecord.school_id)).all()
        db.session.execute(insert(Attendance), [
            {"activity_id": a, "teacher_id": t, "status": rng.choice(["present", "present", "late", "absent", "leave"]),
             "recorded_by_id": admin.id} for a, s in activities for t in teachers[s]])
        db.session.execute(insert(CreditBatch), [{"school_id": s, "term_id": term.id, "created_by_id": admin.id,
                                                  "status": "registered"} for s in ids])
        batch_of = dict(db.session.execute(select(CreditBatch.school_id, CreditBatch.id)).all())
        db.session.execute(insert(CreditRecord), [
            {"batch_id": batch_of[s], "teacher_id": t, "school_id": s, "academic_year": 2025, "source": "activity",
             "category": "校本研修", "title": "活动学分", "raw_credits": Decimal(2), "credits": Decimal(2),
             "status": "registered"} for s in ids for t in teachers[s]])
        db.session.execute(insert(Inspection), [{"campaign_id": campaign.id, "school_id": s, "status": "published",
                                                 "grade": rng.choice(["优秀", "良好", "合格"])} for s in ids])
        start = datetime.combine(term.start_date, datetime.min.time(), UTC)
        db.session.execute(insert(RectificationOrder), [
            {"school_id": s, "issuing_org_id": center.id, "drafted_by_id": admin.id,
             "status": rng.choice(["in_progress", "closed", "verifying"]), "issued_at": start + timedelta(days=10),
             "overdue": rng.random() < 0.3} for s in ids for _ in range(rng.randint(0, 3))])
        db.session.execute(insert(ProcessInstance), [
            {"definition_id": definition.id, "process_key": "plan_approval", "business_key": f"bench-{s}-{k}",
             "title": "计划", "school_id": s, "starter_id": admin.id, "state": "{}", "serializer_version": "1",
             "status": "completed"} for s in ids for k in range(2)])
        instances = db.session.execute(select(ProcessInstance.id).where(ProcessInstance.business_key.like("bench-%"))).scalars()
        db.session.execute(insert(HumanTask), [
            {"instance_id": i, "spiff_task_id": f"{i}-{step}", "bpmn_id": step, "name": step, "status": "completed",
             "created_at": start + timedelta(days=3), "completed_at": start + timedelta(days=3, hours=rng.randint(1, 90))}
            for i in instances for step in ("校长审核", "乡镇审核", "市级审核")])
        db.session.commit()
        return term.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    parser.add_argument("--schools", type=int, default=400)
    parser.add_argument("--townships", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
        print(f"database: {url.split('@')[-1]}")
        app = make_app(url, Path(tmp) / "files")
        began = time.perf_counter()
        term_id = seed(app, args.schools, args.townships)
        print(f"seeded {args.schools} schools in {args.townships} townships in {time.perf_counter() - began:.1f} s")

        from sqlalchemy import event, func, select

        from app.dashboards import services
        from app.extensions import db
        from app.models import Attendance, OrgUnit, User

        with app.app_context():
            print(f"rows: {db.session.scalar(select(func.count(Attendance.id)))} attendance")
            city = db.session.scalars(select(User).where(User.username == "city")).one()
            statements = []

            def counted(*_args):
                statements.append(1)

            event.listen(db.engine, "before_cursor_execute", counted)
            board = services.build(city, services.Filters(term_id=term_id))
            event.remove(db.engine, "before_cursor_execute", counted)
            count = len(statements)
            times = []
            for _ in range(args.rounds):
                t0 = time.perf_counter()
                services.build(city, services.Filters(term_id=term_id))
                times.append(time.perf_counter() - t0)
            print(f"(a) dashboard queries, {len(board.schools)} schools, {count} statements   {summary(times)}")
            town = db.session.scalars(select(OrgUnit.id).where(OrgUnit.code == "B-T0")).one()

        client = Client(app, "city")
        for label, path in (("(b) GET /dashboard (whole region)", f"/dashboard?term={term_id}"),
                            ("(b') GET /dashboard (one township)", f"/dashboard?term={term_id}&township={town}"),
                            ("(c) GET /dashboard/export.xlsx (schools)", f"/dashboard/export.xlsx?term={term_id}")):
            times = []
            for _ in range(args.rounds):
                t0 = time.perf_counter()
                response = client.client.get(path)
                response.get_data()
                times.append(time.perf_counter() - t0)
                assert response.status_code == 200, response.status_code
            print(f"{label:42} {summary(times)}  ({len(response.get_data()) // 1024} KB)")


if __name__ == "__main__":
    main()
