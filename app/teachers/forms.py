from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length

from app.forms import BaseForm, choices


class TeacherForm(BaseForm):
    name = StringField(_l("姓名"), validators=[Length(max=50, message=_l("姓名不能超过 50 字"))])
    employee_no = StringField(_l("工号"), validators=[Length(max=30, message=_l("工号最长 30 位"))])
    gender = SelectField(_l("性别"), default="", choices=choices([("", "—"), ("男", _l("男")), ("女", _l("女"))]))
    phone = StringField(_l("手机号"), validators=[Length(max=20, message=_l("手机号格式不正确"))])
    subject = StringField(_l("学科"), validators=[Length(max=30, message=_l("不能超过 30 字"))])
    title = StringField(_l("职称"), validators=[Length(max=30, message=_l("不能超过 30 字"))])
    active = BooleanField(_l("在职"), default=True)
    ethics_veto = BooleanField(_l("师德一票否决"))
    ethics_note = StringField(_l("师德情况说明"), validators=[Length(max=200, message=_l("不能超过 200 字"))])


class ImportForm(BaseForm):
    school_id = SelectField(_l("学校"), choices=[])
    file = FileField(_l("教师名单文件（CSV 或 Excel）"))


class AccountForm(BaseForm):
    username = StringField(_l("登录用户名"), validators=[Length(max=64, message=_l("不能超过 64 位"))])
