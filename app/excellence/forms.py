"""Forms of 评优: the round, a nomination, the formal check, expert scores, objections."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.excellence.eligibility import RULES
from app.forms import BaseForm, MultiCheckboxField, choices
from app.models import ObjectionDecision, RoundType
from app.policy.schema import AGGREGATIONS

LEVELS = {"county": _l("县（市、区）级"), "city": _l("市级")}


class RoundForm(BaseForm):
    type = SelectField(_l("评优类型"), choices=choices((t.value, _l(t.label)) for t in RoundType))
    title = StringField(_l("活动名称"), validators=[InputRequired(_l("请填写活动名称")),
                                                  Length(max=100, message=_l("不能超过 100 字"))])
    level = SelectField(_l("级别"), choices=choices(LEVELS.items()))
    cycle_label = StringField(_l("周期"), validators=[InputRequired(_l("请填写周期，如 2026–2028")),
                                                     Length(max=30, message=_l("不能超过 30 字"))])
    quota_count = IntegerField(_l("名额（个）"), validators=[
        Optional(), NumberRange(min=1, max=1000, message=_l("须为 1 到 1000 之间的整数"))])
    quota_ratio = DecimalField(_l("或按比例（占通过形式审查的百分比）"), places=2, validators=[
        Optional(), NumberRange(min=0.01, max=100, message=_l("须为大于 0、不超过 100 的百分比"))])
    township_quota = IntegerField(_l("每个乡镇最多推荐（留空不限）"), validators=[
        Optional(), NumberRange(min=1, max=100, message=_l("须为 1 到 100 之间的整数"))])
    reserve_count = IntegerField(_l("备选名额"), default=2, validators=[
        InputRequired(_l("请填写备选名额")), NumberRange(min=0, max=50, message=_l("须为 0 到 50 之间的整数"))])
    rules = MultiCheckboxField(_l("资格条件（系统自动核验）"), choices=choices((c, _l(r.label)) for c, r in RULES.items()))
    template_id = SelectField(_l("评分表"), choices=[], validators=[InputRequired(_l("请选择评分表"))])
    aggregation = RadioField(_l("评分汇总方式"), choices=choices((k, _l(v)) for k, v in AGGREGATIONS.items()),
                              default="mean")
    expert_ids = MultiCheckboxField(_l("专家组成员"), coerce=int, choices=[])
    apply_start = DateField(_l("申报开始"), validators=[InputRequired(_l("请填写日期"))], format="%Y-%m-%d")
    apply_end = DateField(_l("申报截止"), validators=[InputRequired(_l("请填写日期"))], format="%Y-%m-%d")
    review_due = DateField(_l("专家评审截止"), validators=[InputRequired(_l("请填写日期"))], format="%Y-%m-%d")
    remind_working_days = IntegerField(_l("评审截止前提醒（工作日）"), default=2, validators=[
        InputRequired(_l("请填写提醒时间")), NumberRange(min=0, max=20, message=_l("须在 0 到 20 个工作日之间"))])
    notice_working_days = IntegerField(_l("公示期（工作日）"), validators=[
        InputRequired(_l("请填写公示期")), NumberRange(min=1, max=30, message=_l("须为 1 到 30 个工作日"))])
    recommend_count = IntegerField(_l("推荐上一级评选的个数"), default=0, validators=[
        InputRequired(_l("请填写个数（不推荐填 0）")), NumberRange(min=0, max=100, message=_l("须为 0 到 100 之间的整数"))])
    award_valid_years = IntegerField(_l("示范学校称号有效期（年）"), validators=[
        Optional(), NumberRange(min=1, max=10, message=_l("须为 1 到 10 年"))])


class NominationForm(BaseForm):
    school_id = SelectField(_l("学校"), coerce=int, choices=[])
    project_id = SelectField(_l("研修项目"), coerce=int, choices=[], validate_choice=False)
    teacher_ids = MultiCheckboxField(_l("被推荐人（项目负责人、主要成员）"), coerce=int, choices=[], validate_choice=False)
    summary = TextAreaField(_l("申报材料（主要做法与成效）"), validators=[
        InputRequired(_l("请填写申报材料")), Length(max=5000, message=_l("不能超过 5000 字"))])
    recommend_rank = IntegerField(_l("推荐排序（乡镇推荐时填写，1 为最优）"), validators=[
        Optional(), NumberRange(min=1, max=100, message=_l("须为 1 到 100 之间的整数"))])


class CheckForm(BaseForm):
    result = RadioField(_l("审查结论"), choices=choices([("complete", _l("材料完整，通过")),
                                                      ("incomplete", _l("材料不完整，退回补正"))]),
                        validators=[InputRequired(_l("请选择审查结论"))])
    note = TextAreaField(_l("审查意见"), validators=[Length(max=1000, message=_l("不能超过 1000 字"))])


class ObjectionForm(BaseForm):
    nomination_id = SelectField(_l("异议对象"), coerce=int, choices=[])
    content = TextAreaField(_l("异议事实和理由"), validators=[
        InputRequired(_l("请写明异议的事实和理由")), Length(max=3000, message=_l("不能超过 3000 字"))])
    evidence = TextAreaField(_l("证据材料（说明、线索或链接）"), validators=[Length(max=3000, message=_l("不能超过 3000 字"))])
    file = FileField(_l("证据文件（可选）"))


class HandleObjectionForm(BaseForm):
    decision = RadioField(_l("处理结论"), choices=choices((d.value, _l(d.label)) for d in ObjectionDecision),
                          validators=[InputRequired(_l("请选择处理结论"))])
    note = TextAreaField(_l("核查情况和处理意见"), validators=[
        InputRequired(_l("请写明核查情况和处理意见")), Length(max=2000, message=_l("不能超过 2000 字"))])


class GateForm(BaseForm):
    """The form of the gate steps (形式审查, 确认名单, 处理异议): a comment; the checks are the handler's."""

    comment = TextAreaField(_l("意见"), validators=[Length(max=1000, message=_l("不能超过 1000 字"))])


def score_form(assignments, items, formdata=None, data=None):
    """One score per (assignment, leaf item) and a comment per assignment."""
    class Form(BaseForm):
        pass
    for assignment in assignments:
        for item in items:
            setattr(Form, f"s_{assignment.id}_{item.id}", DecimalField(
                f"{item.code} {item.title}（{item.max_points}）", places=1, validators=[
                    Optional(), NumberRange(min=0, max=float(item.max_points),
                                            message=_l("得分须在 0 到 %(max)s 之间", max=item.max_points))]))
        setattr(Form, f"c_{assignment.id}", TextAreaField(_l("评语"), validators=[
            Length(max=1000, message=_l("不能超过 1000 字"))]))
    return Form(formdata=formdata, data=data)
