"""Human-readable renderings of policy values for the policy page and the plan form."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from app.policy.schema import (
    AGGREGATIONS,
    COUNTABLE_STATUSES,
    FUNDING_BASES,
    FUNDING_SCOPES,
    MODES,
    PLAN_LEVELS,
    REVIEW_LEVELS,
    WEEKDAYS,
)


def _levels(levels: list[str], names: dict[str, str], prefix: str) -> str:
    chain = [prefix] + [_(names[level]) for level in levels if level in names]
    return " → ".join(chain)


def describe(key: str, value: Any) -> str:
    """One setting's value as a sentence fragment in the user's language."""
    if value is None or value == "" or value == []:
        if key == "funding.expense_categories":
            return _("不限")
        if key == "schedule.fixed_slots":
            return _("不固定")
        return _("不限")
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if key.endswith("_mode") or key.endswith(".mode"):
        return _(MODES.get(value, value))
    match key:
        case "schedule.fixed_slots":
            return _("、").join(_("%(weekday)s第 %(period)s 节", weekday=_(WEEKDAYS[int(s["weekday"])]),
                                  period=s["period"]) for s in value)
        case "funding.min_ratio":
            return f"{value}%"
        case "funding.base":
            return _(FUNDING_BASES[value])
        case "funding.scope":
            return _(FUNDING_SCOPES[value])
        case "funding.expense_categories":
            return _("、").join(value)
        case "approval.plan_levels":
            return _levels(value, PLAN_LEVELS, _("校长签字"))
        case "approval.change_levels":
            return _levels(value, REVIEW_LEVELS, _("校长签字"))
        case "approval.credit_levels":
            return _levels(value, REVIEW_LEVELS, _("学校认定"))
        case "credit.counted_statuses":
            return _("、").join(_(COUNTABLE_STATUSES[s]) for s in value)
        case "credit.items":
            return _("；").join(
                _("%(name)s %(value)s 分", name=i["name"], value=i["value"])
                + (_("（年度上限 %(cap)s）", cap=i["annual_cap"]) if i.get("annual_cap") else "") for i in value)
        case "plan.min_activities":
            return _("%(n)s 次", n=value)
        case "rectification.max_rounds":
            return _("%(n)s 轮", n=value)
        case "deadlines.draft_days" | "deadlines.review_days" | "deadlines.credit_review_days" \
                | "rectification.ack_days" | "rectification.default_deadline_days" \
                | "rectification.reminder_days_before" | "excellence.notice_working_days":
            return _("%(n)s 个工作日", n=value)
        case "excellence.topic_ratio":
            return f"{value}%"
        case "excellence.cycle_years":
            return _("每 %(n)s 年", n=value)
        case "excellence.unit_quota":
            return _("%(n)s 个", n=value)
        case "excellence.aggregation":
            return _(AGGREGATIONS.get(value, value))
    return str(value)
