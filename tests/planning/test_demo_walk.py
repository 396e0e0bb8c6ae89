"""The walk the README promises, on the demo data: change 余姚's minimum to 8, see the prepared
7-activity plan blocked with a clear message, fix it, carry it through approval, record an
activity with an attendance import, register the credits and export them to Excel.

The same walk was done by hand in Chromium; this keeps it from breaking."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import load_workbook
from sqlalchemy import select

from app.clock import FrozenClock, use_clock
from app.extensions import db
from app.models import (
    CreditBatch,
    CreditRecord,
    CreditStatus,
    OrgUnit,
    PlanStatus,
    PolicyVersion,
    ResearchPlan,
    Teacher,
)
from app.plans.demo import seed_planning_demo
from app.regions import current_term
from tests.conftest import FAST_HASH
from tests.helpers import field_errors
from tests.planning.helpers import csv_upload, decide, open_task_of, policy_form_data

NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)


def _plan(app, code):
    with app.app_context():
        school = db.session.scalars(select(OrgUnit).where(OrgUnit.code == code)).one()
        plan = db.session.scalars(select(ResearchPlan).where(ResearchPlan.school_id == school.id)
                                  .order_by(ResearchPlan.id.desc())).first()
        _ = plan.activities, plan.budget_lines, plan.term
        db.session.expunge_all()
        return plan


def _form(plan, extra_rows=()):
    data = {"goals": plan.goals, "declared_funds": str(plan.declared_funds), "action": "submit"}
    rows = [{"key": a.key, "planned_date": a.planned_date.isoformat(), "way": a.form, "topic": a.topic,
             "presenter": a.presenter, "target_group": a.target_group, "hours": str(a.hours), "mode": a.mode}
            for a in plan.activities] + list(extra_rows)
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"activities-{i}-{key}"] = value
    for i, b in enumerate(plan.budget_lines):
        data.update({f"budget_lines-{i}-category": b.category, f"budget_lines-{i}-scope": b.scope,
                     f"budget_lines-{i}-amount": str(b.amount)})
    return data


def test_the_readme_walk(app, world, make_browser):
    with use_clock(FrozenClock(NOW)):
        with app.app_context():
            seed_planning_demo(password_method=FAST_HASH)
            db.session.commit()
            yuyao = db.session.scalars(select(OrgUnit).where(OrgUnit.code == "YY")).one()
            version = db.session.scalars(select(PolicyVersion).where(PolicyVersion.region_id == yuyao.id)).one()
            values, term_id = version.values, current_term(yuyao.id, NOW.date()).id
        # The region's admin raises the minimum to 8 for this term.
        r = make_browser("admin").post("/policy/edit", data=policy_form_data(
            {**values, "plan.min_activities": 8}, term_id, "局务会决定：每学期不少于 8 次"))
        assert r.status_code == 302

        # 阳明小学's prepared plan has 7 activities: submitting it is blocked, with the reason.
        plan = _plan(app, "YY-S1")
        assert len(plan.activities) == 7
        drafter = make_browser("s1_admin")
        task = open_task_of(app, plan.instance_id)
        r = drafter.post(f"/tasks/{task.id}", data=_form(plan))
        assert r.status_code == 422
        [message] = field_errors(r.get_data(as_text=True), "activities")
        assert "只计划了 7 次研修活动" in message and "至少 8 次" in message and "还需增加 1 次" in message

        # Fixed with an eighth activity, it goes through principal, township and city.
        eighth = {"planned_date": "2026-11-18", "way": "同伴互助", "topic": "期中质量分析", "presenter": "李华",
                  "hours": "2", "mode": "集中"}
        assert drafter.post(f"/tasks/{task.id}", data=_form(plan, [eighth])).status_code == 302
        for reviewer in ("s1_principal", "town1", "city"):
            assert decide(make_browser(reviewer), open_task_of(app, plan.instance_id).id, "approve").status_code == 302
        plan = _plan(app, "YY-S1")
        assert plan.status == PlanStatus.APPROVED and plan.version_no == 1 and len(plan.activities) == 8

        # An activity is recorded against the plan and its attendance imported from the template.
        first = plan.activities[0]
        r = drafter.post(f"/activities/new?school={plan.school_id}&term={plan.term_id}", data={
            "planned_key": first.key, "held_on": first.planned_date.isoformat(), "way": first.form,
            "topic": first.topic, "presenter": first.presenter, "hours": str(first.hours), "mode": first.mode})
        assert r.status_code == 302
        record_id = int(r.headers["Location"].rsplit("/", 1)[-1])
        template = drafter.get(f"/activities/{record_id}/attendance/template.csv").get_data(as_text=True)
        rows = [line.split(",") for line in template.lstrip("\ufeff").splitlines()]
        rows[2][2] = "请假"
        r = drafter.post(f"/activities/{record_id}/attendance/import", data={"file": csv_upload(rows)},
                         content_type="multipart/form-data")
        assert r.status_code == 302

        # Credits: generated from attendance, recognised, reviewed, registered.
        r = drafter.post(f"/credits/batches?school={plan.school_id}", data={"term_id": str(plan.term_id)})
        assert r.status_code == 302
        assert drafter.post(r.headers["Location"], data={"action": "submit"}).status_code == 302
        with app.app_context():
            batch = db.session.scalars(select(CreditBatch)).one()
            instance_id = batch.instance_id
        for reviewer in ("s1_principal", "town1", "city"):
            assert decide(make_browser(reviewer), open_task_of(app, instance_id).id, "approve").status_code == 302
        with app.app_context():
            me = db.session.scalars(select(Teacher).where(Teacher.user_id == world.users["s1_teacher"])).one()
            statuses = {r.status for r in db.session.scalars(select(CreditRecord))}
            assert statuses == {CreditStatus.REGISTERED}
            my_id, my_name = me.id, me.name
        page = make_browser("s1_teacher").get(f"/credits/teachers/{my_id}").get_data(as_text=True)
        assert "已登记" in page and "0.33" in page and "2026学年" in page
        book = load_workbook(io.BytesIO(drafter.get(f"/credits/export.xlsx?school={plan.school_id}&year=2026").get_data()))
        names = [row[2] for row in book["学分登记表"].iter_rows(min_row=3, values_only=True)]
        assert my_name in names and len(names) == 9      # 10 teachers, one on leave

