"""待办 filters: process, school, township, term, status and due, as query arguments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.access import org_scope_clause
from app.extensions import db
from app.i18n import N_
from app.models import HumanTask, OrgType, OrgUnit, ProcessInstance, Term, User
from app.models.base import utcnow

STATUSES = {"unclaimed": N_("待认领"), "mine": N_("我认领/指派给我"), "delegated": N_("委派给我的")}
DUES = {"overdue": N_("已逾期"), "soon": N_("两天内到期")}
#: "Due soon" means within this long.
SOON = timedelta(days=2)


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


@dataclass(frozen=True)
class InboxFilter:
    process: str | None = None
    school: int | None = None
    township: int | None = None
    term: int | None = None
    status: str | None = None
    due: str | None = None
    q: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> InboxFilter:
        """Read the query arguments; values that make no sense are ignored rather than refused."""
        status = args.get("status") or None
        due = args.get("due") or None
        return cls(process=(args.get("process") or "").strip()[:100] or None, school=_int(args.get("school")),
                   township=_int(args.get("township")), term=_int(args.get("term")),
                   status=status if status in STATUSES else None, due=due if due in DUES else None,
                   q=(args.get("q") or "").strip()[:100] or None)

    @property
    def is_empty(self) -> bool:
        return not any(asdict(self).values())

    def to_args(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v}

    def conditions(self, user: User) -> list[Any]:
        """SQL conditions on HumanTask (added to the user's candidate ids)."""
        where: list[Any] = []
        instance_where: list[Any] = []
        if self.process:
            instance_where.append(ProcessInstance.process_key == self.process)
        if self.q:
            instance_where.append(ProcessInstance.title.contains(self.q, autoescape=True)
                                  | (ProcessInstance.business_key == self.q))
        if self.school:
            instance_where.append(ProcessInstance.school_id == self.school)
        if self.township:
            path = db.session.scalar(select(OrgUnit.path).where(OrgUnit.id == self.township)) or "/none/"
            instance_where.append(ProcessInstance.school_id.in_(
                select(OrgUnit.id).where(OrgUnit.path.startswith(path, autoescape=True))))
        if self.term:
            term = db.session.get(Term, self.term)
            if term is not None:
                start = datetime.combine(term.start_date, time.min, tzinfo=UTC)
                end = datetime.combine(term.end_date + timedelta(days=1), time.min, tzinfo=UTC)
                instance_where.append(ProcessInstance.started_at >= start)
                instance_where.append(ProcessInstance.started_at < end)
        if instance_where:
            where.append(HumanTask.instance_id.in_(select(ProcessInstance.id).where(*instance_where)))
        if self.status == "unclaimed":
            where.append(HumanTask.assignee_id.is_(None))
        elif self.status == "mine":
            where += [HumanTask.assignee_id == user.id, HumanTask.owner_id.is_(None)]
        elif self.status == "delegated":
            where += [HumanTask.assignee_id == user.id, HumanTask.owner_id.is_not(None)]
        now = utcnow()
        if self.due == "overdue":
            where.append(HumanTask.due_sort < now)
        elif self.due == "soon":
            where += [HumanTask.due_sort >= now, HumanTask.due_sort < now + SOON]
        return where


@dataclass(frozen=True)
class FilterChoices:
    schools: list[tuple[int, str]]
    townships: list[tuple[int, str]]
    terms: list[tuple[int, str]]
    statuses: list[tuple[str, str]]
    dues: list[tuple[str, str]]


def filter_choices(user: User) -> FilterChoices:
    """What the filter selects offer: the schools and townships in the user's scope, their terms."""
    orgs = list(db.session.scalars(select(OrgUnit).where(
        OrgUnit.type.in_((OrgType.SCHOOL, OrgType.TOWNSHIP)), org_scope_clause(user, OrgUnit.path))
        .order_by(OrgUnit.code)))
    regions = {int(ra.org.path.strip("/").split("/")[0]) for ra in user.roles}
    terms = list(db.session.scalars(select(Term).where(Term.region_id.in_(regions)).order_by(Term.start_date)))
    return FilterChoices(
        schools=[(o.id, o.display_name) for o in orgs if o.type == OrgType.SCHOOL],
        townships=[(o.id, o.display_name) for o in orgs if o.type == OrgType.TOWNSHIP],
        terms=[(t.id, t.name) for t in terms],
        statuses=[(k, _(v)) for k, v in STATUSES.items()],
        dues=[(k, _(v)) for k, v in DUES.items()])
