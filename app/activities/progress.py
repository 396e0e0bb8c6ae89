"""Live term progress per school, township and region (domain.md §3.6 W2b step 6; seed 002
公布各校培训进度): activities held / planned / required, attendance rate, funding used."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select

from app.access import oversees
from app.extensions import db
from app.models import ActivityRecord, Attendance, BudgetLine, OrgUnit, PlanStatus, ResearchPlan, Term, User
from app.policy.services import policy_for_term
from app.regions import region_schools, township_of

ATTENDED = ("present", "late", "self_study")


@dataclass
class Progress:
    planned: int = 0
    held: int = 0
    held_as_planned: int = 0
    attended: int = 0
    attendance_entries: int = 0
    budget: Decimal = Decimal("0")
    spent: Decimal = Decimal("0")

    def add(self, other: Progress) -> None:
        for name in ("planned", "held", "held_as_planned", "attended", "attendance_entries", "budget", "spent"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def attendance_rate(self) -> Decimal | None:
        if not self.attendance_entries:
            return None
        return Decimal(self.attended * 100) / self.attendance_entries

    @property
    def spent_ratio(self) -> Decimal | None:
        return self.spent * 100 / self.budget if self.budget else None


@dataclass
class SchoolProgress:
    school: OrgUnit
    plan: ResearchPlan | None
    plan_status: PlanStatus | None
    numbers: Progress
    required: int | None

    @property
    def meets_minimum(self) -> bool | None:
        return None if self.required is None else self.numbers.held >= self.required


@dataclass
class TownshipProgress:
    township: OrgUnit | None          # None: the region's 直属 schools
    schools: list[SchoolProgress] = field(default_factory=list)
    total: Progress = field(default_factory=Progress)


def term_progress(user: User, term: Term) -> tuple[list[TownshipProgress], Progress, int | None]:
    """Progress of every school of the term's region that ``user`` oversees, grouped by township."""
    schools = [s for s in region_schools(term.region_id) if oversees(user, s)]
    ids = [s.id for s in schools]
    required = policy_for_term(term).policy.min_activities
    plans = list(db.session.scalars(select(ResearchPlan).where(
        ResearchPlan.term_id == term.id, ResearchPlan.school_id.in_(ids)).order_by(ResearchPlan.id)))
    current: dict[int, ResearchPlan] = {}
    latest: dict[int, ResearchPlan] = {}
    for p in plans:
        latest[p.school_id] = p
        if p.status == PlanStatus.APPROVED and (p.school_id not in current
                                                or (p.version_no or 0) > (current[p.school_id].version_no or 0)):
            current[p.school_id] = p
    keys: dict[int, set[str]] = {sid: {a.key for a in p.activities} for sid, p in current.items()}
    budgets = dict(db.session.execute(select(ResearchPlan.school_id, func.sum(BudgetLine.amount))
                                      .join(BudgetLine, BudgetLine.plan_id == ResearchPlan.id)
                                      .where(ResearchPlan.id.in_([p.id for p in current.values()]))
                                      .group_by(ResearchPlan.school_id)).all())
    numbers: dict[int, Progress] = defaultdict(Progress)
    for sid, held, spent in db.session.execute(
            select(ActivityRecord.school_id, func.count(ActivityRecord.id), func.sum(ActivityRecord.cost))
            .where(ActivityRecord.term_id == term.id, ActivityRecord.school_id.in_(ids))
            .group_by(ActivityRecord.school_id)):
        numbers[sid].held, numbers[sid].spent = held, Decimal(spent or 0)
    for sid, key in db.session.execute(select(ActivityRecord.school_id, ActivityRecord.planned_key).distinct().where(
            ActivityRecord.term_id == term.id, ActivityRecord.school_id.in_(ids),
            ActivityRecord.planned_key.is_not(None))):
        if key in keys.get(sid, set()):
            numbers[sid].held_as_planned += 1
    for sid, status, count in db.session.execute(
            select(ActivityRecord.school_id, Attendance.status, func.count(Attendance.id))
            .join(Attendance, Attendance.activity_id == ActivityRecord.id)
            .where(ActivityRecord.term_id == term.id, ActivityRecord.school_id.in_(ids))
            .group_by(ActivityRecord.school_id, Attendance.status)):
        numbers[sid].attendance_entries += count
        if status.value in ATTENDED:
            numbers[sid].attended += count
    groups: dict[int | None, TownshipProgress] = {}
    grand = Progress()
    for school in schools:
        n = numbers[school.id]
        plan = current.get(school.id)
        n.planned = len(plan.activities) if plan else 0
        n.budget = Decimal(budgets.get(school.id) or 0)
        township = township_of(school)
        group = groups.setdefault(township.id if township else None, TownshipProgress(township))
        status = plan.status if plan else (latest[school.id].status if school.id in latest else None)
        group.schools.append(SchoolProgress(school, plan or latest.get(school.id), status, n, required))
        group.total.add(n)
        grand.add(n)
    ordered = sorted(groups.values(), key=lambda g: (g.township is None, g.township.code if g.township else ""))
    return ordered, grand, required
