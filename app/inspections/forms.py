from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.forms import BaseForm, MultiCheckboxField, choices
from app.inspections.metrics import LESSON_CATEGORIES, OTHER_CATEGORY
from app.inspections.services import RATINGS
from app.models import InspectionKind, ScopeKind


class CampaignForm(BaseForm):
    title = StringField(_l("检查名称"), validators=[InputRequired(_l("请填写检查名称")),
                                                  Length(max=100, message=_l("不能超过 100 字"))])
    kind = SelectField(_l("检查类型"), choices=choices((k.value, _l(k.label)) for k in InspectionKind))
    term_id = SelectField(_l("学期"), choices=[], validators=[InputRequired(_l("请选择学期"))])
    template_id = SelectField(_l("评分表"), choices=[], validators=[InputRequired(_l("请选择评分表"))])
    scope_kind = RadioField(_l("检查范围"), choices=choices((k.value, _l(k.label)) for k in ScopeKind),
                            default=ScopeKind.ALL.value)
    townships = MultiCheckboxField(_l("乡镇"), choices=[])
    schools = MultiCheckboxField(_l("抽样学校"), choices=[])
    announced = BooleanField(_l("提前通知学校（学校须先自查）"), default=True)
    self_check_due = DateField(_l("自查截止日期"), validators=[Optional()], format="%Y-%m-%d")
    remind_working_days = IntegerField(_l("截止前提醒（工作日）"), default=2, validators=[
        InputRequired(_l("请填写提醒时间")), NumberRange(min=0, max=20, message=_l("须在 0 到 20 个工作日之间"))])
    onsite_start = DateField(_l("现场检查开始"), validators=[InputRequired(_l("请填写日期"))], format="%Y-%m-%d")
    onsite_end = DateField(_l("现场检查结束"), validators=[InputRequired(_l("请填写日期"))], format="%Y-%m-%d")
    report_due = DateField(_l("报告截止日期"), validators=[InputRequired(_l("请填写日期"))], format="%Y-%m-%d")
    lead_id = SelectField(_l("组长"), choices=[], validators=[InputRequired(_l("请选择组长"))])
    member_ids = MultiCheckboxField(_l("组员"), choices=[])
    finance_id = SelectField(_l("财务人员（检查经费项目）"), choices=[])


class UploadForm(BaseForm):
    file = FileField(_l("选择文件"))


class ObservationForm(BaseForm):
    teacher_name = StringField(_l("授课教师"), validators=[InputRequired(_l("请填写授课教师")),
                                                       Length(max=50, message=_l("不能超过 50 字"))])
    category = SelectField(_l("听课对象（五必听）"), choices=choices(
        [("", _l("请选择"))] + [(k, _l(v)) for k, v in LESSON_CATEGORIES.items()] + [(OTHER_CATEGORY[0], _l(OTHER_CATEGORY[1]))]),
        validators=[InputRequired(_l("请选择听课对象类别"))])
    subject = StringField(_l("学科"), validators=[InputRequired(_l("请填写学科")), Length(max=30, message=_l("不能超过 30 字"))])
    class_name = StringField(_l("班级"), validators=[Length(max=30, message=_l("不能超过 30 字"))])
    observed_on = DateField(_l("听课日期"), validators=[InputRequired(_l("请填写听课日期"))], format="%Y-%m-%d")
    unannounced = BooleanField(_l("推门听课"), default=True)
    rating = SelectField(_l("评价"), choices=choices([("", _l("请选择"))] + [(r, r) for r in RATINGS]),
                         validators=[InputRequired(_l("请选择评价等级"))])
    strengths = TextAreaField(_l("优点"), validators=[Length(max=1000, message=_l("不能超过 1000 字"))])
    problems = TextAreaField(_l("问题"), validators=[Length(max=1000, message=_l("不能超过 1000 字"))])
    suggestions = TextAreaField(_l("建议"), validators=[Length(max=1000, message=_l("不能超过 1000 字"))])


class SelfCheckForm(BaseForm):
    summary = TextAreaField(_l("自查总体情况"), validators=[Length(max=3000, message=_l("不能超过 3000 字"))])


def selfcheck_form(items, formdata=None, data=None):
    class Form(SelfCheckForm):
        pass

    for item in items:
        setattr(Form, f"note_{item.id}", TextAreaField(f"{item.code} {item.title}", validators=[
            Length(max=1000, message=_l("不能超过 1000 字"))]))
    return Form(formdata=formdata, data=data)


def scores_form(items, *, prefix: str, formdata=None, data=None, with_findings: bool = False):
    """Score and deduction reason per item (and, for the lead, 需整改)."""

    class Form(BaseForm):
        pass

    for item in items:
        setattr(Form, f"score_{item.id}", DecimalField(f"{item.code} {item.title}", places=1, validators=[
            Optional(), NumberRange(min=0, max=float(item.max_points),
                                    message=_l("得分须在 0 到 %(max)s 之间", max=item.max_points))]))
        setattr(Form, f"reason_{item.id}", StringField(_l("扣分理由"), validators=[
            Length(max=500, message=_l("不能超过 500 字"))]))
        if with_findings:
            setattr(Form, f"rectify_{item.id}", BooleanField(_l("需整改")))
    if with_findings:
        Form.summary = StringField(_l("说明"), validators=[Optional()])
    return Form(formdata=formdata, data=data, prefix=prefix)


class ReportForm(BaseForm):
    report_basic = TextAreaField(_l("一、基本情况"), validators=[Length(max=5000, message=_l("不能超过 5000 字"))])
    report_strengths = TextAreaField(_l("二、值得肯定的成绩"), validators=[Length(max=5000, message=_l("不能超过 5000 字"))])
    report_problems = TextAreaField(_l("三、存在的问题和不足"), validators=[Length(max=5000, message=_l("不能超过 5000 字"))])
    report_suggestions = TextAreaField(_l("四、改进的意见或建议"), validators=[Length(max=5000, message=_l("不能超过 5000 字"))])
