from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.forms import BaseForm, choices

TEXT = 2000


class ItemRowForm(Form):
    """One numbered item of the order (a blank row is ignored)."""

    problem = TextAreaField(_l("存在问题"), validators=[Length(max=TEXT, message=_l("不能超过 2000 字"))])
    area = StringField(_l("对应检查项目"), validators=[Length(max=100, message=_l("不能超过 100 字"))])
    requirement = TextAreaField(_l("整改要求"), validators=[Length(max=TEXT, message=_l("不能超过 2000 字"))])
    deadline = DateField(_l("整改期限"), validators=[Optional()], format="%Y-%m-%d")

    def is_blank(self) -> bool:
        return not ((self.problem.data or "").strip() or (self.requirement.data or "").strip() or self.deadline.data)


class DraftForm(BaseForm):
    title = StringField(_l("标题"), validators=[InputRequired(_l("请填写标题")), Length(max=200, message=_l("不能超过 200 字"))])
    basis = TextAreaField(_l("整改依据"), validators=[Length(max=TEXT, message=_l("不能超过 2000 字"))])
    cc = TextAreaField(_l("抄送（每行一个单位）"), validators=[Length(max=1000, message=_l("不能超过 1000 字"))])
    ack_working_days = IntegerField(_l("签收期限（工作日）"), validators=[
        InputRequired(_l("请填写签收期限")), NumberRange(min=1, max=30, message=_l("须在 1 到 30 个工作日之间"))])
    remind_working_days = IntegerField(_l("期限前提醒（工作日）"), validators=[
        InputRequired(_l("请填写提醒时间")), NumberRange(min=0, max=30, message=_l("须在 0 到 30 个工作日之间"))])
    max_rounds = IntegerField(_l("最多整改轮次"), validators=[
        InputRequired(_l("请填写最多整改轮次")), NumberRange(min=1, max=10, message=_l("须在 1 到 10 轮之间"))])
    items = FieldList(FormField(ItemRowForm), min_entries=1)
    submit_comment = TextAreaField(_l("提交说明（可选）"), validators=[Length(max=500, message=_l("不能超过 500 字"))])


class AckForm(BaseForm):
    confirm = BooleanField(_l("我已阅知整改通知书的全部内容"), validators=[InputRequired(_l("请确认已阅知"))])
    comment = TextAreaField(_l("签收意见（可选）"), validators=[Length(max=500, message=_l("不能超过 500 字"))])


class ReportForm(BaseForm):
    report = TextAreaField(_l("整改报告"), validators=[InputRequired(_l("请填写整改报告")),
                                                     Length(max=5000, message=_l("不能超过 5000 字"))])


class RespondForm(BaseForm):
    measures = TextAreaField(_l("整改措施"), validators=[InputRequired(_l("请填写整改措施")),
                                                      Length(max=TEXT, message=_l("不能超过 2000 字"))])
    completed_on = DateField(_l("完成日期"), validators=[InputRequired(_l("请填写完成日期"))], format="%Y-%m-%d")


class EvidenceForm(BaseForm):
    file = FileField(_l("佐证材料"))


class ExtensionForm(BaseForm):
    requested_deadline = DateField(_l("申请延期至"), validators=[InputRequired(_l("请填写申请的期限"))], format="%Y-%m-%d")
    reason = TextAreaField(_l("延期理由"), validators=[InputRequired(_l("请填写延期理由")),
                                                     Length(max=1000, message=_l("不能超过 1000 字"))])


class ExtensionDecisionForm(BaseForm):
    decision = RadioField(_l("审批结论"), choices=choices([("approve", _l("批准延期")), ("deny", _l("不批准"))]),
                          validators=[InputRequired(_l("请选择审批结论"))])
    comment = TextAreaField(_l("意见"), validators=[Length(max=1000, message=_l("不能超过 1000 字"))])


class NewOrderForm(BaseForm):
    school_id = SelectField(_l("整改学校"), choices=[], validators=[InputRequired(_l("请选择学校"))])


def assign_form(items, staff, formdata=None):
    """A form with one 责任人 select per open item (fields ``item_<id>``)."""

    class AssignForm(BaseForm):
        comment = TextAreaField(_l("说明（可选）"), validators=[Length(max=500, message=_l("不能超过 500 字"))])

    options = choices([("", _l("请选择"))] + [(u.id, u.display_name) for u in staff])
    for item in items:
        setattr(AssignForm, f"item_{item.id}", SelectField(
            _l("第 %(n)s 项责任人", n=item.seq), choices=options, default=str(item.responsible_id or ""),
            validators=[InputRequired(_l("请指定责任人"))]))
    return AssignForm(formdata=formdata)


def verify_form(items, formdata=None):
    """Per responded item: 合格 / 不合格, a comment and (for 不合格) the new deadline."""

    class VerifyForm(BaseForm):
        pass

    for item in items:
        setattr(VerifyForm, f"result_{item.id}", RadioField(
            _l("第 %(n)s 项复查结论", n=item.seq), choices=choices([("pass", _l("合格")), ("fail", _l("不合格"))]),
            validators=[InputRequired(_l("请选择复查结论"))]))
        setattr(VerifyForm, f"comment_{item.id}", TextAreaField(
            _l("复查意见"), validators=[Length(max=1000, message=_l("不能超过 1000 字"))]))
        setattr(VerifyForm, f"deadline_{item.id}", DateField(
            _l("新的整改期限"), validators=[Optional()], format="%Y-%m-%d"))
    return VerifyForm(formdata=formdata)
