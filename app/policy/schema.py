"""The settings a region's policy is made of, their defaults and their validation.

Values are stored as a flat JSON object keyed by dotted names (``plan.min_activities``), so that a
stored version stays readable and a setting added later simply takes its default for old rows.
:class:`Policy` is the typed view the checks and the credit rules read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from app.i18n import N_

RESEARCH_LABELS = ("校本研修", "校本培训", "校本研训", "校本教研")
MODES = {"block": N_("阻断提交"), "warn": N_("仅提示")}
WEEKDAYS = {1: N_("周一"), 2: N_("周二"), 3: N_("周三"), 4: N_("周四"), 5: N_("周五"), 6: N_("周六"), 7: N_("周日")}
FUNDING_BASES = {"public_funds_total": N_("年度公用经费总额"), "public_funds_budget": N_("年度公用经费预算总额")}
FUNDING_SCOPES = {"school_based": N_("仅校本研修经费"), "all_training": N_("全部教师培训经费（含参加上级培训）")}
#: Every expense category a budget line may name; a region may allow only some of them.
EXPENSE_CATEGORIES = ("专家讲课费", "资料费", "差旅费", "伙食补助费", "住宿费", "场地租用费", "其他")
BUDGET_SCOPES = {"school_based": N_("校本研修"), "other_training": N_("参加上级培训")}
#: Review levels beyond the principal's sign-off, which every plan has.
PLAN_LEVELS = {"organizer": N_("师训站长审核"), "township": N_("乡镇审核"), "city": N_("市级审核")}
REVIEW_LEVELS = {"township": N_("乡镇审核"), "city": N_("市级审核")}
COUNTABLE_STATUSES = {"present": N_("出勤"), "late": N_("迟到"), "self_study": N_("自学替代"), "leave": N_("请假")}
ACTIVITY_MODES = ("集中", "非集中")
AGGREGATIONS = {"mean": N_("算术平均"), "trimmed_mean": N_("去掉一个最高分和一个最低分后平均")}


@dataclass(frozen=True)
class Slot:
    weekday: int   # ISO: 1 = Monday
    period: int


@dataclass(frozen=True)
class CreditItem:
    """A kind of credit a teacher may declare (课题, 公开课 …): credits per item, annual cap."""

    code: str
    name: str
    value: Decimal
    annual_cap: Decimal | None


#: Every setting: key → (group, label). The order is the order of the policy page.
SETTINGS: dict[str, tuple[str, str]] = {
    "terminology.research_label": (N_("术语"), N_("活动名称")),
    "plan.min_activities": (N_("研修计划"), N_("每学期最少研修活动次数")),
    "plan.min_activities_mode": (N_("研修计划"), N_("活动次数不足时")),
    "schedule.fixed_slots": (N_("研修计划"), N_("固定研修时段")),
    "schedule.same_content": (N_("研修计划"), N_("各时段内容一致（同周安排第二场）")),
    "schedule.mode": (N_("研修计划"), N_("不在固定时段时")),
    "funding.min_ratio": (N_("经费"), N_("研修经费最低比例（百分比）")),
    "funding.base": (N_("经费"), N_("比例的计算基数")),
    "funding.scope": (N_("经费"), N_("计入比例的经费范围")),
    "funding.mode": (N_("经费"), N_("比例不足时")),
    "funding.expense_categories": (N_("经费"), N_("允许的开支类别")),
    "funding.categories_mode": (N_("经费"), N_("开支类别不符时")),
    "approval.plan_levels": (N_("审批链"), N_("研修计划审批层级（校长签字之后）")),
    "approval.skip_township_for_direct": (N_("审批链"), N_("直属学校跳过乡镇审核")),
    "approval.change_levels": (N_("审批链"), N_("计划变更审批层级（校长签字之后）")),
    "approval.credit_levels": (N_("审批链"), N_("学分审核层级（学校认定之后，最后一级负责登记）")),
    "deadlines.draft_days": (N_("办理期限"), N_("编制计划期限（工作日）")),
    "deadlines.review_days": (N_("办理期限"), N_("计划各级审核期限（工作日）")),
    "deadlines.credit_review_days": (N_("办理期限"), N_("学分各级审核期限（工作日）")),
    "credit.hours_per_credit_concentrated": (N_("学分"), N_("集中培训：多少学时折 1 学分")),
    "credit.hours_per_credit_distributed": (N_("学分"), N_("非集中培训：多少学时折 1 学分")),
    "credit.counted_statuses": (N_("学分"), N_("计学分的考勤状态")),
    "credit.activity_annual_cap": (N_("学分"), N_("校本活动学分年度上限")),
    "credit.items": (N_("学分"), N_("其他学分项目（每项学分 / 年度上限）")),
    "credit.cycle_years": (N_("学分"), N_("学分周期（年）")),
    "credit.cycle_start_year": (N_("学分"), N_("本周期起始学年")),
    "credit.cycle_min": (N_("学分"), N_("周期最低学分")),
    "credit.annual_min": (N_("学分"), N_("每学年最低学分")),
    "rectification.ack_days": (N_("整改"), N_("签收整改通知书期限（工作日）")),
    "rectification.default_deadline_days": (N_("整改"), N_("整改默认期限（工作日）")),
    "rectification.reminder_days_before": (N_("整改"), N_("到期前几个工作日提醒")),
    "rectification.max_rounds": (N_("整改"), N_("复查不通过最多几轮后移交督导")),
    "excellence.cycle_years": (N_("评优"), N_("精品项目、示范学校评选周期（年）")),
    "excellence.unit_quota": (N_("评优"), N_("先进单位名额（每学年）")),
    "excellence.topic_ratio": (N_("评优"), N_("优秀校级课题推荐县级的比例（百分比）")),
    "excellence.notice_working_days": (N_("评优"), N_("公示期（工作日）")),
    "excellence.aggregation": (N_("评优"), N_("专家评分汇总方式")),
}

#: The values of the default profile, from domain.md §4.1 where the seeds are silent.
DEFAULT_VALUES: dict[str, Any] = {
    "terminology.research_label": "校本研修",
    "plan.min_activities": None,
    "plan.min_activities_mode": "block",
    "schedule.fixed_slots": [],
    "schedule.same_content": False,
    "schedule.mode": "block",
    "funding.min_ratio": None,
    "funding.base": "public_funds_total",
    "funding.scope": "school_based",
    "funding.mode": "block",
    "funding.expense_categories": [],
    "funding.categories_mode": "block",
    "approval.plan_levels": ["township", "city"],
    "approval.skip_township_for_direct": True,
    "approval.change_levels": ["city"],
    "approval.credit_levels": ["township", "city"],
    "deadlines.draft_days": 10,
    "deadlines.review_days": 5,
    "deadlines.credit_review_days": 5,
    "credit.hours_per_credit_concentrated": "6",
    "credit.hours_per_credit_distributed": "8",
    "credit.counted_statuses": ["present", "late", "self_study"],
    "credit.activity_annual_cap": None,
    "credit.items": [
        {"code": "topic", "name": "课题研究（县级）", "value": "2", "annual_cap": "6"},
        {"code": "open_lesson", "name": "公开课", "value": "1", "annual_cap": "3"},
        {"code": "mentoring", "name": "师徒结对", "value": "2", "annual_cap": "2"},
    ],
    "credit.cycle_years": 5,
    "credit.cycle_start_year": 2022,
    "credit.cycle_min": "360",
    "credit.annual_min": "24",
    "rectification.ack_days": 3,
    "rectification.default_deadline_days": 20,
    "rectification.reminder_days_before": 2,
    "rectification.max_rounds": 3,
    "excellence.cycle_years": 2,
    "excellence.unit_quota": 10,
    "excellence.topic_ratio": "30",
    "excellence.notice_working_days": 5,
    "excellence.aggregation": "mean",
}


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@dataclass(frozen=True)
class Policy:
    """The typed, read-only view of one policy version's values."""

    values: Mapping[str, Any]

    @classmethod
    def of(cls, values: Mapping[str, Any] | None) -> Policy:
        return cls({**DEFAULT_VALUES, **dict(values or {})})

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    @property
    def label(self) -> str:
        return self.values["terminology.research_label"]

    @property
    def min_activities(self) -> int | None:
        return self.values["plan.min_activities"]

    @property
    def slots(self) -> tuple[Slot, ...]:
        return tuple(Slot(int(s["weekday"]), int(s["period"])) for s in self.values["schedule.fixed_slots"])

    @property
    def funding_min_ratio(self) -> Decimal | None:
        return _decimal(self.values["funding.min_ratio"])

    @property
    def funding_base(self) -> str:
        return self.values["funding.base"]

    @property
    def expense_categories(self) -> tuple[str, ...]:
        return tuple(self.values["funding.expense_categories"])

    @property
    def plan_levels(self) -> tuple[str, ...]:
        return tuple(self.values["approval.plan_levels"])

    @property
    def change_levels(self) -> tuple[str, ...]:
        return tuple(self.values["approval.change_levels"])

    @property
    def credit_levels(self) -> tuple[str, ...]:
        return tuple(self.values["approval.credit_levels"])

    def hours_per_credit(self, mode: str) -> Decimal:
        key = "credit.hours_per_credit_distributed" if mode == "非集中" else "credit.hours_per_credit_concentrated"
        return Decimal(str(self.values[key]))

    @property
    def counted_statuses(self) -> frozenset[str]:
        return frozenset(self.values["credit.counted_statuses"])

    @property
    def activity_annual_cap(self) -> Decimal | None:
        return _decimal(self.values["credit.activity_annual_cap"])

    @property
    def credit_items(self) -> tuple[CreditItem, ...]:
        return tuple(CreditItem(i["code"], i["name"], Decimal(str(i["value"])), _decimal(i.get("annual_cap")))
                     for i in self.values["credit.items"])

    def credit_item(self, code: str) -> CreditItem | None:
        return next((i for i in self.credit_items if i.code == code), None)

    @property
    def cycle_years(self) -> int:
        return int(self.values["credit.cycle_years"])

    @property
    def cycle_start_year(self) -> int:
        return int(self.values["credit.cycle_start_year"])

    @property
    def cycle_min(self) -> Decimal:
        return Decimal(str(self.values["credit.cycle_min"]))

    @property
    def annual_min(self) -> Decimal | None:
        return _decimal(self.values["credit.annual_min"])

    @property
    def excellence_cycle_years(self) -> int:
        return int(self.values["excellence.cycle_years"])

    @property
    def excellence_unit_quota(self) -> int:
        return int(self.values["excellence.unit_quota"])

    @property
    def excellence_topic_ratio(self) -> Decimal:
        return Decimal(str(self.values["excellence.topic_ratio"]))

    @property
    def notice_working_days(self) -> int:
        return int(self.values["excellence.notice_working_days"])

    @property
    def aggregation(self) -> str:
        return self.values["excellence.aggregation"]

    def cycle_of(self, year: int) -> tuple[int, int]:
        """The first and last academic year of the credit cycle that contains ``year``."""
        offset = (year - self.cycle_start_year) % self.cycle_years
        start = year - offset
        return start, start + self.cycle_years - 1


def validate_values(values: Mapping[str, Any]) -> dict[str, str]:
    """Check a complete set of values; return {key: message} (message ids, untranslated)."""
    errors: dict[str, str] = {}
    v = {**DEFAULT_VALUES, **dict(values)}
    unknown = set(values) - set(SETTINGS)
    for key in sorted(unknown):
        errors[key] = N_("未知的设置项")
    if v["terminology.research_label"] not in RESEARCH_LABELS:
        errors["terminology.research_label"] = N_("请选择一个活动名称")
    n = v["plan.min_activities"]
    if n is not None and (not isinstance(n, int) or not 1 <= n <= 60):
        errors["plan.min_activities"] = N_("须为 1 到 60 之间的整数，或留空表示不限")
    for key in ("plan.min_activities_mode", "schedule.mode", "funding.mode", "funding.categories_mode"):
        if v[key] not in MODES:
            errors[key] = N_("请选择阻断提交或仅提示")
    for slot in v["schedule.fixed_slots"]:
        if int(slot.get("weekday", 0)) not in WEEKDAYS or not 1 <= int(slot.get("period", 0)) <= 12:
            errors["schedule.fixed_slots"] = N_("时段须为星期一至日、第 1 到 12 节")
    if v["schedule.same_content"] and len({s["weekday"] for s in v["schedule.fixed_slots"]}) < 2:
        errors["schedule.same_content"] = N_("只有设置了两个或以上的固定时段，才能要求各时段内容一致")
    ratio = _decimal(v["funding.min_ratio"])
    if v["funding.min_ratio"] not in (None, "") and (ratio is None or not Decimal("0") < ratio <= Decimal("100")):
        errors["funding.min_ratio"] = N_("须为大于 0、不超过 100 的百分比，或留空表示不限")
    if v["funding.base"] not in FUNDING_BASES:
        errors["funding.base"] = N_("请选择计算基数")
    if v["funding.scope"] not in FUNDING_SCOPES:
        errors["funding.scope"] = N_("请选择经费范围")
    if any(c not in EXPENSE_CATEGORIES for c in v["funding.expense_categories"]):
        errors["funding.expense_categories"] = N_("包含未知的开支类别")
    if any(level not in PLAN_LEVELS for level in v["approval.plan_levels"]):
        errors["approval.plan_levels"] = N_("包含未知的审批层级")
    for key in ("approval.change_levels", "approval.credit_levels"):
        if any(level not in REVIEW_LEVELS for level in v[key]):
            errors[key] = N_("包含未知的审批层级")
    if not v["approval.credit_levels"]:
        errors["approval.credit_levels"] = N_("至少需要一级审核来登记学分")
    for key in ("deadlines.draft_days", "deadlines.review_days", "deadlines.credit_review_days"):
        if not isinstance(v[key], int) or not 1 <= v[key] <= 60:
            errors[key] = N_("须为 1 到 60 个工作日")
    for key in ("credit.hours_per_credit_concentrated", "credit.hours_per_credit_distributed"):
        hours = _decimal(v[key])
        if hours is None or not Decimal("0.5") <= hours <= Decimal("100"):
            errors[key] = N_("须在 0.5 到 100 学时之间")
    if any(s not in COUNTABLE_STATUSES for s in v["credit.counted_statuses"]):
        errors["credit.counted_statuses"] = N_("包含未知的考勤状态")
    cap = _decimal(v["credit.activity_annual_cap"])
    if v["credit.activity_annual_cap"] not in (None, "") and (cap is None or cap <= 0):
        errors["credit.activity_annual_cap"] = N_("须为正数，或留空表示不设上限")
    codes = [i.get("code") for i in v["credit.items"]]
    if len(codes) != len(set(codes)):
        errors["credit.items"] = N_("学分项目代码不能重复")
    for item in v["credit.items"]:
        value, item_cap = _decimal(item.get("value")), _decimal(item.get("annual_cap"))
        if not item.get("code") or not item.get("name") or value is None or value <= 0 \
                or (item.get("annual_cap") not in (None, "") and (item_cap is None or item_cap <= 0)):
            errors["credit.items"] = N_("每个学分项目须有代码、名称、正的学分值；上限为正数或留空")
    if not isinstance(v["credit.cycle_years"], int) or not 1 <= v["credit.cycle_years"] <= 10:
        errors["credit.cycle_years"] = N_("须为 1 到 10 年")
    if not isinstance(v["credit.cycle_start_year"], int) or not 2000 <= v["credit.cycle_start_year"] <= 2100:
        errors["credit.cycle_start_year"] = N_("请填写有效的学年，如 2022")
    cycle_min = _decimal(v["credit.cycle_min"])
    if cycle_min is None or cycle_min <= 0:
        errors["credit.cycle_min"] = N_("须为正数")
    if not isinstance(v["excellence.cycle_years"], int) or not 1 <= v["excellence.cycle_years"] <= 10:
        errors["excellence.cycle_years"] = N_("须为 1 到 10 年")
    if not isinstance(v["excellence.unit_quota"], int) or not 1 <= v["excellence.unit_quota"] <= 1000:
        errors["excellence.unit_quota"] = N_("须为 1 到 1000 之间的整数")
    topic_ratio = _decimal(v["excellence.topic_ratio"])
    if topic_ratio is None or not Decimal("0") < topic_ratio <= Decimal("100"):
        errors["excellence.topic_ratio"] = N_("须为大于 0、不超过 100 的百分比")
    if not isinstance(v["excellence.notice_working_days"], int) or not 1 <= v["excellence.notice_working_days"] <= 30:
        errors["excellence.notice_working_days"] = N_("须为 1 到 30 个工作日")
    if v["excellence.aggregation"] not in AGGREGATIONS:
        errors["excellence.aggregation"] = N_("请选择汇总方式")
    annual = _decimal(v["credit.annual_min"])
    if v["credit.annual_min"] not in (None, "") and (annual is None or annual <= 0):
        errors["credit.annual_min"] = N_("须为正数，或留空表示不限")
    for key, low, high, message in (
            ("rectification.ack_days", 1, 30, N_("须为 1 到 30 个工作日")),
            ("rectification.default_deadline_days", 1, 120, N_("须为 1 到 120 个工作日")),
            ("rectification.reminder_days_before", 0, 30, N_("须为 0 到 30 个工作日")),
            ("rectification.max_rounds", 1, 10, N_("须为 1 到 10 轮"))):
        if not isinstance(v[key], int) or isinstance(v[key], bool) or not low <= v[key] <= high:
            errors[key] = message
    if not errors.get("rectification.reminder_days_before") and not errors.get("rectification.default_deadline_days") \
            and v["rectification.reminder_days_before"] >= v["rectification.default_deadline_days"]:
        errors["rectification.reminder_days_before"] = N_("提醒须早于整改期限")
    return errors
