"""Eligibility rules of a 评优 round, evaluated automatically against the records the system holds.

Each rule reads existing records: the project (立项 and 结题), the school's latest published
inspection (grade ≥ 合格), its rectification orders (none overdue) and the persons the nomination
names (no 师德 veto, 清教党组〔2023〕2号: 师德表现一票否决). A rule returns the reason it fails, or None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.i18n import N_
from app.models import (
    Inspection,
    InspectionStatus,
    Nomination,
    OrderStatus,
    ProjectStatus,
    RectificationOrder,
    Teacher,
)

#: Grades at or above 合格, best first (the bands of the shipped score sheets).
PASSING_GRADES = ("优秀", "良好", "合格")


@dataclass(frozen=True)
class Rule:
    code: str
    label: str
    check: Callable[[Nomination, date], str | None]


def _project_concluded(nomination: Nomination, today: date) -> str | None:
    project = nomination.project
    if project is None:
        return None   # the nominee is a school: the rule does not apply
    if project.status != ProjectStatus.APPROVED:
        return _("项目「%(title)s」尚未立项（当前状态：%(status)s）", title=project.title, status=_(project.status.label))
    if project.end_term is None or project.end_term.end_date >= today:
        return _("项目「%(title)s」尚未结题（研究周期未结束）", title=project.title)
    return None


def latest_inspection(school_id: int) -> Inspection | None:
    """The school's most recently published inspection."""
    return db.session.scalars(
        select(Inspection).where(Inspection.school_id == school_id, Inspection.status == InspectionStatus.PUBLISHED)
        .order_by(Inspection.published_at.desc(), Inspection.id.desc()).limit(1)).first()


def _inspection_passed(nomination: Nomination, today: date) -> str | None:
    inspection = latest_inspection(nomination.school_id)
    if inspection is None:
        return _("学校「%(school)s」没有已发布的学期检查结果", school=nomination.school.name)
    if inspection.grade not in PASSING_GRADES:
        return _("学校「%(school)s」最近一次学期检查等第为「%(grade)s」，低于合格", school=nomination.school.name,
                 grade=inspection.grade or _("未评定"))
    return None


def _no_overdue_rectification(nomination: Nomination, today: date) -> str | None:
    overdue = db.session.scalars(
        select(RectificationOrder).where(RectificationOrder.school_id == nomination.school_id,
                                         RectificationOrder.overdue.is_(True),
                                         RectificationOrder.status.not_in((OrderStatus.CLOSED,)))
        .order_by(RectificationOrder.id)).first()
    if overdue is not None:
        return _("学校「%(school)s」有逾期未完成的整改：%(title)s", school=nomination.school.name,
                 title=overdue.doc_number or overdue.title)
    return None


def _no_ethics_veto(nomination: Nomination, today: date) -> str | None:
    if not nomination.teacher_ids:
        return None
    vetoed = db.session.scalars(select(Teacher).where(Teacher.id.in_(nomination.teacher_ids),
                                                      Teacher.ethics_veto.is_(True)).order_by(Teacher.id)).first()
    if vetoed is not None:
        return _("被推荐人 %(name)s 有师德一票否决记录", name=vetoed.name)
    return None


RULES: dict[str, Rule] = {rule.code: rule for rule in (
    Rule("project_concluded", N_("项目已立项并已结题"), _project_concluded),
    Rule("inspection_passed", N_("最近一次学期检查等第不低于合格"), _inspection_passed),
    Rule("no_overdue_rectification", N_("没有逾期未完成的整改"), _no_overdue_rectification),
    Rule("no_ethics_veto", N_("被推荐人没有师德一票否决"), _no_ethics_veto),
)}


def evaluate(nomination: Nomination, rule_codes: list[str], today: date) -> list[dict[str, str]]:
    """The rules the nomination fails: ``[{code, message}]`` (empty when eligible)."""
    failed = []
    for code in rule_codes:
        rule = RULES.get(code)
        message = rule.check(nomination, today) if rule else None
        if message:
            failed.append({"code": code, "message": message})
    return failed
