"""Regions: the root org of a tree. Terms, policies and calendars belong to a region."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import OrgType, OrgUnit, Role, Term, User


def region_id_of(org: OrgUnit) -> int:
    """The id of the root of the org's tree."""
    return org.ancestor_ids()[-1]


def get_region(region_id: int) -> OrgUnit | None:
    org = db.session.get(OrgUnit, region_id)
    return org if org is not None and org.parent_id is None else None


def user_region_ids(user: User) -> list[int]:
    """The regions the user works in (through any of their roles), in a stable order."""
    return sorted({region_id_of(ra.org) for ra in user.roles})


def is_region_admin(user: User, region_id: int) -> bool:
    """Region admins hold the 系统管理员 role at the region's root org; they edit its policy."""
    return user.has_role(Role.ADMIN, region_id)


def administered_regions(user: User) -> list[OrgUnit]:
    return [ra.org for ra in user.roles if ra.role == Role.ADMIN and ra.org.parent_id is None]


def region_terms(region_id: int) -> list[Term]:
    return list(db.session.scalars(select(Term).where(Term.region_id == region_id).order_by(Term.start_date)))


def current_term(region_id: int, today) -> Term | None:
    """The term in progress on ``today``, else the next one, else the last one."""
    terms = region_terms(region_id)
    for term in terms:
        if term.start_date <= today <= term.end_date:
            return term
    upcoming = [t for t in terms if t.start_date > today]
    if upcoming:
        return upcoming[0]
    return terms[-1] if terms else None


def region_schools(region_id: int) -> list[OrgUnit]:
    return list(db.session.scalars(select(OrgUnit).where(
        OrgUnit.type == OrgType.SCHOOL, OrgUnit.active.is_(True),
        OrgUnit.path.startswith(f"/{region_id}/", autoescape=True)).order_by(OrgUnit.code)))


def township_of(school: OrgUnit) -> OrgUnit | None:
    """The nearest township-level org above a school (None for 直属 schools)."""
    node = school.parent
    while node is not None:
        if node.type == OrgType.TOWNSHIP:
            return node
        node = node.parent
    return None


def academic_year(term: Term) -> int:
    """学年 of a term: a term starting in August or later belongs to that year, else the year before."""
    return term.start_date.year if term.start_date.month >= 8 else term.start_date.year - 1


def term_bounds(term: Term) -> tuple[datetime, datetime]:
    """The term as a half-open UTC datetime range [first day 00:00, the day after the last day 00:00)."""
    return (datetime.combine(term.start_date, time(), UTC),
            datetime.combine(term.end_date + timedelta(days=1), time(), UTC))
