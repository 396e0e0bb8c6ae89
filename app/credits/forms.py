from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from app.forms import BaseForm


class CollectForm(BaseForm):
    submit_comment = TextAreaField(_l("提交说明（可选）"), validators=[Length(max=500, message=_l("不能超过 500 字"))])


class ReviewForm(BaseForm):
    """Per-record rejections come as ``reject-<id>`` / ``reason-<id>`` fields (see the handler)."""

    decision = RadioField(_l("审核结论"), validators=[InputRequired(_l("请选择审核结论"))])
    comment = TextAreaField(_l("审核意见"), validators=[Length(max=2000, message=_l("审核意见不能超过 2000 字"))])


class DeclareForm(BaseForm):
    item_code = SelectField(_l("学分项目"), choices=[])
    title = StringField(_l("名称（如课题名称、公开课课题）"), validators=[Length(max=200, message=_l("不能超过 200 字"))])
    file = FileField(_l("佐证材料"))


class StartBatchForm(BaseForm):
    term_id = SelectField(_l("学期"), choices=[])
