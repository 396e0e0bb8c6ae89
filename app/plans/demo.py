"""Demo plans and activity records, made through the real services.

In 余姚 the current term's planning is opened for every school. 阳明小学 (s1_admin) finds a draft
with 7 activities ready for the walk in the README; 阳明中学 has an approved plan with three
activities held and attendance taken, so progress and credits have something to show.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.activities.services import record_activity, set_attendance
from app.extensions import db
from app.models import AttendanceStatus, HumanTask, OrgUnit, ResearchPlan, TaskStatus, Teacher, Term, User
from app.models.base import utcnow
from app.plans.opening import open_term
from app.plans.services import apply_form, plan_already_open, record_checks, start_term_plan
from app.processes.registry import Completion
from app.processes.runtime import complete_task
from app.regions import current_term

TOPICS = ("新课标下的单元整体教学设计", "课堂观察量表的使用", "同课异构：分数的意义", "作业设计与分层评价",
          "青年教师说课展示", "信息技术支持下的精准教学", "班主任沟通艺术", "期末复习课的设计")
WAYS = ("专家引领", "同伴互助", "同伴互助", "自我反思", "同伴互助", "网络协作", "专家引领", "同伴互助")


def activity_rows(dates: list[date]) -> list[dict]:
    return [{"planned_date": d, "period": None, "alt_date": None, "form": WAYS[i % len(WAYS)],
             "topic": TOPICS[i % len(TOPICS)], "presenter": "教研组长", "target_group": "全体教师",
             "hours": Decimal("2"), "mode": "集中"} for i, d in enumerate(dates)]


def weekly(start: date, count: int, weekday: int = 3) -> list[date]:
    first = start + timedelta(days=(weekday - start.isoweekday()) % 7)
    return [first + timedelta(weeks=n) for n in range(count)]


def fill(plan: ResearchPlan, dates: list[date], *, funds: Decimal, budget: Decimal) -> None:
    apply_form(plan, {"goals": "聚焦课堂观察与作业设计，提升青年教师的教学诊断能力。", "project_ids": [],
                      "declared_funds": funds, "activities": activity_rows(dates),
                      "budget_lines": [{"category": "专家讲课费", "scope": "school_based", "amount": budget,
                                        "note": "外请专家两次"}]}, submitting=False)
    record_checks(plan)


def _open_task(instance_id: int) -> HumanTask:
    return db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                      HumanTask.status == TaskStatus.OPEN)).one()


def approve(plan: ResearchPlan, users: dict[str, User], reviewers: list[str], drafter: str) -> None:
    """Submit the plan and approve it at every level, as the named users."""
    plan.round += 1
    plan.submitted_by_id = users[drafter].id
    complete_task(_open_task(plan.instance_id).id, actor=users[drafter],
                  apply=lambda t, r: Completion({}, "submit", "请审核"))
    for username in reviewers:
        task = _open_task(plan.instance_id)
        variable = task.properties["decisionVariable"]
        complete_task(task.id, actor=users[username], apply=lambda t, r, v=variable: Completion({v: "approve"}, "approve", "同意"))


def seed_demo_plans() -> int:
    """Open 余姚's current term and prepare the two sample schools. Does nothing twice."""
    region = db.session.scalars(select(OrgUnit).where(OrgUnit.code == "YY")).first()
    if region is None or db.session.scalars(select(ResearchPlan.id).limit(1)).first() is not None:
        return 0
    today = utcnow().date()
    term: Term | None = current_term(region.id, today)
    if term is None:
        return 0
    users = {u.username: u for u in db.session.scalars(select(User))}
    result = open_term(term.id, actor=users["admin"], already=plan_already_open, start=start_term_plan,
                       action="plan.open_term")
    plans = {p.school.code: p for p in db.session.scalars(select(ResearchPlan).where(ResearchPlan.term_id == term.id))}
    start = max(term.start_date, min(today - timedelta(days=70), term.end_date - timedelta(days=70)))
    fill(plans["YY-S1"], weekly(start, 7), funds=Decimal("200000"), budget=Decimal("20000"))
    s2 = plans["YY-S2"]
    fill(s2, weekly(start, 6), funds=Decimal("300000"), budget=Decimal("30000"))
    approve(s2, users, ["s2_principal", "town1", "city"], "s2_admin")
    teachers = list(db.session.scalars(select(Teacher).where(Teacher.school_id == s2.school_id).order_by(Teacher.id)))
    for planned in s2.activities[:3]:
        if planned.planned_date > today:
            break
        record = record_activity(s2.school, term, {
            "planned_key": planned.key, "held_on": planned.planned_date, "period": None, "way": planned.form,
            "topic": planned.topic, "presenter": planned.presenter, "location": "学校报告厅", "hours": planned.hours,
            "mode": planned.mode, "summary": "按计划开展，教研组长主持。", "reflection": "", "cost": Decimal("1500")},
            actor=users["s2_admin"])
        marks = {t.id: (AttendanceStatus.LEAVE if i == len(teachers) - 1 else AttendanceStatus.PRESENT, "")
                 for i, t in enumerate(teachers)}
        set_attendance(record, marks, actor=users["s2_admin"], method="import")
    return len(result.started)


def seed_planning_demo(password_method: str | None = None) -> list[tuple[str, str, str]]:
    """Everything issue 3 adds to the demo: the other seed regions bound to their profiles, teachers,
    and 余姚's opened term. Returns (username, name, roles) of the logins it created."""
    from app.policy.demo import seed_regions
    from app.teachers.demo import seed_teachers

    created = seed_regions(password_method=password_method)
    seed_teachers()
    seed_demo_plans()
    rows = []
    for user in db.session.scalars(select(User).where(User.username.in_(created)).order_by(User.id)):
        rows.append((user.username, user.display_name,
                     "，".join(f"{ra.role.label}·{ra.org.display_name}" for ra in user.roles)))
    return rows
