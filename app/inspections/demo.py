"""Demo data for 学期检查 and 整改: the shipped score sheets, a running term-end check, and a
rectification order the school is working on. Runs through the real services, like the pages."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.inspections import services, sheets
from app.models import InspectionCampaign, InspectionKind, OrgUnit, ScopeKind, Term, User
from app.models.base import utcnow
from app.workdays.moments import add_working_days, local_today


def seed_inspection_demo() -> int:
    """Create the demo campaign (and, from the rectification side, one issued order). Does nothing
    if a campaign exists. Returns the number of inspections started."""
    if db.session.scalars(select(InspectionCampaign.id).limit(1)).first() is not None:
        return 0
    orgs = {o.code: o for o in db.session.scalars(select(OrgUnit))}
    users = {u.username: u for u in db.session.scalars(select(User))}
    if "YY" not in orgs or "city" not in users:
        return 0
    region = orgs["YY"].id
    sheets.install_builtin(region, users["city"])
    templates = {t.code: t for t in sheets.templates_for(region)}
    today = local_today(utcnow())
    term = next((t for t in db.session.scalars(select(Term).where(Term.region_id == region).order_by(Term.start_date))
                 if t.end_date >= today), None) or db.session.scalars(select(Term).order_by(Term.start_date.desc())).first()
    due = add_working_days(region, today, 10)
    campaign = services.create_campaign(actor=users["city"], org_id=orgs["YY-C"].id, data=services.CampaignInput(
        title=f"{term.name}校本研修专项检查", kind=InspectionKind.TERM_END, term_id=term.id,
        template_id=templates["term_end"].id, scope_kind=ScopeKind.SAMPLE,
        scope_org_ids=[orgs["YY-S1"].id, orgs["YY-S2"].id, orgs["YY-S4"].id], announced=True, self_check_due=due,
        onsite_start=due + timedelta(days=3), onsite_end=due + timedelta(days=7), report_due=due + timedelta(days=14),
        lead_id=users["inspector"].id, finance_id=users["finance"].id))
    started = services.start_campaign(campaign, actor=users["city"])
    _seed_rectification(orgs, users)
    return len(started)


def _seed_rectification(orgs: dict, users: dict) -> None:
    from app.models import HumanTask, TaskStatus
    from app.processes.registry import Completion
    from app.processes.runtime import complete_task
    from app.rectification.services import ItemDraft, create_order, default_deadline

    school = orgs["YY-S2"]
    deadline = default_deadline(school)
    order = create_order(actor=users["inspector"], school_id=school.id, basis="根据上学期校本研修专项检查结果",
                         items=[ItemDraft("研修活动签到表缺失 2 次", "补齐签到表并完善考勤制度", deadline, "2.2 考勤记录完整"),
                                ItemDraft("研修经费未公示", "在校务公开栏公示本学年研修经费使用情况", deadline, "4.2 支出合规并公告")])
    order.cc = ["阳明街道教辅室"]

    def step(bpmn_id: str, username: str, data: dict, action: str) -> None:
        task = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == order.instance_id,
                                                          HumanTask.status == TaskStatus.OPEN,
                                                          HumanTask.bpmn_id == bpmn_id)).one()
        complete_task(task.id, actor=users[username], apply=lambda t, r: Completion(data, action, None))

    step("Task_draft", "inspector", {}, "submit")
    step("Task_approve", "director", {"approve_decision": "approve"}, "approve")
