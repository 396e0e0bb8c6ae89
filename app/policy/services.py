"""Region policies: which version is in force for a term, binding a profile, editing, history,
and the working-day calendar overrides that belong to the region's settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from app import audit
from app.errors import Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.models import CalendarOverride, OrgUnit, PolicyVersion, Term, User
from app.models.base import utcnow
from app.models.policy import BEGINNING
from app.policy.profiles import DEFAULT_KEY, all_profiles, get_profile
from app.policy.schema import DEFAULT_VALUES, SETTINGS, Policy, validate_values
from app.regions import get_region, is_region_admin, region_id_of


@dataclass(frozen=True)
class PolicyInForce:
    """The policy a term is checked against, and the stored version it comes from (None when the
    region has no policy yet and the defaults apply)."""

    version: PolicyVersion | None
    policy: Policy
    provenance: Mapping[str, Any]

    @property
    def version_id(self) -> int | None:
        return self.version.id if self.version is not None else None


def _default_in_force() -> PolicyInForce:
    profile = get_profile(DEFAULT_KEY)
    return PolicyInForce(None, Policy.of(profile.values), profile.provenance)


def version_in_force(region_id: int, on: date) -> PolicyVersion | None:
    """The version effective on ``on`` (a term's start date): the latest ``effective_from`` not
    after it, and of those the highest version number."""
    return db.session.scalars(select(PolicyVersion).where(
        PolicyVersion.region_id == region_id, PolicyVersion.effective_from <= on)
        .order_by(PolicyVersion.effective_from.desc(), PolicyVersion.version.desc()).limit(1)).first()


def policy_for_term(term: Term) -> PolicyInForce:
    """The policy a plan (or credit batch) of ``term`` is checked against."""
    return policy_on(term.region_id, term.start_date)


def policy_on(region_id: int, day: date) -> PolicyInForce:
    """The policy in force in a region on ``day`` (for cases that belong to no term, such as 整改)."""
    version = version_in_force(region_id, day)
    if version is None:
        return _default_in_force()
    return PolicyInForce(version, Policy.of(version.values), version.provenance)


def policy_for_school(school: OrgUnit, term: Term) -> PolicyInForce:
    if term.region_id != region_id_of(school):
        raise InvalidInput(_("学期不属于该学校所在区域"), field="term_id")
    return policy_for_term(term)


def versions(region_id: int) -> list[PolicyVersion]:
    """The region's history, newest first."""
    return list(db.session.scalars(select(PolicyVersion).where(PolicyVersion.region_id == region_id)
                                   .order_by(PolicyVersion.version.desc())))


def get_version(region_id: int, version_no: int) -> PolicyVersion:
    version = db.session.scalars(select(PolicyVersion).where(
        PolicyVersion.region_id == region_id, PolicyVersion.version == version_no)).first()
    if version is None:
        raise NotFound(_("该政策版本不存在"))
    return version


def _next_version_no(region_id: int) -> int:
    return (db.session.scalar(select(func.max(PolicyVersion.version))
                              .where(PolicyVersion.region_id == region_id)) or 0) + 1


def bind_profile(region_id: int, profile_key: str, *, actor: User | None,
                 effective_term: Term | None = None, note: str = "") -> PolicyVersion:
    """Give a region the values of a shipped profile, as a new version (the first, usually)."""
    region = get_region(region_id)
    if region is None:
        raise NotFound(_("区域不存在"))
    profile = get_profile(profile_key)
    version = PolicyVersion(
        region_id=region_id, version=_next_version_no(region_id), profile_key=profile.key,
        effective_term_id=effective_term.id if effective_term else None,
        effective_from=effective_term.start_date if effective_term else BEGINNING,
        values=dict(profile.values), provenance=dict(profile.provenance), changed_keys=[],
        note=note or _("采用「%(name)s」配置", name=profile.name), created_by_id=actor.id if actor else None)
    db.session.add(version)
    db.session.flush()
    audit.record("policy.bind", actor=actor, school_id=region_id, version=version.version, profile=profile.key)
    return version


def editable_terms(region_id: int, today: date) -> list[Term]:
    """Terms a change may take effect from: the current one and later ones, never a past term."""
    return list(db.session.scalars(select(Term).where(Term.region_id == region_id, Term.end_date >= today)
                                   .order_by(Term.start_date)))


def require_region_admin(user: User, region_id: int) -> None:
    if not is_region_admin(user, region_id):
        raise Forbidden(_("只有本区域的系统管理员可以修改区域政策"))


def save_version(region_id: int, values: Mapping[str, Any], *, effective_term_id: int, note: str,
                 actor: User) -> PolicyVersion:
    """Store edited values as a new version effective from a term.

    Only the region's admin may do this. The values are validated as a whole; keys that differ
    from the version in force for that term are recorded as changed, with the admin as their
    source. Raises :class:`InvalidInput` naming the first offending setting.
    """
    require_region_admin(actor, region_id)
    today = utcnow().date()
    term = db.session.get(Term, effective_term_id)
    if term is None or term.region_id != region_id or term not in editable_terms(region_id, today):
        raise InvalidInput(_("请选择本学期或以后的学期作为生效学期（已结束的学期不能追溯修改）"),
                           field="effective_term_id")
    errors = validate_values(values)
    if errors:
        key, message = next(iter(errors.items()))
        raise InvalidInput(_(message), field=key)
    base = version_in_force(region_id, term.start_date)
    base_values = {**DEFAULT_VALUES, **(base.values if base else {})}
    full = {key: values.get(key, base_values[key]) for key in SETTINGS}
    changed = [key for key in SETTINGS if full[key] != base_values[key]]
    if not changed:
        raise InvalidInput(_("没有任何设置发生变化"), field="note")
    provenance = dict(base.provenance) if base else dict(get_profile(DEFAULT_KEY).provenance)
    stamp = {"kind": "admin", "by": actor.display_name, "at": utcnow().isoformat(timespec="minutes"),
             "note": note}
    for key in changed:
        provenance[key] = {**stamp, "previous": provenance.get(key)}
    version = PolicyVersion(
        region_id=region_id, version=_next_version_no(region_id), profile_key=base.profile_key if base else DEFAULT_KEY,
        effective_term_id=term.id, effective_from=term.start_date, values=full, provenance=provenance,
        changed_keys=changed, note=note, created_by_id=actor.id)
    db.session.add(version)
    db.session.flush()
    audit.record("policy.change", actor=actor, school_id=region_id, version=version.version,
                 effective_term=term.code, changed={k: [base_values[k], full[k]] for k in changed}, note=note)
    return version


def profile_choices() -> list[tuple[str, str]]:
    return [(p.key, p.name) for p in all_profiles().values()]


# -- working-day calendar overrides ------------------------------------------------------------

def calendar_overrides(region_id: int) -> list[CalendarOverride]:
    return list(db.session.scalars(select(CalendarOverride).where(CalendarOverride.region_id == region_id)
                                   .order_by(CalendarOverride.day)))


def set_calendar_override(region_id: int, day: date, is_working_day: bool, note: str, *,
                          actor: User) -> CalendarOverride:
    """Mark a day as working or not for the region (replacing an earlier override of that day)."""
    require_region_admin(actor, region_id)
    row = db.session.scalars(select(CalendarOverride).where(
        CalendarOverride.region_id == region_id, CalendarOverride.day == day)).first()
    if row is None:
        row = CalendarOverride(region_id=region_id, day=day, is_working_day=is_working_day, note=note,
                               created_by_id=actor.id)
        db.session.add(row)
    else:
        row.is_working_day, row.note, row.created_by_id = is_working_day, note, actor.id
    db.session.flush()
    audit.record("calendar.override", actor=actor, school_id=region_id, day=day.isoformat(),
                 working=is_working_day, note=note)
    return row


def remove_calendar_override(region_id: int, override_id: int, *, actor: User) -> None:
    require_region_admin(actor, region_id)
    row = db.session.get(CalendarOverride, override_id)
    if row is None or row.region_id != region_id:
        raise NotFound(_("该日历调整不存在"))
    audit.record("calendar.override_removed", actor=actor, school_id=region_id, day=row.day.isoformat())
    db.session.delete(row)


def citation(entry: Mapping[str, Any] | None) -> str:
    """A short, human-readable source for one setting, cited in check messages."""
    if not entry:
        return _("区域默认配置")
    if entry.get("kind") == "seed":
        return f"{entry.get('citation') or ''} {entry.get('where') or ''}".strip()
    if entry.get("kind") == "admin":
        return _("区域政策（%(by)s 于 %(at)s 修改）", by=entry.get("by", ""), at=(entry.get("at") or "")[:10])
    return _("区域默认配置")


def citations(in_force: PolicyInForce) -> dict[str, str]:
    return {key: citation(in_force.provenance.get(key)) for key in SETTINGS}
