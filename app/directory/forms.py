from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, StringField
from wtforms.validators import InputRequired, Length

from app.forms import BaseForm


class ImportForm(BaseForm):
    file = FileField(_l("文件（CSV 或 Excel）"))


class TermForm(BaseForm):
    """A term (学期) of one of the admin's regions: new, or the dates and name of an existing code."""

    region = SelectField(_l("区域"), choices=[])
    code = StringField(_l("学期代码"), validators=[InputRequired(_l("请填写学期代码")),
                                                   Length(max=20, message=_l("不能超过 20 位"))])
    name = StringField(_l("学期名称"), validators=[InputRequired(_l("请填写学期名称")),
                                                   Length(max=40, message=_l("不能超过 40 字"))])
    start = DateField(_l("开始日期"), validators=[InputRequired(_l("请选择日期"))])
    end = DateField(_l("结束日期"), validators=[InputRequired(_l("请选择日期"))])
