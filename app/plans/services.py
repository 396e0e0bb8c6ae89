"""研修计划 services: creating plans and change requests, editing drafts, policy checks,
review routing, freezing approved versions, and listing."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app import audit
from app.access import can_act, org_scope_clause, oversees
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.models import (
    BudgetLine,
    HumanTask,
    InstanceStatus,
    OrgType,
    OrgUnit,
    PlanKind,
    PlannedActivity,
    PlanStatus,
    ProcessInstance,
    ProjectApplication,
    ProjectStatus,
    ResearchPlan,
    Role,
    TaskStatus,
    Term,
    User,
)
from app.models.base import utcnow
from app.pagination import Page, paginate
from app.plans.checks import ActivityLine, BudgetItem, Finding, PlanFacts, blocking, check_plan, warnings
from app.policy.schema import ACTIVITY_MODES, BUDGET_SCOPES, EXPENSE_CATEGORIES
from app.policy.services import PolicyInForce, citations, policy_for_term
from app.processes.registry import OperationContext
from app.processes.runtime import start_instance
from app.regions import region_id_of
from app.vocab import RESEARCH_FORMS, TARGET_GROUPS

PROCESS_KEY = "plan_approval"
CHANGE_PROCESS_KEY = "plan_change"
PROCESS_KEYS = (PROCESS_KEY, CHANGE_PROCESS_KEY)


def plan_title(school: OrgUnit, term: Term, label: str, kind: PlanKind) -> str:
    if kind == PlanKind.CHANGE:
        return f"{school.display_name} {term.name} {label}计划变更"
    return f"{school.display_name} {term.name} {label}计划"


def _new_key() -> str:
    return secrets.token_hex(4)


def create_plan(school: OrgUnit, term: Term, *, actor: User) -> ResearchPlan:
    """Create an empty term plan for the school and start its 研修计划审批 process.

    Refuses a second live plan for the same school and term (a rejected one may be replaced).
    """
    if school.type != OrgType.SCHOOL:
        raise NotFound(_("学校不存在"))
    if term.region_id != region_id_of(school):
        raise InvalidInput(_("学期不属于该学校所在区域"), field="term_id")
    exists = Conflict(_("「%(school)s」%(term)s的研修计划已经存在", school=school.name, term=term.name))
    if plan_already_open(school, term):
        raise exists
    in_force = policy_for_term(term)
    plan = ResearchPlan(school_id=school.id, term_id=term.id, kind=PlanKind.TERM, status=PlanStatus.DRAFT,
                        open_key=f"{school.id}:{term.id}", created_by_id=actor.id,
                        policy_version_id=in_force.version_id)
    try:
        with db.session.begin_nested():
            db.session.add(plan)
    except IntegrityError:
        raise exists from None   # a concurrent command created it first
    instance = start_instance(PROCESS_KEY, actor=actor, school=school,
                              title=plan_title(school, term, in_force.policy.label, PlanKind.TERM),
                              data={"plan_id": plan.id}, key_prefix="YXJH")
    plan.instance_id = instance.id
    audit.record("plan.create", actor=actor, instance=instance, plan_id=plan.id, term=term.code)
    return plan


def current_plan(school_id: int, term_id: int) -> ResearchPlan | None:
    """The approved plan in force for the school and term (its latest version), if any."""
    return db.session.scalars(select(ResearchPlan).where(
        ResearchPlan.school_id == school_id, ResearchPlan.term_id == term_id,
        ResearchPlan.status == PlanStatus.APPROVED).order_by(ResearchPlan.version_no.desc())).first()


def open_change(plan: ResearchPlan) -> ResearchPlan | None:
    return db.session.scalars(select(ResearchPlan).where(
        ResearchPlan.base_plan_id == plan.id, ResearchPlan.kind == PlanKind.CHANGE,
        ResearchPlan.status.notin_((PlanStatus.APPROVED, PlanStatus.REJECTED, PlanStatus.SUPERSEDED)))).first()


def request_change(plan_id: int, *, actor: User) -> ResearchPlan:
    """Start a 计划变更 from the approved plan in force: a copy the school edits and resubmits."""
    plan = db.session.get(ResearchPlan, plan_id)
    if plan is None:
        raise NotFound(_("研修计划不存在"))
    if not actor.has_role(Role.SCHOOL_ADMIN, plan.school_id):
        raise Forbidden(_("只有本校的学校管理员可以申请计划变更"))
    if plan.status != PlanStatus.APPROVED:
        raise Conflict(_("只有已批准且现行有效的计划可以申请变更"))
    if open_change(plan) is not None:
        raise Conflict(_("该计划已有一份正在办理的变更申请"))
    change = ResearchPlan(
        school_id=plan.school_id, term_id=plan.term_id, kind=PlanKind.CHANGE, status=PlanStatus.DRAFT,
        base_plan_id=plan.id, goals=plan.goals, project_ids=list(plan.project_ids or []),
        declared_funds=plan.declared_funds, created_by_id=actor.id)
    change.activities = [PlannedActivity(
        seq=a.seq, key=a.key, planned_date=a.planned_date, period=a.period, alt_date=a.alt_date, form=a.form,
        topic=a.topic, presenter=a.presenter, target_group=a.target_group, hours=a.hours, mode=a.mode)
        for a in plan.activities]
    change.budget_lines = [BudgetLine(seq=b.seq, category=b.category, scope=b.scope, amount=b.amount, note=b.note)
                           for b in plan.budget_lines]
    db.session.add(change)
    db.session.flush()
    label = policy_for_term(plan.term).policy.label
    instance = start_instance(CHANGE_PROCESS_KEY, actor=actor, school=plan.school,
                              title=plan_title(plan.school, plan.term, label, PlanKind.CHANGE),
                              data={"plan_id": change.id}, key_prefix="JHBG")
    change.instance_id = instance.id
    audit.record("plan.change_request", actor=actor, instance=instance, plan_id=change.id, base_plan_id=plan.id)
    return change


# -- the draft form ----------------------------------------------------------------------------

def approved_projects(school: OrgUnit) -> list[ProjectApplication]:
    """The school's 立项 projects, which a plan may link."""
    return list(db.session.scalars(select(ProjectApplication).where(
        ProjectApplication.school_id == school.id, ProjectApplication.status == ProjectStatus.APPROVED)
        .order_by(ProjectApplication.code)))


def _blank(row: Mapping[str, Any], names: Sequence[str]) -> bool:
    return all(row.get(n) in (None, "", []) for n in names)


ACTIVITY_FIELDS = ("planned_date", "period", "alt_date", "form", "topic", "presenter", "target_group", "hours")
BUDGET_FIELDS = ("category", "amount", "note")


def filled_rows(rows: Sequence[Mapping[str, Any]], names: Sequence[str]) -> list[tuple[int, Mapping[str, Any]]]:
    """(1-based position, row) of the rows the user filled in; blank rows are ignored."""
    return [(i, row) for i, row in enumerate(rows, 1) if not _blank(row, names)]


def facts_from_rows(term: Term, activities: Sequence[tuple[int, Mapping[str, Any]]],
                    budget: Sequence[tuple[int, Mapping[str, Any]]], declared_funds: Decimal | None) -> PlanFacts:
    return PlanFacts(
        term_start=term.start_date, term_end=term.end_date,
        activities=[ActivityLine(i, r.get("planned_date"), r.get("period"), r.get("alt_date")) for i, r in activities],
        budget=[BudgetItem(i, r.get("category") or "", r.get("scope") or "school_based",
                           Decimal(str(r.get("amount") or 0))) for i, r in budget],
        declared_funds=declared_funds)


def facts_of(plan: ResearchPlan) -> PlanFacts:
    return PlanFacts(
        term_start=plan.term.start_date, term_end=plan.term.end_date,
        activities=[ActivityLine(i, a.planned_date, a.period, a.alt_date) for i, a in enumerate(plan.activities, 1)],
        budget=[BudgetItem(i, b.category, b.scope, b.amount) for i, b in enumerate(plan.budget_lines, 1)],
        declared_funds=plan.declared_funds)


def run_checks(facts: PlanFacts, in_force: PolicyInForce) -> list[Finding]:
    return check_plan(facts, in_force.policy, citations(in_force))


def _row_errors(row: Mapping[str, Any], number: int, kind: str) -> None:
    """Rules a single row must meet whatever the policy says (the form checks types and ranges)."""
    if kind == "activity":
        for name, message in (("planned_date", _("请填写日期")), ("topic", _("请填写主题")),
                              ("form", _("请选择研修方式")), ("hours", _("请填写学时"))):
            if row.get(name) in (None, ""):
                raise InvalidInput(_("第 %(row)s 项活动：%(message)s", row=number, message=message), field="activities")
        if row.get("form") not in RESEARCH_FORMS:
            raise InvalidInput(_("第 %(row)s 项活动：研修方式无效", row=number), field="activities")
        if row.get("target_group") and row["target_group"] not in TARGET_GROUPS:
            raise InvalidInput(_("第 %(row)s 项活动：研修对象无效", row=number), field="activities")
        if row.get("mode") not in ACTIVITY_MODES:
            raise InvalidInput(_("第 %(row)s 项活动：请选择集中或非集中", row=number), field="activities")
    else:
        if row.get("category") not in EXPENSE_CATEGORIES:
            raise InvalidInput(_("第 %(row)s 行经费：请选择开支类别", row=number), field="budget_lines")
        if row.get("scope") not in BUDGET_SCOPES:
            raise InvalidInput(_("第 %(row)s 行经费：请选择经费用途", row=number), field="budget_lines")
        if row.get("amount") in (None, ""):
            raise InvalidInput(_("第 %(row)s 行经费：请填写金额", row=number), field="budget_lines")


def apply_form(plan: ResearchPlan, data: Mapping[str, Any], *, submitting: bool) -> None:
    """Copy validated form data onto a plan that is still being drafted.

    Blank rows are dropped; keys of existing planned activities are kept so that activity
    records stay linked across versions. Raises :class:`InvalidInput`; the caller rolls back.
    """
    if plan.is_frozen or plan.status not in (PlanStatus.DRAFT, PlanStatus.RETURNED):
        raise Conflict(_("计划已提交或已定稿，不能再修改"))
    allowed_projects = {p.id for p in approved_projects(plan.school)}
    project_ids = [int(p) for p in data.get("project_ids") or []]
    if any(p not in allowed_projects for p in project_ids):
        raise InvalidInput(_("只能关联本校已立项的项目"), field="project_ids")
    activities = filled_rows(data.get("activities") or [], ACTIVITY_FIELDS)
    budget = filled_rows(data.get("budget_lines") or [], BUDGET_FIELDS)
    for number, row in activities:
        _row_errors(row, number, "activity")
    for number, row in budget:
        _row_errors(row, number, "budget")
    if submitting:
        if not activities:
            raise InvalidInput(_("请至少填写一项计划活动"), field="activities")
        if plan.kind == PlanKind.CHANGE and not (data.get("change_reason") or "").strip():
            raise InvalidInput(_("请说明变更原因"), field="change_reason")
    plan.goals = (data.get("goals") or "").strip()
    plan.project_ids = project_ids
    plan.declared_funds = data.get("declared_funds")
    plan.change_reason = (data.get("change_reason") or "").strip()
    old = {a.key: a for a in plan.activities}
    plan.activities.clear()
    plan.budget_lines.clear()
    db.session.flush()
    for seq, (_number, row) in enumerate(activities, 1):
        key = row.get("key") if row.get("key") in old else _new_key()
        plan.activities.append(PlannedActivity(
            seq=seq, key=key, planned_date=row.get("planned_date"), period=row.get("period"),
            alt_date=row.get("alt_date"), form=row.get("form") or "", topic=(row.get("topic") or "").strip(),
            presenter=(row.get("presenter") or "").strip(), target_group=row.get("target_group") or "",
            hours=row.get("hours"), mode=row.get("mode") or "集中"))
    for seq, (_number, row) in enumerate(budget, 1):
        plan.budget_lines.append(BudgetLine(seq=seq, category=row["category"], scope=row.get("scope") or "school_based",
                                            amount=row["amount"], note=(row.get("note") or "").strip()))


def record_checks(plan: ResearchPlan) -> list[Finding]:
    """Check the stored plan against the policy in force for its term and remember the result."""
    in_force = policy_for_term(plan.term)
    findings = run_checks(facts_of(plan), in_force)
    plan.check_result = [f.to_dict() for f in findings]
    plan.policy_version_id = in_force.version_id
    return findings


# -- service-task operations -------------------------------------------------------------------

def _plan_of(params: Mapping[str, Any]) -> ResearchPlan:
    plan = db.session.get(ResearchPlan, int(params["plan_id"]))
    if plan is None:
        raise NotFound(_("研修计划 %(id)s 不存在", id=params["plan_id"]))
    return plan


def check_operation(ctx: OperationContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """Service task「按区域政策检查计划」: run the region's checks on the submitted plan."""
    plan = _plan_of(params)
    findings = record_checks(plan)
    audit.record("plan.check", actor=ctx.actor, instance=ctx.instance, plan_id=plan.id,
                 blocking=len(blocking(findings)), warnings=len(warnings(findings)),
                 policy_version_id=plan.policy_version_id)
    return {"blocking": len(blocking(findings)), "warnings": len(warnings(findings))}


def review_levels(plan: ResearchPlan) -> dict[str, bool]:
    """Which review levels apply to this plan under the policy in force for its term."""
    policy = policy_for_term(plan.term).policy
    levels = policy.change_levels if plan.kind == PlanKind.CHANGE else policy.plan_levels
    direct = plan.school.is_direct and policy["approval.skip_township_for_direct"]
    # A 直属 school skips the township and goes straight to the centre, even in a township-only chain.
    return {"organizer": "organizer" in levels and plan.kind == PlanKind.TERM,
            "township": "township" in levels and not direct,
            "city": "city" in levels or (direct and "township" in levels)}


def route_operation(ctx: OperationContext, params: Mapping[str, Any]) -> dict[str, bool]:
    """Service task「确定审批层级」: the levels the gateways then take or skip."""
    plan = _plan_of(params)
    levels = review_levels(plan)
    audit.record("plan.route", actor=ctx.actor, instance=ctx.instance, plan_id=plan.id, **levels)
    return levels


def freeze_operation(ctx: OperationContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """Service task「计划定稿」: freeze the plan as the next version; a change supersedes its base."""
    plan = _plan_of(params)
    previous = db.session.scalar(select(func.max(ResearchPlan.version_no)).where(
        ResearchPlan.school_id == plan.school_id, ResearchPlan.term_id == plan.term_id)) or 0
    plan.version_no = previous + 1
    plan.status = PlanStatus.APPROVED
    plan.approved_at = utcnow()
    if plan.base_plan is not None and plan.base_plan.status == PlanStatus.APPROVED:
        plan.base_plan.status = PlanStatus.SUPERSEDED
    audit.record("plan.freeze", actor=ctx.actor, instance=ctx.instance, plan_id=plan.id, version=plan.version_no)
    return {"version": plan.version_no}


# -- status, due dates, lists ------------------------------------------------------------------

_STATUS_BY_STEP = {
    "Task_organizer": PlanStatus.ORGANIZER_REVIEW,
    "Task_principal": PlanStatus.PRINCIPAL_REVIEW,
    "Task_township": PlanStatus.TOWNSHIP_REVIEW,
    "Task_city": PlanStatus.CITY_REVIEW,
}


def refresh_status(plan: ResearchPlan, instance: ProcessInstance, open_tasks: list[HumanTask]) -> None:
    if instance.status == InstanceStatus.COMPLETED:
        if instance.outcome != "End_approved":
            plan.status = PlanStatus.REJECTED
            plan.open_key = None   # a rejected plan may be replaced by a new one
        return
    step = open_tasks[0].bpmn_id if open_tasks else None
    if step in _STATUS_BY_STEP:
        plan.status = _STATUS_BY_STEP[step]
    else:
        plan.status = PlanStatus.RETURNED if plan.round > 0 else PlanStatus.DRAFT


def plan_for_instance(instance_id: int) -> ResearchPlan | None:
    return db.session.scalars(select(ResearchPlan).where(ResearchPlan.instance_id == instance_id)).first()


def visible_plans_query(user: User) -> Select[Any]:
    return (select(ResearchPlan).join(OrgUnit, ResearchPlan.school_id == OrgUnit.id)
            .where(or_(org_scope_clause(user, OrgUnit.path), ResearchPlan.created_by_id == user.id)))


def list_plans(user: User, *, term_id: int | None = None, school_id: int | None = None,
               status: str | None = None, page: int = 1, per_page: int = 30) -> Page:
    stmt = visible_plans_query(user)
    if term_id:
        stmt = stmt.where(ResearchPlan.term_id == term_id)
    if school_id:
        stmt = stmt.where(ResearchPlan.school_id == school_id)
    if status:
        stmt = stmt.where(ResearchPlan.status == PlanStatus(status))
    count = select(func.count()).select_from(stmt.with_only_columns(ResearchPlan.id).subquery())
    stmt = (stmt.options(joinedload(ResearchPlan.school), joinedload(ResearchPlan.term))
            .order_by(ResearchPlan.updated_at.desc(), ResearchPlan.id.desc()))
    return paginate(stmt, count, page, per_page)


def get_visible_plan(plan_id: int, user: User) -> ResearchPlan:
    plan = db.session.get(ResearchPlan, plan_id)
    if plan is None or not (oversees(user, plan.school) or plan.created_by_id == user.id):
        raise NotFound(_("找不到该研修计划，或您没有查看权限"))
    return plan


def plan_versions(plan: ResearchPlan) -> list[ResearchPlan]:
    """Every approved or superseded version of the school's plan for the term, oldest first."""
    return list(db.session.scalars(select(ResearchPlan).where(
        ResearchPlan.school_id == plan.school_id, ResearchPlan.term_id == plan.term_id,
        ResearchPlan.version_no.is_not(None)).order_by(ResearchPlan.version_no)))


def draft_task_for(plan: ResearchPlan, user: User) -> HumanTask | None:
    task = db.session.scalars(select(HumanTask).where(
        HumanTask.instance_id == plan.instance_id, HumanTask.status == TaskStatus.OPEN,
        HumanTask.form_key == "plan.draft")).first()
    return task if task is not None and can_act(user, task) else None


@dataclass(frozen=True)
class ActivityDiff:
    """How a change request's activity differs from the version it changes."""

    added: frozenset[str]
    changed: frozenset[str]
    removed: list[PlannedActivity]


def diff_activities(plan: ResearchPlan) -> ActivityDiff | None:
    if plan.base_plan is None:
        return None
    base = {a.key: a for a in plan.base_plan.activities}
    mine = {a.key: a for a in plan.activities}
    fields = ("planned_date", "period", "alt_date", "form", "topic", "presenter", "target_group", "hours", "mode")
    changed = frozenset(k for k, a in mine.items() if k in base and any(
        getattr(a, f) != getattr(base[k], f) for f in fields))
    return ActivityDiff(frozenset(mine) - frozenset(base), changed, [a for k, a in base.items() if k not in mine])


def plan_already_open(school: OrgUnit, term: Term) -> str | None:
    """Why a school needs no new plan for the term (it has one that was not rejected), or None."""
    existing = db.session.scalars(select(ResearchPlan).where(
        ResearchPlan.open_key == f"{school.id}:{term.id}")).first()
    if existing is None:
        return None
    shown = current_plan(school.id, term.id) or existing
    return _("已有计划（%(status)s）", status=_(shown.status.label))


def start_term_plan(school: OrgUnit, term: Term, actor: User) -> ResearchPlan:
    return create_plan(school, term, actor=actor)
