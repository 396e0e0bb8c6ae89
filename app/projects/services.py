"""项目申报 services: creating applications, editing drafts, 立项, and listing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from app import audit
from app.access import can_act, org_scope_clause, oversees
from app.errors import Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.models import (
    HumanTask,
    InstanceStatus,
    Opinion,
    OrgType,
    OrgUnit,
    ProcessInstance,
    ProjectApplication,
    ProjectStatus,
    Role,
    TaskStatus,
    Term,
    User,
)
from app.models.base import utcnow
from app.pagination import Page, paginate
from app.processes.registry import OperationContext
from app.processes.runtime import start_instance
from app.regions import region_id_of as region_of
from app.sequences import next_value
from app.vocab import RESEARCH_DOMAINS

PROCESS_KEY = "project_application"
UNTITLED = "（未命名申报）"


def terms_for(school: OrgUnit) -> list[Term]:
    return list(db.session.scalars(select(Term).where(Term.region_id == region_of(school))
                                   .order_by(Term.start_date)))


def schools_for_applicant(user: User) -> list[OrgUnit]:
    """Schools where the user may start an application (as 学校管理员)."""
    return [ra.org for ra in user.roles if ra.role == Role.SCHOOL_ADMIN and ra.org.type == OrgType.SCHOOL]


def create_application(*, actor: User, school_id: int) -> ProjectApplication:
    """Create an empty application for the school and start its 项目申报 process.

    The drafting task goes straight to the actor's 待办; the draft can be saved any number of times.
    """
    school = db.session.get(OrgUnit, school_id)
    if school is None or school.type != OrgType.SCHOOL:
        raise NotFound(_("学校不存在"))
    if not actor.has_role(Role.SCHOOL_ADMIN, school.id):
        raise Forbidden(_("只有本校的学校管理员（师训站长）可以发起项目申报"))
    project = ProjectApplication(school_id=school.id, status=ProjectStatus.DRAFT, created_by_id=actor.id)
    db.session.add(project)
    db.session.flush()
    instance = start_instance(PROCESS_KEY, actor=actor, school=school, title=UNTITLED,
                              data={"project_id": project.id}, key_prefix="XMSB")
    project.instance_id = instance.id
    audit.record("project.create", actor=actor, instance=instance, project_id=project.id)
    return project


def _parse_team(raw: str | None) -> list[str]:
    members = [line.strip() for line in (raw or "").splitlines() if line.strip()]
    if len(members) > 30:
        raise InvalidInput(_("项目组成员最多 30 人"), field="team")
    for m in members:
        if len(m) > 50:
            raise InvalidInput(_("成员「%(name)s…」过长（每行不超过 50 字）", name=m[:10]), field="team")
    return members


def _term_id(raw: str | None, allowed: Mapping[int, Term], field: str) -> int | None:
    if not raw:
        return None
    try:
        term_id = int(raw)
    except ValueError:
        raise InvalidInput(_("请选择有效的学期"), field=field) from None
    if term_id not in allowed:
        raise InvalidInput(_("请选择有效的学期"), field=field)
    return term_id


def apply_form(project: ProjectApplication, data: Mapping[str, Any], *, submitting: bool) -> None:
    """Copy validated form data onto the record, enforcing the cross-field rules.

    Raises :class:`InvalidInput` naming the field; nothing is half-applied because the caller
    rolls back on error.
    """
    terms = {t.id: t for t in terms_for(project.school)}
    domain = data.get("domain") or None
    modules = list(data.get("modules") or [])
    if domain and modules:
        outside = [m for m in modules if m not in RESEARCH_DOMAINS[domain]]
        if outside:
            raise InvalidInput(_("模块「%(modules)s」不属于「%(domain)s」领域", modules=_("、").join(outside),
                                 domain=domain), field="modules")
    elif modules and not domain:
        raise InvalidInput(_("请先选择研修领域"), field="domain")
    start = _term_id(data.get("start_term_id"), terms, "start_term_id")
    end = _term_id(data.get("end_term_id"), terms, "end_term_id")
    if start and end and terms[end].start_date < terms[start].start_date:
        raise InvalidInput(_("结束学期不能早于开始学期"), field="end_term_id")
    project.title = (data.get("title") or "").strip()
    project.domain = domain
    project.modules = modules
    project.forms = list(data.get("forms") or [])
    project.problem = (data.get("problem") or "").strip()
    project.goals = (data.get("goals") or "").strip()
    project.target_group = data.get("target_group") or None
    project.start_term_id = start
    project.end_term_id = end
    project.leader = (data.get("leader") or "").strip()
    project.team = _parse_team(data.get("team"))
    project.planned_hours = data.get("planned_hours")
    project.budget = data.get("budget")
    project.expected_outcomes = (data.get("expected_outcomes") or "").strip()
    if project.instance is not None:
        project.instance.title = project.title or UNTITLED


def register_project(ctx: OperationContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """Service task「立项：生成项目编号」: assign the project code and mark the project 立项."""
    project = db.session.get(ProjectApplication, int(params["project_id"]))
    if project is None:
        raise NotFound(_("申报 %(id)s 不存在", id=params["project_id"]))
    if project.code is None:
        year = utcnow().year
        project.code = f"XM{year}{next_value(f'project_code:{year}'):04d}"
    project.status = ProjectStatus.APPROVED
    project.approved_at = utcnow()
    audit.record("project.register", actor=ctx.actor, instance=ctx.instance, project_id=project.id,
                 code=project.code)
    return {"code": project.code}


def project_for_instance(instance_id: int) -> ProjectApplication | None:
    return db.session.scalars(select(ProjectApplication).where(ProjectApplication.instance_id == instance_id)).first()


#: The open step's role determines the status shown in lists.
_STATUS_BY_ROLE = {
    Role.PRINCIPAL.value: ProjectStatus.PRINCIPAL_REVIEW,
    Role.TOWNSHIP_REVIEWER.value: ProjectStatus.TOWNSHIP_REVIEW,
    Role.CITY_REVIEWER.value: ProjectStatus.CITY_REVIEW,
}


def refresh_status(project: ProjectApplication, instance: ProcessInstance, open_tasks: list[HumanTask]) -> None:
    """Derive the list status from where the case stands: its end event, or its open step's role."""
    if instance.status == InstanceStatus.TERMINATED:
        project.status = ProjectStatus.TERMINATED
        return
    if instance.status == InstanceStatus.COMPLETED:
        project.status = ProjectStatus.APPROVED if instance.outcome == "End_approved" else ProjectStatus.REJECTED
        return
    role = open_tasks[0].role if open_tasks else None
    if role in _STATUS_BY_ROLE:
        project.status = _STATUS_BY_ROLE[role]
    elif project.round == 0 or _last_opinion_action(instance.id) == "withdraw":
        # A submission the applicant took back (撤回) is theirs to edit again, not 退回 by a reviewer.
        project.status = ProjectStatus.DRAFT
    else:
        project.status = ProjectStatus.RETURNED


def _last_opinion_action(instance_id: int) -> str | None:
    return db.session.scalar(select(Opinion.action).where(Opinion.instance_id == instance_id)
                             .order_by(Opinion.id.desc()).limit(1))


def visible_projects_query(user: User) -> Select[Any]:
    return (select(ProjectApplication).join(OrgUnit, ProjectApplication.school_id == OrgUnit.id)
            .where(or_(org_scope_clause(user, OrgUnit.path), ProjectApplication.created_by_id == user.id)))


def list_projects(user: User, *, school_id: int | None = None, status: str | None = None,
                  term_id: int | None = None, q: str | None = None, page: int = 1, per_page: int = 30) -> Page:
    stmt = visible_projects_query(user)
    if school_id:
        stmt = stmt.where(ProjectApplication.school_id == school_id)
    if status:
        stmt = stmt.where(ProjectApplication.status == ProjectStatus(status))
    if term_id:
        stmt = stmt.where(ProjectApplication.start_term_id == term_id)
    if q:
        stmt = stmt.where(ProjectApplication.title.contains(q, autoescape=True) | (ProjectApplication.code == q))
    count = select(func.count()).select_from(stmt.with_only_columns(ProjectApplication.id).subquery())
    stmt = (stmt.options(joinedload(ProjectApplication.school), joinedload(ProjectApplication.start_term))
            .order_by(ProjectApplication.updated_at.desc(), ProjectApplication.id.desc()))
    return paginate(stmt, count, page, per_page)


def visible_schools(user: User) -> list[OrgUnit]:
    """Schools in the user's scope, for the list filter."""
    return list(db.session.scalars(select(OrgUnit).where(
        OrgUnit.type == OrgType.SCHOOL, org_scope_clause(user, OrgUnit.path)).order_by(OrgUnit.code)))


def get_visible_project(project_id: int, user: User) -> ProjectApplication:
    project = db.session.get(ProjectApplication, project_id)
    if project is None or not (oversees(user, project.school) or project.created_by_id == user.id):
        raise NotFound(_("找不到该申报，或您没有查看权限"))
    return project


def draft_task_for(project: ProjectApplication, user: User) -> HumanTask | None:
    """The open「填写申报书」task, if ``user`` may act on it (only then may attachments change)."""
    task = db.session.scalars(select(HumanTask).where(
        HumanTask.instance_id == project.instance_id, HumanTask.status == TaskStatus.OPEN,
        HumanTask.form_key == "project.draft")).first()
    return task if task is not None and can_act(user, task) else None
