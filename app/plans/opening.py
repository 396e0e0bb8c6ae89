"""Opening a term's planning (or credit registration) for every school of a region.

The centre does this before the term starts; the durable-timer worker will later do it on its own.
Each school is handled in its own savepoint, so one school that cannot start (say, it has no
school admin yet) is reported and the others still get their task.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit
from app.errors import DomainError, Forbidden, NotFound
from app.extensions import db
from app.models import OrgUnit, Role, Term, User
from app.regions import is_region_admin, region_schools


@dataclass
class OpenResult:
    started: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def can_open(user: User, region_id: int) -> bool:
    """The region's admin and the centre's reviewers may open a term for every school."""
    if is_region_admin(user, region_id):
        return True
    return any(ra.role == Role.CITY_REVIEWER and ra.org.path.startswith(f"/{region_id}/") for ra in user.roles)


def open_term(term_id: int, *, actor: User, already: Callable[[OrgUnit, Term], str | None],
              start: Callable[[OrgUnit, Term, User], object], action: str) -> OpenResult:
    """Start one instance per school of the term's region. ``already(school, term)`` returns a
    reason to skip the school (e.g. it has a plan), ``start`` creates the record and instance."""
    term = db.session.get(Term, term_id)
    if term is None:
        raise NotFound(_("学期不存在"))
    if not can_open(actor, term.region_id):
        raise Forbidden(_("只有本区域的系统管理员或市级审核员可以为全区学校开启"))
    result = OpenResult()
    # Write first: on SQLite this takes the write lock before anything is read, so a second opener
    # waits here and then sees the first one's plans (reading first and writing later would fail
    # on a stale snapshot). On PostgreSQL the unique open_key decides, school by school.
    event = audit.record(action, actor=actor, school_id=term.region_id, term=term.code)
    db.session.flush()
    for school in region_schools(term.region_id):
        reason = already(school, term)
        if reason:
            result.skipped.append((school.name, reason))
            continue
        try:
            with db.session.begin_nested():
                start(school, term, actor)
        except DomainError as err:
            result.failed.append((school.name, err.message))
            continue
        result.started.append(school.name)
    event.detail = {"term": term.code, "started": len(result.started), "skipped": len(result.skipped),
                    "failed": len(result.failed)}
    return result


def term_by_code(region_code: str, term_code: str) -> Term:
    region = db.session.scalars(select(OrgUnit).where(OrgUnit.code == region_code, OrgUnit.parent_id.is_(None))).first()
    if region is None:
        raise NotFound(_("区域 %(code)s 不存在", code=region_code))
    term = db.session.scalars(select(Term).where(Term.region_id == region.id, Term.code == term_code)).first()
    if term is None:
        raise NotFound(_("学期 %(code)s 不存在", code=term_code))
    return term
