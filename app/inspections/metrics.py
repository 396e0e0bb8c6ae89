"""Automatic metrics: score items filled from the records instead of typed in.

A provider gets a :class:`MetricContext` (the inspection, its school and term) and returns a
:class:`MetricResult`. Providers register by key; a template item names the key in ``metric``.
A metric that cannot be judged (no records, no policy minimum) says why in its text instead of showing
a wrong zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from app.extensions import db
from app.i18n import N_
from app.models import (
    Attachment,
    Inspection,
    LessonObservation,
    OrgUnit,
    ProjectApplication,
    ProjectStatus,
    ScoreItem,
    SelfCheckEntry,
    Term,
)

#: The 五必听 categories (清教党组〔2023〕2号); observations may also be of other teachers.
LESSON_CATEGORIES = {
    "school_leader": N_("校级领导"),
    "group_leader": N_("教研组长"),
    "topic_leader": N_("课题负责人"),
    "new_teacher": N_("新教师及其指导教师"),
    "admin_cadre": N_("教学管理干部"),
}
OTHER_CATEGORY = ("other", N_("其他教师"))


@dataclass(frozen=True)
class MetricContext:
    inspection: Inspection
    school: OrgUnit
    term: Term
    item: ScoreItem


@dataclass(frozen=True)
class MetricResult:
    #: The measured value (a count, a ratio 0..1), or None when unavailable.
    value: float | None
    #: What the inspector reads, e.g. "3 / 6 次".
    text: str
    #: Whether the item's requirement is met (None when it cannot be judged).
    ok: bool | None
    #: The share of the item's points the metric suggests (0..1), or None.
    fraction: float | None = None
    available: bool = True

    def as_json(self) -> dict:
        return {"value": self.value, "text": self.text, "ok": self.ok, "fraction": self.fraction,
                "available": self.available}


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    provider: Callable[[MetricContext], MetricResult]


_METRICS: dict[str, Metric] = {}


def register_metric(key: str, label: str, provider: Callable[[MetricContext], MetricResult]) -> Metric:
    metric = Metric(key, label, provider)
    _METRICS[key] = metric
    return metric


def metric(key: str | None) -> Metric | None:
    return _METRICS.get(key or "")


def metric_choices() -> list[tuple[str, str]]:
    return [(m.key, m.label) for m in _METRICS.values()]


def evaluate(context: MetricContext) -> MetricResult | None:
    """The item's metric value, or None when the item has no metric."""
    found = metric(context.item.metric)
    if found is None:
        return None
    return found.provider(context)


def suggested_score(item: ScoreItem, result: MetricResult | None) -> Decimal | None:
    if result is None or result.fraction is None:
        return None
    return (item.max_points * Decimal(str(result.fraction))).quantize(Decimal("0.1"))


# -- providers from the records this system keeps -------------------------------------------------
def approved_projects(ctx: MetricContext) -> MetricResult:
    """立项 school projects whose term span covers the inspected term."""
    start = select(Term.start_date).where(Term.id == ProjectApplication.start_term_id).scalar_subquery()
    end = select(Term.start_date).where(Term.id == ProjectApplication.end_term_id).scalar_subquery()
    count = db.session.scalar(select(func.count()).select_from(ProjectApplication).where(
        ProjectApplication.school_id == ctx.school.id, ProjectApplication.status == ProjectStatus.APPROVED,
        start <= ctx.term.start_date, or_(ProjectApplication.end_term_id.is_(None), end >= ctx.term.start_date))) or 0
    return MetricResult(count, _("%(n)s 个立项项目", n=count), count >= 1, 1.0 if count >= 1 else 0.0)


def lesson_categories(ctx: MetricContext) -> MetricResult:
    """How many of the five 五必听 categories this inspection has observed."""
    seen = set(db.session.scalars(select(LessonObservation.category).where(
        LessonObservation.inspection_id == ctx.inspection.id)))
    covered = [key for key in LESSON_CATEGORIES if key in seen]
    missing = [_(LESSON_CATEGORIES[key]) for key in LESSON_CATEGORIES if key not in seen]
    text = _("%(n)s / 5 类", n=len(covered)) + ("" if not missing else _("（缺：%(list)s）", list=_("、").join(missing)))
    return MetricResult(len(covered), text, not missing, len(covered) / len(LESSON_CATEGORIES))


def ledger_section(ctx: MetricContext) -> MetricResult:
    """Whether the school attached material for this 台帐 section (the item's parent) in its self-check."""
    item_ids = [ctx.item.id] + ([ctx.item.parent_id] if ctx.item.parent_id else [])
    count = db.session.scalar(select(func.count()).select_from(Attachment).join(
        SelfCheckEntry, (Attachment.owner_id == SelfCheckEntry.id) & (Attachment.owner_type == "inspection_selfcheck"))
        .where(SelfCheckEntry.inspection_id == ctx.inspection.id, SelfCheckEntry.item_id.in_(item_ids),
               Attachment.deleted.is_(False))) or 0
    return MetricResult(count, _("%(n)s 份材料", n=count) if count else _("无材料"), count > 0, 1.0 if count else 0.0)


register_metric("approved_projects", N_("立项项目数"), approved_projects)
register_metric("lesson_categories", N_("五必听覆盖"), lesson_categories)
register_metric("ledger_section", N_("台帐材料"), ledger_section)
# activities_held, attendance_rate and funding_ratio read the plans and activity records: see
# app/inspections/record_metrics.py.


def ledger_sections_present(inspection: Inspection, items: list[ScoreItem], term: Term) -> tuple[int, int]:
    """(sections with material, sections) over the template's ``ledger_section`` items."""
    section_items = [i for i in items if i.metric == "ledger_section"]
    present = sum(1 for i in section_items
                  if ledger_section(MetricContext(inspection, inspection.school, term, i)).ok)
    return present, len(section_items)
