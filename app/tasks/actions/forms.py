"""Forms of the action panels. Choices are filled per task; the services decide who is eligible
(``validate_choice=False``), so a refused choice gets the service's message beside the field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import RadioField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import InputRequired, Length

from app.forms import BaseForm

_LONG = Length(max=2000, message=_l("不能超过 2000 字"))


class ActionForm(BaseForm):
    """Several action panels share a page, so their fields are prefixed with the action's name.
    The token is checked once per request by the application's CSRFProtect, and the templates
    send it as the plain ``csrf_token`` field, so the forms do not check it again."""

    class Meta:
        csrf = False


class TransferForm(ActionForm):
    user_id = SelectField(_l("转办给"), validate_choice=False, validators=[InputRequired(_l("请选择转办给谁"))])
    comment = TextAreaField(_l("转办说明"), validators=[_LONG])


class DelegateForm(ActionForm):
    user_id = SelectField(_l("委派给"), validate_choice=False, validators=[InputRequired(_l("请选择委派给谁"))])
    comment = TextAreaField(_l("请对方处理的事项"), validators=[_LONG])


class ResolveForm(ActionForm):
    comment = TextAreaField(_l("处理意见"), validators=[InputRequired(_l("请填写处理意见，交还后委派人会看到")), _LONG])


class ReturnForm(ActionForm):
    target_id = RadioField(_l("退回到"), validate_choice=False, validators=[InputRequired(_l("请选择要退回到的环节"))])
    comment = TextAreaField(_l("退回原因"), validators=[InputRequired(_l("退回时必须填写退回原因")), _LONG])


class AddSignerForm(ActionForm):
    kind = RadioField(_l("加签方式"), validate_choice=False, validators=[InputRequired(_l("请选择加签方式"))])
    user_id = SelectField(_l("加签人"), validate_choice=False, validators=[InputRequired(_l("请选择加签人"))])
    comment = TextAreaField(_l("加签说明"), validators=[_LONG])


class CommentForm(ActionForm):
    text = TextAreaField(_l("评论"), validators=[InputRequired(_l("请填写评论内容")), _LONG])


class AttachForm(ActionForm):
    file = FileField(_l("附件"))


class CcForm(ActionForm):
    user_ids = SelectMultipleField(_l("抄送给"), validate_choice=False,
                                   validators=[InputRequired(_l("请选择要抄送的人员"))])
    note = TextAreaField(_l("附言"), validators=[Length(max=500, message=_l("附言不能超过 500 字"))])


class UrgeForm(ActionForm):
    comment = TextAreaField(_l("催办留言"), validators=[Length(max=500, message=_l("留言不能超过 500 字"))])


class WithdrawForm(ActionForm):
    comment = TextAreaField(_l("撤回说明"), validators=[_LONG])


class BulkApproveForm(ActionForm):
    task_ids = SelectMultipleField(_l("所选任务"), validate_choice=False,
                                   validators=[InputRequired(_l("请先勾选要批量通过的任务"))])
    comment = TextAreaField(_l("统一审核意见"), validators=[Length(max=2000, message=_l("不能超过 2000 字"))])
