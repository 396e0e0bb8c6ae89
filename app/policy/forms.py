from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.forms import BaseForm, MultiCheckboxField, choices
from app.policy.schema import (
    AGGREGATIONS,
    COUNTABLE_STATUSES,
    EXPENSE_CATEGORIES,
    FUNDING_BASES,
    FUNDING_SCOPES,
    MODES,
    PLAN_LEVELS,
    RESEARCH_LABELS,
    REVIEW_LEVELS,
    WEEKDAYS,
)


def _labelled(table) -> list:
    """Choices from a label table; the labels are translated when the form is rendered."""
    return choices((key, _l(label)) for key, label in table.items())


def _mode(label):
    return SelectField(label, choices=_labelled(MODES))


class CreditItemForm(Form):
    code = StringField(_l("代码"), validators=[Length(max=30, message=_l("不能超过 30 字"))])
    name = StringField(_l("名称"), validators=[Length(max=40, message=_l("不能超过 40 字"))])
    value = DecimalField(_l("每项学分"), places=2, validators=[Optional(), NumberRange(min=0.1, max=100, message=_l("须在 0.1 到 100 之间"))])
    annual_cap = DecimalField(_l("年度上限"), places=2, validators=[Optional(), NumberRange(min=0.1, max=1000, message=_l("须在 0.1 到 1000 之间"))])


class PolicyForm(BaseForm):
    """All settings of a region's policy; saving creates a new version effective from a term."""

    effective_term_id = SelectField(_l("生效学期"), choices=[])
    note = StringField(_l("修改说明"), validators=[InputRequired(_l("请说明修改的原因或依据")),
                                                  Length(max=200, message=_l("不能超过 200 字"))])
    research_label = SelectField(_l("活动名称"), choices=choices((v, v) for v in RESEARCH_LABELS))
    min_activities = IntegerField(_l("每学期最少研修活动次数"), validators=[
        Optional(), NumberRange(min=1, max=60, message=_l("须为 1 到 60 之间的整数，或留空表示不限"))])
    min_activities_mode = _mode(_l("活动次数不足时"))
    slot_weekdays = MultiCheckboxField(_l("固定研修时段：星期"), coerce=int, choices=_labelled(WEEKDAYS))
    slot_period = IntegerField(_l("固定研修时段：第几节"), validators=[
        Optional(), NumberRange(min=1, max=12, message=_l("节次须在 1 到 12 之间"))])
    same_content = BooleanField(_l("各时段内容一致（同周安排第二场）"))
    schedule_mode = _mode(_l("不在固定时段时"))
    funding_min_ratio = DecimalField(_l("研修经费最低比例（百分比）"), places=2, validators=[
        Optional(), NumberRange(min=0.01, max=100, message=_l("须为大于 0、不超过 100 的百分比，或留空表示不限"))])
    funding_base = RadioField(_l("比例的计算基数"), choices=_labelled(FUNDING_BASES))
    funding_scope = RadioField(_l("计入比例的经费范围"), choices=_labelled(FUNDING_SCOPES))
    funding_mode = _mode(_l("比例不足时"))
    expense_categories = MultiCheckboxField(_l("允许的开支类别（不选表示不限）"), choices=choices((c, c) for c in EXPENSE_CATEGORIES))
    categories_mode = _mode(_l("开支类别不符时"))
    plan_levels = MultiCheckboxField(_l("研修计划审批层级（校长签字之后）"), choices=_labelled(PLAN_LEVELS))
    skip_township_for_direct = BooleanField(_l("直属学校跳过乡镇审核"))
    change_levels = MultiCheckboxField(_l("计划变更审批层级（校长签字之后）"), choices=_labelled(REVIEW_LEVELS))
    credit_levels = MultiCheckboxField(_l("学分审核层级（学校认定之后，最后一级负责登记）"), choices=_labelled(REVIEW_LEVELS))
    draft_days = IntegerField(_l("编制计划期限（工作日）"), validators=[
        InputRequired(_l("请填写期限")), NumberRange(min=1, max=60, message=_l("须为 1 到 60 个工作日"))])
    review_days = IntegerField(_l("计划各级审核期限（工作日）"), validators=[
        InputRequired(_l("请填写期限")), NumberRange(min=1, max=60, message=_l("须为 1 到 60 个工作日"))])
    credit_review_days = IntegerField(_l("学分各级审核期限（工作日）"), validators=[
        InputRequired(_l("请填写期限")), NumberRange(min=1, max=60, message=_l("须为 1 到 60 个工作日"))])
    hours_concentrated = DecimalField(_l("集中培训：多少学时折 1 学分"), places=1, validators=[
        InputRequired(_l("请填写学时")), NumberRange(min=0.5, max=100, message=_l("须在 0.5 到 100 学时之间"))])
    hours_distributed = DecimalField(_l("非集中培训：多少学时折 1 学分"), places=1, validators=[
        InputRequired(_l("请填写学时")), NumberRange(min=0.5, max=100, message=_l("须在 0.5 到 100 学时之间"))])
    counted_statuses = MultiCheckboxField(_l("计学分的考勤状态"), choices=_labelled(COUNTABLE_STATUSES))
    activity_annual_cap = DecimalField(_l("校本活动学分年度上限（留空不设上限）"), places=2, validators=[
        Optional(), NumberRange(min=0.1, max=1000, message=_l("须为正数，或留空表示不设上限"))])
    credit_items = FieldList(FormField(CreditItemForm), label=_l("其他学分项目"))
    cycle_years = IntegerField(_l("学分周期（年）"), validators=[
        InputRequired(_l("请填写年数")), NumberRange(min=1, max=10, message=_l("须为 1 到 10 年"))])
    cycle_start_year = IntegerField(_l("本周期起始学年"), validators=[
        InputRequired(_l("请填写学年")), NumberRange(min=2000, max=2100, message=_l("请填写有效的学年，如 2022"))])
    cycle_min = DecimalField(_l("周期最低学分"), places=1, validators=[
        InputRequired(_l("请填写学分")), NumberRange(min=0.1, max=10000, message=_l("须为正数"))])
    annual_min = DecimalField(_l("每学年最低学分（留空不限）"), places=1, validators=[
        Optional(), NumberRange(min=0.1, max=1000, message=_l("须为正数，或留空表示不限"))])
    rect_ack_days = IntegerField(_l("签收整改通知书期限（工作日）"), validators=[
        InputRequired(_l("请填写期限")), NumberRange(min=1, max=30, message=_l("须为 1 到 30 个工作日"))])
    rect_deadline_days = IntegerField(_l("整改默认期限（工作日）"), validators=[
        InputRequired(_l("请填写期限")), NumberRange(min=1, max=120, message=_l("须为 1 到 120 个工作日"))])
    rect_reminder_days = IntegerField(_l("到期前几个工作日提醒"), validators=[
        InputRequired(_l("请填写天数")), NumberRange(min=0, max=30, message=_l("须为 0 到 30 个工作日"))])
    rect_max_rounds = IntegerField(_l("复查不通过最多几轮后移交督导"), validators=[
        InputRequired(_l("请填写轮数")), NumberRange(min=1, max=10, message=_l("须为 1 到 10 轮"))])

    excellence_cycle_years = IntegerField(_l("精品项目、示范学校评选周期（年）"), validators=[
        InputRequired(_l("请填写年数")), NumberRange(min=1, max=10, message=_l("须为 1 到 10 年"))])
    excellence_unit_quota = IntegerField(_l("先进单位名额（每学年）"), validators=[
        InputRequired(_l("请填写名额")), NumberRange(min=1, max=1000, message=_l("须为 1 到 1000 之间的整数"))])
    excellence_topic_ratio = DecimalField(_l("优秀校级课题推荐县级的比例（百分比）"), places=2, validators=[
        InputRequired(_l("请填写比例")), NumberRange(min=0.01, max=100, message=_l("须为大于 0、不超过 100 的百分比"))])
    notice_working_days = IntegerField(_l("公示期（工作日）"), validators=[
        InputRequired(_l("请填写期限")), NumberRange(min=1, max=30, message=_l("须为 1 到 30 个工作日"))])
    aggregation = RadioField(_l("专家评分汇总方式"), choices=_labelled(AGGREGATIONS))


#: Form field → setting key, for the settings that are a single field.
FIELD_KEYS = {
    "research_label": "terminology.research_label",
    "min_activities": "plan.min_activities",
    "min_activities_mode": "plan.min_activities_mode",
    "same_content": "schedule.same_content",
    "schedule_mode": "schedule.mode",
    "funding_min_ratio": "funding.min_ratio",
    "funding_base": "funding.base",
    "funding_scope": "funding.scope",
    "funding_mode": "funding.mode",
    "expense_categories": "funding.expense_categories",
    "categories_mode": "funding.categories_mode",
    "plan_levels": "approval.plan_levels",
    "skip_township_for_direct": "approval.skip_township_for_direct",
    "change_levels": "approval.change_levels",
    "credit_levels": "approval.credit_levels",
    "draft_days": "deadlines.draft_days",
    "review_days": "deadlines.review_days",
    "credit_review_days": "deadlines.credit_review_days",
    "hours_concentrated": "credit.hours_per_credit_concentrated",
    "hours_distributed": "credit.hours_per_credit_distributed",
    "counted_statuses": "credit.counted_statuses",
    "activity_annual_cap": "credit.activity_annual_cap",
    "cycle_years": "credit.cycle_years",
    "cycle_start_year": "credit.cycle_start_year",
    "cycle_min": "credit.cycle_min",
    "annual_min": "credit.annual_min",
    "rect_ack_days": "rectification.ack_days",
    "rect_deadline_days": "rectification.default_deadline_days",
    "rect_reminder_days": "rectification.reminder_days_before",
    "rect_max_rounds": "rectification.max_rounds",
    "excellence_cycle_years": "excellence.cycle_years",
    "excellence_unit_quota": "excellence.unit_quota",
    "excellence_topic_ratio": "excellence.topic_ratio",
    "notice_working_days": "excellence.notice_working_days",
    "aggregation": "excellence.aggregation",
}
KEY_FIELDS = {key: field for field, key in FIELD_KEYS.items()} | {
    "schedule.fixed_slots": "slot_weekdays", "credit.items": "credit_items"}


class CalendarOverrideForm(BaseForm):
    day = DateField(_l("日期"), validators=[InputRequired(_l("请选择日期"))])
    kind = SelectField(_l("调整为"), choices=choices([("work", _l("工作日（如调休上班）")), ("off", _l("休息日（如地方假日）"))]))
    note = StringField(_l("说明"), validators=[Length(max=100, message=_l("不能超过 100 字"))])
