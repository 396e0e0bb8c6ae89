from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from app.forms import BaseForm


class PreferencesForm(BaseForm):
    email = StringField(_l("电子邮箱"), validators=[
        Optional(), Length(max=255, message=_l("邮箱地址过长")),
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("请输入有效的邮箱地址，例如 name@school.cn"))])
    email_mode = RadioField(_l("邮件通知方式"), validators=[InputRequired(_l("请选择邮件通知方式"))])
