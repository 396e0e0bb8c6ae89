from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from app.forms import BaseForm


class LoginForm(BaseForm):
    username = StringField(_l("用户名"), validators=[InputRequired(_l("请输入用户名")), Length(max=64)])
    password = PasswordField(_l("密码"), validators=[InputRequired(_l("请输入密码")), Length(max=128)])
    next = HiddenField()


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(_l("当前密码"), validators=[InputRequired(_l("请输入当前密码"))])
    new_password = PasswordField(_l("新密码"), validators=[
        InputRequired(_l("请输入新密码")), Length(min=8, max=128, message=_l("新密码长度须为 8 到 128 位"))])
    confirm = PasswordField(_l("确认新密码"), validators=[
        InputRequired(_l("请再次输入新密码")), EqualTo("new_password", message=_l("两次输入的新密码不一致"))])
