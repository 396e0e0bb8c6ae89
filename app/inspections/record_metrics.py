"""Metrics read from the plans, activity records and attendance (app.plans, app.activities), judged
against the region's policy in force for the inspected term (app.policy)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.extensions import db
from app.i18n import N_
from app.inspections.metrics import MetricContext, MetricResult, register_metric
from app.models import ActivityRecord, Attendance, PlanStatus, ResearchPlan
from app.plans.checks import funding_ratio
from app.plans.services import facts_of
from app.policy.services import policy_for_term

#: Attendance counted as taking part (自学替代 stands in for attending, seed 001).
ATTENDED = ("present", "late", "self_study")
#: The shipped term-end sheet gives full points from this attendance rate (its 评分细则).
FULL_ATTENDANCE = Decimal("90")


def _fmt(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1')):f}"


def activities_held(ctx: MetricContext) -> MetricResult:
    """Activity records of the term against the policy's minimum per term."""
    held = db.session.scalar(select(func.count(ActivityRecord.id)).where(
        ActivityRecord.school_id == ctx.school.id, ActivityRecord.term_id == ctx.term.id)) or 0
    required = policy_for_term(ctx.term).policy.min_activities
    if not required:
        return MetricResult(held, _("已开展 %(n)s 次（本地区未规定最低次数）", n=held), None, None)
    return MetricResult(held, _("已开展 %(n)s 次 / 要求不少于 %(min)s 次", n=held, min=required), held >= required,
                        min(held / required, 1.0))


def attendance_rate(ctx: MetricContext) -> MetricResult:
    """Attended (present, late, self-study) over all attendance entries of the term's activities."""
    rows = dict(db.session.execute(
        select(Attendance.status, func.count(Attendance.id)).join(ActivityRecord)
        .where(ActivityRecord.school_id == ctx.school.id, ActivityRecord.term_id == ctx.term.id)
        .group_by(Attendance.status)).all())
    total = sum(rows.values())
    if not total:
        return MetricResult(None, _("暂无考勤记录"), False, 0.0)
    attended = sum(count for status, count in rows.items() if status.value in ATTENDED)
    rate = Decimal(attended * 100) / total
    return MetricResult(float(rate), _("出勤率 %(rate)s%%（%(a)s / %(t)s 人次）", rate=_fmt(rate), a=attended, t=total),
                        rate >= FULL_ATTENDANCE, float(min(rate / FULL_ATTENDANCE, Decimal(1))))


def _current_plan(ctx: MetricContext) -> ResearchPlan | None:
    return db.session.scalars(select(ResearchPlan).where(
        ResearchPlan.school_id == ctx.school.id, ResearchPlan.term_id == ctx.term.id,
        ResearchPlan.status == PlanStatus.APPROVED).order_by(ResearchPlan.version_no.desc(), ResearchPlan.id.desc())
        .limit(1)).first()


def funding(ctx: MetricContext) -> MetricResult:
    """The approved plan's counted budget as a share of the declared public funds, against the policy's
    minimum ratio, with what the term's activities actually cost."""
    plan = _current_plan(ctx)
    if plan is None:
        return MetricResult(None, _("本学期没有已批准的研修计划"), False, 0.0)
    policy = policy_for_term(ctx.term).policy
    ratio = funding_ratio(facts_of(plan), policy)
    spent = db.session.scalar(select(func.sum(ActivityRecord.cost)).where(
        ActivityRecord.school_id == ctx.school.id, ActivityRecord.term_id == ctx.term.id)) or Decimal("0")
    if ratio is None:
        return MetricResult(None, _("计划未申报公用经费，无法计算比例"), False, 0.0)
    minimum = policy.funding_min_ratio
    text = _("预算占公用经费 %(ratio)s%%，已支出 %(spent)s 元", ratio=_fmt(ratio), spent=_fmt(Decimal(spent)))
    if minimum is None:
        return MetricResult(float(ratio), text, None, None)
    text += _("（要求不低于 %(min)s%%）", min=_fmt(minimum))
    return MetricResult(float(ratio), text, ratio >= minimum, float(min(ratio / minimum, Decimal(1))))


register_metric("activities_held", N_("开展活动次数（对照最低要求）"), activities_held)
register_metric("attendance_rate", N_("出勤率"), attendance_rate)
register_metric("funding_ratio", N_("经费投入比例"), funding)
