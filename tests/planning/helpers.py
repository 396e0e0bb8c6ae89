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
