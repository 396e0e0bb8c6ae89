"""Fixtures and form builders shared by the planning, activity and credit tests."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import HumanTask, ResearchPlan, TaskStatus


def term_id(ns, region_code: str, code: str = "2026-1") -> int:
    return ns.terms[(ns.orgs[region_code], code)]


def weekdays_from(start: date, weekday: int, count: int) -> list[date]:
    """``count`` successive dates falling on ISO ``weekday``, from ``start`` on, one week apart."""
    day = start + timedelta(days=(weekday - start.isoweekday()) % 7)
    return [day + timedelta(weeks=n) for n in range(count)]


def plan_form(activities: list[dict], budget: list[dict] | None = None, *, funds: str | None = "100000",
              action: str = "submit", **extra) -> dict:
    """Form data for the plan draft task."""
    data = {"goals": "聚焦课堂观察，提升青年教师教学诊断能力。", "action": action}
    if funds is not None:
        data["declared_funds"] = funds
    for i, a in enumerate(activities):
        row = {"planned_date": "", "period": "", "alt_date": "", "way": "同伴互助", "topic": f"第{i + 1}次研修活动",
               "presenter": "张敏", "target_group": "全体教师", "hours": "2", "mode": "集中", **a}
        for key, value in row.items():
            data[f"activities-{i}-{key}"] = str(value) if value is not None else ""
    for i, b in enumerate(budget or []):
        row = {"category": "专家讲课费", "scope": "school_based", "amount": "0", "note": "", **b}
        for key, value in row.items():
            data[f"budget_lines-{i}-{key}"] = str(value)
    data.update(extra)
    return data


def activities_on(dates: list[date], **row) -> list[dict]:
    return [{"planned_date": d.isoformat(), **row} for d in dates]


def plan_of(app, school_id: int, term: int) -> ResearchPlan | None:
    with app.app_context():
        plan = db.session.scalars(select(ResearchPlan).where(
            ResearchPlan.school_id == school_id, ResearchPlan.term_id == term).order_by(ResearchPlan.id.desc())).first()
        if plan is not None:
            _ = plan.activities, plan.budget_lines, plan.check_result
        db.session.expunge_all()
        return plan


def open_task_of(app, instance_id: int) -> HumanTask | None:
    with app.app_context():
        task = db.session.scalars(select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.OPEN)).first()
        db.session.expunge_all()
        return task


def decide(browser, task_id: int, decision: str, comment: str = ""):
    return browser.post(f"/tasks/{task_id}", data={"decision": decision, "comment": comment, "action": "submit"})


def policy_form_data(values: dict, effective_term_id: int, note: str) -> dict:
    """Form data for the policy edit page that stores exactly ``values``."""
    from app.policy.editing import form_data
    from app.policy.forms import FIELD_KEYS

    initial = form_data(values)
    data = {"effective_term_id": str(effective_term_id), "note": note}
    for field in FIELD_KEYS:
        value = initial[field]
        if isinstance(value, bool):
            if value:
                data[field] = "y"
        elif isinstance(value, list):
            data[field] = [str(v) for v in value]
        elif value is not None:
            data[field] = str(value)
    data["slot_weekdays"] = [str(d) for d in initial["slot_weekdays"]]
    if initial["slot_period"]:
        data["slot_period"] = str(initial["slot_period"])
    for i, item in enumerate(initial["credit_items"]):
        for key, value in item.items():
            data[f"credit_items-{i}-{key}"] = "" if value is None else str(value)
    return data


def csv_upload(rows: list[list[str]], name: str = "data.csv", encoding: str = "utf-8-sig"):
    """A CSV file as a test-client upload tuple."""
    import csv
    import io

    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return (io.BytesIO(text.getvalue().encode(encoding)), name)


def xlsx_upload(rows: list[list[object]], name: str = "data.xlsx"):
    import io

    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return (buffer, name)


TEACHER_ROWS = [["姓名", "工号", "性别", "手机", "学科", "职称"],
                ["张敏", "T001", "女", "13800000001", "语文", "一级教师"],
                ["李华", "T002", "男", "13800000002", "数学", "二级教师"],
                ["王芳", "T003", "女", "13800000003", "英语", "高级教师"],
                ["赵强", "T004", "男", "", "体育", ""]]


def import_teachers(browser, school_id: int, rows=None):
    r = browser.post("/teachers/import", data={"school_id": str(school_id), "file": csv_upload(rows or TEACHER_ROWS)},
                     content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    return r


def approved_plan(app, ns, school_code: str, drafter: str, reviewers: list[str], dates: list[date],
                  term_code: str = "2026-1") -> int:
    """An approved plan made through the real services (faster than clicking through the pages)."""
    from decimal import Decimal

    from sqlalchemy import select

    from app.models import OrgUnit, Term, User
    from app.plans.demo import approve, fill
    from app.plans.services import create_plan

    with app.app_context():
        school = db.session.get(OrgUnit, ns.orgs[school_code])
        term = db.session.get(Term, ns.terms[(ns.orgs[school_code.split("-")[0]], term_code)])
        users = {u.username: u for u in db.session.scalars(select(User))}
        plan = create_plan(school, term, actor=users["admin"] if "admin" in users else users[drafter])
        fill(plan, dates, funds=Decimal("100000"), budget=Decimal("10000"))
        approve(plan, users, reviewers, drafter)
        db.session.commit()
        assert plan.version_no == 1, plan.status
        return plan.id


def seed_teachers_for(app) -> None:
    from app.teachers.demo import seed_teachers

    with app.app_context():
        seed_teachers(per_school=6)
        db.session.commit()


def teachers_of(app, school_id: int):
    from sqlalchemy import select

    from app.models import Teacher

    with app.app_context():
        rows = list(db.session.scalars(select(Teacher).where(Teacher.school_id == school_id).order_by(Teacher.id)))
        db.session.expunge_all()
        return rows
