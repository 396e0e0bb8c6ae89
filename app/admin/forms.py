"""Forms of the administration pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.forms import BaseForm


class UploadVersionForm(BaseForm):
    file = FileField(_l("BPMN 文件"))


class RepairForm(BaseForm):
    """A repair needs a reason (kept in the audit log) and an explicit confirmation."""

    reason = TextAreaField(_l("操作原因"), validators=[DataRequired(message=_l("请填写操作原因")), Length(max=500)])
    confirm = BooleanField(_l("我已确认此操作"), validators=[DataRequired(message=_l("请勾选确认后再提交"))])


class RewindForm(RepairForm):
    task_id = SelectField(_l("回退到环节"), validators=[DataRequired(message=_l("请选择一个已完成的环节"))],
                          validate_choice=False)


class ConfirmForm(BaseForm):
    confirm = BooleanField(_l("我已确认此操作"), validators=[DataRequired(message=_l("请勾选确认后再提交"))])


class AuditFilterForm(BaseForm):
    """Filters of the audit log; read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    actor = StringField(_l("操作人"), validators=[Optional(), Length(max=64)])
    school = SelectField(_l("学校"), validators=[Optional()], validate_choice=False)
    process_key = SelectField(_l("流程"), validators=[Optional()], validate_choice=False)
    action = SelectField(_l("操作"), validators=[Optional()], validate_choice=False)
    date_from = DateField(_l("起始日期"), validators=[Optional()])
    date_to = DateField(_l("截止日期"), validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and self.date_from.data and self.date_to.data and self.date_from.data > self.date_to.data:
            self.add_error("date_to", str(_l("截止日期不能早于起始日期")))
            ok = False
        return ok
