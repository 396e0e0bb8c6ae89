from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional

from app.forms import BaseForm, MultiCheckboxField, choices
from app.policy.schema import ACTIVITY_MODES, BUDGET_SCOPES, EXPENSE_CATEGORIES
from app.vocab import RESEARCH_FORMS, TARGET_GROUPS

#: Blank rows offered below the filled ones (more can be added in the browser).
SPARE_ROWS = 2



class ActivityRowForm(Form):
    """One planned activity. ``way`` is the 研修方式 (``form`` would clash with WTForms' own name)."""

    key = HiddenField()
    planned_date = DateField(_l("日期"), validators=[Optional()])
    period = IntegerField(_l("节次"), validators=[Optional(), NumberRange(min=1, max=12, message=_l("节次须在 1 到 12 之间"))])
    alt_date = DateField(_l("第二场日期"), validators=[Optional()])
    way = SelectField(_l("研修方式"), default="", choices=choices([("", "—")] + [(f, f) for f in RESEARCH_FORMS]))
    topic = StringField(_l("主题"), validators=[Length(max=100, message=_l("不能超过 100 字"))])
    presenter = StringField(_l("主讲人"), validators=[Length(max=50, message=_l("不能超过 50 字"))])
    target_group = SelectField(_l("研修对象"), default="", choices=choices([("", "—")] + [(g, g) for g in TARGET_GROUPS]))
    hours = DecimalField(_l("学时"), places=1, validators=[
        Optional(), NumberRange(min=0.5, max=8, message=_l("学时须在 0.5 到 8 之间"))])
    mode = SelectField(_l("培训形式"), default="集中", choices=choices((m, m) for m in ACTIVITY_MODES))


class BudgetRowForm(Form):
    category = SelectField(_l("开支类别"), default="", choices=choices([("", "—")] + [(c, c) for c in EXPENSE_CATEGORIES]))
    scope = SelectField(_l("经费用途"), default="school_based",
                        choices=choices((k, _l(v)) for k, v in BUDGET_SCOPES.items()))
    amount = DecimalField(_l("金额（元）"), places=2, validators=[
        Optional(), NumberRange(min=0, max=10_000_000, message=_l("金额须在 0 到 10,000,000 元之间"))])
    note = StringField(_l("说明"), validators=[Length(max=100, message=_l("不能超过 100 字"))])


class PlanForm(BaseForm):
    goals = TextAreaField(_l("本学期研修目标与重点"), validators=[Length(max=2000, message=_l("不能超过 2000 字"))])
    project_ids = MultiCheckboxField(_l("关联的已立项项目"), coerce=int, choices=[])
    declared_funds = DecimalField(_l("学校年度公用经费（元）"), places=2, validators=[
        Optional(), NumberRange(min=0, max=1_000_000_000, message=_l("金额须在 0 到 1,000,000,000 元之间"))])
    activities = FieldList(FormField(ActivityRowForm), label=_l("计划活动"))
    budget_lines = FieldList(FormField(BudgetRowForm), label=_l("经费预算"))
    change_reason = TextAreaField(_l("变更原因"), validators=[Length(max=1000, message=_l("不能超过 1000 字"))])
    submit_comment = TextAreaField(_l("提交说明（可选）"), validators=[Length(max=500, message=_l("不能超过 500 字"))])


class OpenTermForm(BaseForm):
    term_id = SelectField(_l("学期"), choices=[])


class ChangeRequestForm(BaseForm):
    """CSRF-only: the button that starts a 计划变更."""
