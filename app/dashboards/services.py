"""Dashboard figures for a term: one row per school in the viewer's scope, totals per township, and the
average time each approval step took.

Every figure is one aggregate query (GROUP BY school, or by process and step) over the schools in scope,
never a query per school, so a city of several hundred schools costs the same handful of statements.
Scope follows :func:`app.access.org_scope_clause`: city staff see the region, a township reviewer their
township, a school's own people their school's row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, case, func, select

from app.access import org_scope_clause
from app.errors import NotFound
from app.extensions import db
from app.models import (
    ActivityRecord,
    Attendance,
    AttendanceStatus,
    CreditBatch,
    CreditRecord,
    CreditStatus,
    HumanTask,
    Inspection,
    InspectionCampaign,
    InspectionStatus,
    OrderStatus,
    OrgType,
    OrgUnit,
    PlanStatus,
    ProcessDefinition,
    ProcessInstance,
    RectificationOrder,
    ResearchPlan,
    TaskStatus,
    Term,
    User,
)
from app.models.base import utcnow
from app.models.user import OVERSIGHT_ROLES
from app.policy.services import policy_for_term
from app.regions import current_term, region_id_of, region_terms, term_bounds

#: Attendance counted as taking part (as the inspection metric counts it: 自学替代 stands in).
ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.SELF_STUDY)
#: 整改 orders issued and not yet closed.
OPEN_ORDERS = (OrderStatus.ISSUED, OrderStatus.IN_PROGRESS, OrderStatus.VERIFYING)


@dataclass
class SchoolRow:
    school: OrgUnit
    township: OrgUnit | None
    plans_approved: int = 0
    activities_held: int = 0
    attendance_total: int = 0
    attendance_attended: int = 0
    credit_teachers: int = 0
    credits: Decimal = Decimal("0.00")
    grades: dict[str, int] = field(default_factory=dict)
    #: The latest published inspection of the term (the link behind the grade).
    inspection_id: int | None = None
    orders_open: int = 0
    orders_overdue: int = 0
    orders_closed: int = 0

    @property
    def attendance_rate(self) -> Decimal | None:
        if not self.attendance_total:
            return None
        return (Decimal(self.attendance_attended * 100) / self.attendance_total).quantize(Decimal("0.1"))


@dataclass
class TownshipRow:
    """Totals over the schools of a township (or of the 直属 schools when ``township`` is None)."""

    township: OrgUnit | None
    schools: int = 0
    plans_approved: int = 0
    activities_held: int = 0
    attendance_total: int = 0
    attendance_attended: int = 0
    credit_teachers: int = 0
    credits: Decimal = Decimal("0.00")
    grades: dict[str, int] = field(default_factory=dict)
    orders_open: int = 0
    orders_overdue: int = 0
    orders_closed: int = 0

    attendance_rate = SchoolRow.attendance_rate

    def add(self, row: SchoolRow) -> None:
        self.schools += 1
        for name in ("plans_approved", "activities_held", "attendance_total", "attendance_attended",
                     "credit_teachers", "credits", "orders_open", "orders_overdue", "orders_closed"):
            setattr(self, name, getattr(self, name) + getattr(row, name))
        for grade, n in row.grades.items():
            self.grades[grade] = self.grades.get(grade, 0) + n


@dataclass
class StepRow:
    process_key: str
    process: str         # the process's name (of its latest definition among the rows)
    step: str
    count: int
    avg_hours: float
    max_hours: float


@dataclass
class Dashboard:
    region_id: int
    term: Term
    terms: list[Term]
    townships: list[OrgUnit]
    township: OrgUnit | None
    required: int | None
    schools: list[SchoolRow]
    totals: list[TownshipRow]
    steps: list[StepRow]

    @property
    def overall(self) -> TownshipRow:
        total = TownshipRow(None)
        for row in self.schools:
            total.add(row)
        return total


@dataclass(frozen=True)
class Filters:
    term_id: int | None = None
    township_id: int | None = None


# -- scope --------------------------------------------------------------------------------------
def visible_townships(user: User, region_id: int) -> list[OrgUnit]:
    """Townships of the region inside the user's scope (the township filter's choices)."""
    region = db.session.get(OrgUnit, region_id)
    rows = db.session.scalars(select(OrgUnit).where(
        OrgUnit.type == OrgType.TOWNSHIP, OrgUnit.path.startswith(region.path, autoescape=True),
        org_scope_clause(user, OrgUnit.path)).order_by(OrgUnit.code))
    return list(rows)


def school_scope(user: User, region_id: int, township: OrgUnit | None) -> Select[Any]:
    """``SELECT org_unit.id`` of the schools the dashboard covers."""
    region = db.session.get(OrgUnit, region_id)
    stmt = select(OrgUnit.id).where(OrgUnit.type == OrgType.SCHOOL, OrgUnit.active.is_(True),
                                    OrgUnit.path.startswith(region.path, autoescape=True),
                                    org_scope_clause(user, OrgUnit.path))
    if township is not None:
        stmt = stmt.where(OrgUnit.path.startswith(township.path, autoescape=True))
    return stmt


def resolve(user: User, filters: Filters) -> tuple[int, Term, list[Term], list[OrgUnit], OrgUnit | None]:
    """The region, term and township the dashboard shows (404 for a term or township out of reach)."""
    # The region of the user's oversight roles (a teacher role elsewhere does not choose the region).
    regions = sorted({region_id_of(ra.org) for ra in user.roles if ra.role in OVERSIGHT_ROLES})
    if not regions:
        raise NotFound(_("没有可查看的区域"))
    region_id = regions[0]
    terms = region_terms(region_id)
    if filters.term_id:
        term = next((t for t in terms if t.id == filters.term_id), None)
    else:
        term = current_term(region_id, utcnow().date())
    if term is None:
        raise NotFound(_("学期不存在"))
    townships = visible_townships(user, region_id)
    township = None
    if filters.township_id:
        township = next((t for t in townships if t.id == filters.township_id), None)
        if township is None:
            raise NotFound(_("找不到该乡镇，或您没有查看权限"))
    return region_id, term, terms, townships, township


# -- the figures --------------------------------------------------------------------------------
def _by_school(stmt: Select[Any]) -> dict[int, Any]:
    return {row[0]: row for row in db.session.execute(stmt)}


def _seconds(start: ColumnElement[datetime], end: ColumnElement[datetime]) -> ColumnElement[float]:
    """``end - start`` in seconds, in the dialect at hand."""
    if db.engine.dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def school_figures(user: User, region_id: int, term: Term, township: OrgUnit | None) -> list[SchoolRow]:
    """One row per school in scope with every figure of ``term`` (six aggregate queries in all)."""
    scope = school_scope(user, region_id, township)
    ids = scope
    schools = list(db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)).order_by(OrgUnit.code)))
    region = db.session.get(OrgUnit, region_id)
    townships = {t.id: t for t in db.session.scalars(select(OrgUnit).where(
        OrgUnit.type == OrgType.TOWNSHIP, OrgUnit.path.startswith(region.path, autoescape=True)))}
    rows = {s.id: SchoolRow(s, _township_of(s, townships)) for s in schools}
    if not rows:
        return []

    plans = _by_school(select(ResearchPlan.school_id, func.count(ResearchPlan.id)).where(
        ResearchPlan.school_id.in_(ids), ResearchPlan.term_id == term.id, ResearchPlan.status == PlanStatus.APPROVED)
        .group_by(ResearchPlan.school_id))
    activities = _by_school(select(ActivityRecord.school_id, func.count(ActivityRecord.id)).where(
        ActivityRecord.school_id.in_(ids), ActivityRecord.term_id == term.id).group_by(ActivityRecord.school_id))
    attended = func.sum(case((Attendance.status.in_(ATTENDED), 1), else_=0))
    attendance = _by_school(select(ActivityRecord.school_id, func.count(Attendance.id), attended)
                            .join(Attendance, Attendance.activity_id == ActivityRecord.id)
                            .where(ActivityRecord.school_id.in_(ids), ActivityRecord.term_id == term.id)
                            .group_by(ActivityRecord.school_id))
    # Through the term's batches, so the (batch, status) index does the work.
    batches = select(CreditBatch.id).where(CreditBatch.school_id.in_(ids), CreditBatch.term_id == term.id)
    credits = _by_school(select(CreditRecord.school_id, func.count(func.distinct(CreditRecord.teacher_id)),
                                func.sum(CreditRecord.credits))
                         .where(CreditRecord.batch_id.in_(batches), CreditRecord.status == CreditStatus.REGISTERED)
                         .group_by(CreditRecord.school_id))
    grades = db.session.execute(
        select(Inspection.school_id, Inspection.grade, func.count(Inspection.id), func.max(Inspection.id))
        .join(InspectionCampaign, InspectionCampaign.id == Inspection.campaign_id)
        .where(Inspection.school_id.in_(ids), InspectionCampaign.term_id == term.id,
               Inspection.status == InspectionStatus.PUBLISHED)
        .group_by(Inspection.school_id, Inspection.grade)).all()
    start, end = term_bounds(term)
    orders = _by_school(select(
        RectificationOrder.school_id,
        func.sum(case((RectificationOrder.status.in_(OPEN_ORDERS), 1), else_=0)),
        func.sum(case((RectificationOrder.overdue.is_(True), 1), else_=0)),
        func.sum(case((RectificationOrder.status == OrderStatus.CLOSED, 1), else_=0)))
        .where(RectificationOrder.school_id.in_(ids), *issued_in(start, end))
        .group_by(RectificationOrder.school_id))

    for school_id, row in rows.items():
        row.plans_approved = plans[school_id][1] if school_id in plans else 0
        row.activities_held = activities[school_id][1] if school_id in activities else 0
        if school_id in attendance:
            row.attendance_total, row.attendance_attended = int(attendance[school_id][1]), int(attendance[school_id][2] or 0)
        if school_id in credits:
            row.credit_teachers = int(credits[school_id][1])
            row.credits = Decimal(credits[school_id][2] or 0).quantize(Decimal("0.01"))
        if school_id in orders:
            _sid, opened, overdue, closed = orders[school_id]
            row.orders_open, row.orders_overdue, row.orders_closed = int(opened or 0), int(overdue or 0), int(closed or 0)
    for school_id, grade, count, latest in grades:
        row = rows[school_id]
        label = grade or _("未定等级")
        row.grades[label] = row.grades.get(label, 0) + count
        row.inspection_id = max(row.inspection_id or 0, latest)
    return list(rows.values())


def issued_in(start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    """整改 orders belong to the term in which they were issued (drafts have no term yet)."""
    return [RectificationOrder.issued_at >= start, RectificationOrder.issued_at < end]


def _township_of(school: OrgUnit, townships: dict[int, OrgUnit]) -> OrgUnit | None:
    return next((townships[i] for i in school.ancestor_ids()[1:] if i in townships), None)


def township_totals(rows: list[SchoolRow]) -> list[TownshipRow]:
    """Sum the school rows per township; 直属 schools (no township) come last."""
    totals: dict[int | None, TownshipRow] = {}
    for row in rows:
        key = row.township.id if row.township else None
        totals.setdefault(key, TownshipRow(row.township)).add(row)
    return sorted(totals.values(), key=lambda t: (t.township is None, t.township.code if t.township else ""))


def step_query(user: User, region_id: int, term: Term, township: OrgUnit | None) -> Select[Any]:
    """Completed human tasks of the schools in scope that finished within the term."""
    start, end = term_bounds(term)
    return (select(HumanTask).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(ProcessInstance.school_id.in_(school_scope(user, region_id, township)),
                   HumanTask.status == TaskStatus.COMPLETED, HumanTask.completed_at >= start,
                   HumanTask.completed_at < end))


def step_times(user: User, region_id: int, term: Term, township: OrgUnit | None) -> list[StepRow]:
    """Average time from a task's creation to its completion, per process and step name."""
    seconds = _seconds(HumanTask.created_at, HumanTask.completed_at)
    stmt = (step_query(user, region_id, term, township)
            .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
            .with_only_columns(ProcessInstance.process_key, func.max(ProcessDefinition.name), HumanTask.name,
                               func.count(HumanTask.id), func.avg(seconds), func.max(seconds))
            .group_by(ProcessInstance.process_key, HumanTask.name)
            .order_by(ProcessInstance.process_key, HumanTask.name))
    return [StepRow(key, process, name, int(count), round(float(avg or 0) / 3600, 1), round(float(top or 0) / 3600, 1))
            for key, process, name, count, avg, top in db.session.execute(stmt)]


def build(user: User, filters: Filters) -> Dashboard:
    """The whole dashboard for ``user`` under ``filters``."""
    region_id, term, terms, townships, township = resolve(user, filters)
    rows = school_figures(user, region_id, term, township)
    return Dashboard(region_id=region_id, term=term, terms=terms, townships=townships, township=township,
                     required=policy_for_term(term).policy.min_activities, schools=rows,
                     totals=township_totals(rows), steps=step_times(user, region_id, term, township))


def format_hours(hours: float) -> str:
    if hours >= 24:
        return _("%(d)s 天", d=f"{hours / 24:.1f}")
    return _("%(h)s 小时", h=f"{hours:.1f}")


def chart_data(board: Dashboard) -> dict[str, Any]:
    """What the static chart script draws (the same figures as the tables)."""
    names = [r.school.display_name for r in board.schools]
    return {
        "activities": {"names": names, "held": [r.activities_held for r in board.schools],
                       "required": board.required, "label_held": _("已开展"), "label_required": _("最低要求")},
        "attendance": {"names": names, "rates": [float(r.attendance_rate) if r.attendance_rate is not None else None
                                                 for r in board.schools], "label": _("出勤率 %")},
        "orders": {"names": names,
                   "series": [{"name": _("整改中"), "data": [r.orders_open for r in board.schools]},
                              {"name": _("已逾期"), "data": [r.orders_overdue for r in board.schools]},
                              {"name": _("已销号"), "data": [r.orders_closed for r in board.schools]}]},
        "steps": {"names": [f"{s.process} · {s.step}" for s in board.steps],
                  "hours": [s.avg_hours for s in board.steps], "label": _("平均用时（小时）")},
    }
