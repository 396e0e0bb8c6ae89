"""The policy checks run on a plan when it is submitted (domain.md §3.2 step 2).

Pure functions over plain data, so each rule can be tested without a database. Every finding
names the form field (and row) it belongs to, so the form can show it beside that field, and
cites the policy article it enforces. A failed rule blocks submission or only warns, as the
region's policy says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import gettext as _

from app.policy.schema import FUNDING_BASES, WEEKDAYS, Policy

PASS, WARN, BLOCK = "pass", "warn", "block"


@dataclass(frozen=True)
class ActivityLine:
    row: int                      # 1-based, as the user counts
    planned_date: date | None
    period: int | None
    alt_date: date | None = None


@dataclass(frozen=True)
class BudgetItem:
    row: int
    category: str
    scope: str                    # school_based / other_training
    amount: Decimal


@dataclass(frozen=True)
class PlanFacts:
    term_start: date
    term_end: date
    activities: Sequence[ActivityLine]
    budget: Sequence[BudgetItem]
    declared_funds: Decimal | None


@dataclass(frozen=True)
class Finding:
    rule: str
    status: str                   # pass / warn / block
    message: str
    field: str | None = None      # form field: activities, budget_lines, declared_funds, or a row's column
    row: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fmt(value: Decimal) -> str:
    text = format(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _status(policy: Policy, key: str) -> str:
    return BLOCK if policy[key] == "block" else WARN


def _weekday(number: int) -> str:
    return _(WEEKDAYS[number])


def _check_term_dates(facts: PlanFacts) -> list[Finding]:
    found = []
    for line in facts.activities:
        for field, day in (("planned_date", line.planned_date), ("alt_date", line.alt_date)):
            if day is not None and not facts.term_start <= day <= facts.term_end:
                found.append(Finding("term_dates", BLOCK, _(
                    "第 %(row)s 项活动的日期 %(day)s 不在本学期（%(start)s 至 %(end)s）内", row=line.row,
                    day=day.isoformat(), start=facts.term_start.isoformat(), end=facts.term_end.isoformat()),
                    field, line.row))
    return found


def _check_min_activities(facts: PlanFacts, policy: Policy, source: str) -> list[Finding]:
    minimum = policy.min_activities
    if minimum is None:
        return []
    count = len(facts.activities)
    if count >= minimum:
        return [Finding("min_activities", PASS, _("计划研修活动 %(n)s 次，达到每学期至少 %(min)s 次的要求",
                                                  n=count, min=minimum), "activities")]
    return [Finding("min_activities", _status(policy, "plan.min_activities_mode"), _(
        "本学期只计划了 %(n)s 次研修活动，少于区域政策要求的每学期至少 %(min)s 次（依据：%(source)s），"
        "还需增加 %(missing)s 次", n=count, min=minimum, source=source, missing=minimum - count), "activities")]


def _slots_text(policy: Policy) -> str:
    return _("、").join(_("%(weekday)s第 %(period)s 节", weekday=_weekday(s.weekday), period=s.period)
                       for s in policy.slots)


def _check_fixed_slots(facts: PlanFacts, policy: Policy, source: str) -> list[Finding]:
    slots = policy.slots
    if not slots:
        return []
    by_day = {s.weekday: s.period for s in slots}
    status = _status(policy, "schedule.mode")
    allowed = _slots_text(policy)
    found = []
    for line in facts.activities:
        if line.planned_date is None:
            continue
        day = line.planned_date.isoweekday()
        if day not in by_day or line.period != by_day[day]:
            period = line.period if line.period is not None else "?"
            found.append(Finding("fixed_slots", status, _(
                "第 %(row)s 项活动安排在%(weekday)s第 %(period)s 节，不在规定的研修时段（%(slots)s；依据：%(source)s）",
                row=line.row, weekday=_weekday(day), period=period, slots=allowed, source=source),
                "period" if day in by_day else "planned_date", line.row))
            continue
        if policy["schedule.same_content"] and len(by_day) > 1:
            others = [d for d in by_day if d != day]
            alt = line.alt_date
            ok = (alt is not None and alt.isoweekday() in others
                  and alt.isocalendar()[:2] == line.planned_date.isocalendar()[:2])
            if not ok:
                found.append(Finding("fixed_slots", status, _(
                    "第 %(row)s 项活动须在同一周的%(other)s再安排一场内容相同的活动（依据：%(source)s）",
                    row=line.row, other=_("或").join(_weekday(d) for d in others), source=source),
                    "alt_date", line.row))
    if not found and facts.activities:
        found.append(Finding("fixed_slots", PASS, _("全部活动都安排在规定的研修时段（%(slots)s）", slots=allowed),
                             "activities"))
    return found


def counted_budget(facts: PlanFacts, policy: Policy) -> Decimal:
    """The budget that counts towards the funding ratio under the policy's scope."""
    all_training = policy["funding.scope"] == "all_training"
    return sum((b.amount for b in facts.budget if all_training or b.scope == "school_based"), Decimal("0"))


def funding_ratio(facts: PlanFacts, policy: Policy) -> Decimal | None:
    """Counted budget as a percentage of the declared public funds (None without funds)."""
    if not facts.declared_funds:
        return None
    return counted_budget(facts, policy) * 100 / facts.declared_funds


def _check_funding(facts: PlanFacts, policy: Policy, source: str) -> list[Finding]:
    minimum = policy.funding_min_ratio
    if minimum is None:
        return []
    base = _(FUNDING_BASES[policy.funding_base])
    status = _status(policy, "funding.mode")
    if not facts.declared_funds or facts.declared_funds <= 0:
        return [Finding("funding_ratio", status, _(
            "请填写学校%(base)s，用于核对研修经费不低于其 %(min)s%%（依据：%(source)s）",
            base=base, min=_fmt(minimum), source=source), "declared_funds")]
    counted = counted_budget(facts, policy)
    ratio = counted * 100 / facts.declared_funds
    if ratio >= minimum:
        return [Finding("funding_ratio", PASS, _("研修经费 %(amount)s 元，占%(base)s的 %(ratio)s%%，不低于 %(min)s%%",
                                                 amount=_fmt(counted), base=base, ratio=_fmt(ratio),
                                                 min=_fmt(minimum)), "budget_lines")]
    gap = facts.declared_funds * minimum / 100 - counted
    return [Finding("funding_ratio", status, _(
        "计入比例的研修经费合计 %(amount)s 元，占%(base)s（%(funds)s 元）的 %(ratio)s%%，低于区域政策要求的 "
        "%(min)s%%（依据：%(source)s），至少还差 %(gap)s 元", amount=_fmt(counted), base=base,
        funds=_fmt(facts.declared_funds), ratio=_fmt(ratio), min=_fmt(minimum), source=source, gap=_fmt(gap)),
        "budget_lines")]


def _check_categories(facts: PlanFacts, policy: Policy, source: str) -> list[Finding]:
    allowed = policy.expense_categories
    if not allowed:
        return []
    status = _status(policy, "funding.categories_mode")
    return [Finding("expense_categories", status, _(
        "开支类别「%(category)s」不在本区域允许的范围内（允许：%(allowed)s；依据：%(source)s）",
        category=b.category, allowed=_("、").join(allowed), source=source), "category", b.row)
        for b in facts.budget if b.category not in allowed]


def check_plan(facts: PlanFacts, policy: Policy, sources: Mapping[str, str]) -> list[Finding]:
    """Run every rule the policy switches on. ``sources`` cites the policy article per setting."""
    def source(key: str) -> str:
        return sources.get(key) or _("区域政策")

    return [
        *_check_term_dates(facts),
        *_check_min_activities(facts, policy, source("plan.min_activities")),
        *_check_fixed_slots(facts, policy, source("schedule.fixed_slots")),
        *_check_funding(facts, policy, source("funding.min_ratio")),
        *_check_categories(facts, policy, source("funding.expense_categories")),
    ]


def blocking(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.status == BLOCK]


def warnings(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.status == WARN]
