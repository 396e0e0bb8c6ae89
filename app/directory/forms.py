from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField

from app.forms import BaseForm


class ImportForm(BaseForm):
    file = FileField(_l("文件（CSV 或 Excel）"))
