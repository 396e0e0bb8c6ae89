from __future__ import annotations

from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from app.forms import BaseForm


class LoginForm(BaseForm):
    username = StringField("用户名", validators=[InputRequired("请输入用户名"), Length(max=64)])
    password = PasswordField("密码", validators=[InputRequired("请输入密码"), Length(max=128)])
    next = HiddenField()


class ChangePasswordForm(BaseForm):
    current_password = PasswordField("当前密码", validators=[InputRequired("请输入当前密码")])
    new_password = PasswordField("新密码", validators=[
        InputRequired("请输入新密码"), Length(min=8, max=128, message="新密码长度须为 8 到 128 位")])
    confirm = PasswordField("确认新密码", validators=[
        InputRequired("请再次输入新密码"), EqualTo("new_password", message="两次输入的新密码不一致")])
