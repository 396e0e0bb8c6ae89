from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.forms import BaseForm, choices
from app.policy.schema import ACTIVITY_MODES
from app.vocab import RESEARCH_FORMS


class ActivityForm(BaseForm):
    planned_key = SelectField(_l("对应的计划活动"), default="", choices=[])
    held_on = DateField(_l("活动日期"), validators=[InputRequired(_l("请填写活动日期"))])
    period = IntegerField(_l("节次"), validators=[Optional(), NumberRange(min=1, max=12, message=_l("节次须在 1 到 12 之间"))])
    way = SelectField(_l("研修方式"), default="", choices=choices([("", "—")] + [(f, f) for f in RESEARCH_FORMS]))
    topic = StringField(_l("活动主题"), validators=[Length(max=100, message=_l("不能超过 100 字"))])
    presenter = StringField(_l("主讲人"), validators=[Length(max=50, message=_l("不能超过 50 字"))])
    location = StringField(_l("地点或线上链接"), validators=[Length(max=100, message=_l("不能超过 100 字"))])
    hours = DecimalField(_l("学时"), places=1, validators=[
        InputRequired(_l("请填写学时")), NumberRange(min=0.5, max=8, message=_l("学时须在 0.5 到 8 之间"))])
    mode = SelectField(_l("培训形式"), default="集中", choices=choices((m, m) for m in ACTIVITY_MODES))
    cost = DecimalField(_l("本次经费支出（元）"), places=2, validators=[
        Optional(), NumberRange(min=0, max=1_000_000, message=_l("金额须在 0 到 1,000,000 元之间"))])
    summary = TextAreaField(_l("活动内容纪要"), validators=[Length(max=4000, message=_l("不能超过 4000 字"))])
    reflection = TextAreaField(_l("效果与反思"), validators=[Length(max=2000, message=_l("不能超过 2000 字"))])


class AttendanceImportForm(BaseForm):
    file = FileField(_l("考勤文件（CSV 或 Excel）"))


class EvidenceForm(BaseForm):
    file = FileField(_l("选择文件"))
