from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from app.forms import BaseForm, MultiCheckboxField, choices
from app.vocab import RESEARCH_DOMAINS, RESEARCH_FORMS, TARGET_GROUPS

TEXT_LIMIT = 2000

#: Fields that must be filled when the application is submitted (a draft may leave them empty).
REQUIRED_ON_SUBMIT = ("title", "domain", "modules", "forms", "problem", "goals", "target_group",
                      "start_term_id", "end_term_id", "leader", "planned_hours", "budget", "expected_outcomes")


class ProjectForm(BaseForm):
    title = StringField(_l("项目名称"), validators=[Length(max=100, message=_l("项目名称不能超过 100 字"))])
    domain = SelectField(_l("研修领域"), default="", choices=choices([("", _l("请选择"))] + [(d, d) for d in RESEARCH_DOMAINS]))
    modules = MultiCheckboxField(_l("研修模块"), choices=choices((m, m) for mods in RESEARCH_DOMAINS.values() for m in mods))
    forms = MultiCheckboxField(_l("研修方式"), choices=choices((f, f) for f in RESEARCH_FORMS))
    problem = TextAreaField(_l("聚焦的问题"), validators=[Length(max=TEXT_LIMIT, message=_l("不能超过 2000 字"))])
    goals = TextAreaField(_l("研修目标"), validators=[Length(max=TEXT_LIMIT, message=_l("不能超过 2000 字"))])
    target_group = SelectField(_l("研修对象"), default="", choices=choices([("", _l("请选择"))] + [(g, g) for g in TARGET_GROUPS]))
    start_term_id = SelectField(_l("开始学期"), default="", choices=[])
    end_term_id = SelectField(_l("结束学期"), default="", choices=[])
    leader = StringField(_l("项目负责人"), validators=[Length(max=50, message=_l("不能超过 50 字"))])
    team = TextAreaField(_l("项目组成员（每行一人）"), validators=[Length(max=1000, message=_l("不能超过 1000 字"))])
    planned_hours = IntegerField(_l("计划学时"), validators=[
        Optional(), NumberRange(min=1, max=2000, message=_l("计划学时须在 1 到 2000 之间"))])
    budget = DecimalField(_l("经费预算（元）"), places=2, validators=[
        Optional(), NumberRange(min=0, max=10_000_000, message=_l("经费预算须在 0 到 10,000,000 元之间"))])
    expected_outcomes = TextAreaField(_l("预期成果"), validators=[Length(max=TEXT_LIMIT, message=_l("不能超过 2000 字"))])
    submit_comment = TextAreaField(_l("提交说明（可选）"), validators=[Length(max=500, message=_l("不能超过 500 字"))])

    def set_term_choices(self, terms: list[tuple[int, str]]) -> None:
        options = choices([("", _("请选择"))] + list(terms))
        self.start_term_id.choices = options
        self.end_term_id.choices = list(options)


class NewProjectForm(BaseForm):
    school_id = SelectField(_l("申报学校"), choices=[])


class UploadForm(BaseForm):
    file = FileField(_l("选择文件"))
