"""The generic review form: approve / return for revision / reject, with an opinion.

A BPMN user task uses it with ``formKey=decision``; its properties say which outcomes are offered
(``decisions``, e.g. ``approve,return,reject``) and which variable the gateways read
(``decisionVariable``). Each outcome's label states its effect, because 驳回 means different things
in different products (approvals.md §2).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length

from app.forms import BaseForm, choices
from app.i18n import N_
from app.models import HumanTask, User
from app.processes.registry import Completion, register_form_handler

DECISION_LABELS = {
    "approve": N_("通过"),
    "return": N_("退回修改（退回给申报人修改后重新提交）"),
    "reject": N_("不通过（终止本次申报）"),
}


class DecisionForm(BaseForm):
    decision = RadioField(_l("审核结论"), validators=[InputRequired(_l("请选择审核结论"))])
    comment = TextAreaField(_l("审核意见"), validators=[Length(max=2000, message=_l("审核意见不能超过 2000 字"))])


def decision_choices(task: HumanTask) -> list:
    props = task.properties or {}
    allowed = [d.strip() for d in props.get("decisions", "approve,return").split(",") if d.strip()]
    labels = {key: _(label) for key, label in DECISION_LABELS.items()}
    if props.get("approveLabel"):
        labels["approve"] = props["approveLabel"]
    return choices((d, labels.get(d, d)) for d in allowed)


class DecisionHandler:
    template = "tasks/_decision_form.html"
    can_save_draft = False
    uses_record = False

    def build_form(self, task: HumanTask, record: Any, formdata: Any = None) -> DecisionForm:
        form = DecisionForm(formdata=formdata)
        form.decision.choices = decision_choices(task)
        return form

    def validate(self, form: DecisionForm, task: HumanTask, record: Any, *, submitting: bool) -> bool:
        ok = form.validate()
        if ok and form.decision.data in ("return", "reject") and not (form.comment.data or "").strip():
            form.add_error("comment", _("退回或不通过时必须填写审核意见"))
            ok = False
        return ok

    def save(self, form: DecisionForm, task: HumanTask, record: Any, actor: User) -> None:
        raise NotImplementedError("review tasks have no draft")

    def complete(self, form: DecisionForm, task: HumanTask, record: Any, actor: User) -> Completion:
        variable = (task.properties or {}).get("decisionVariable", "decision")
        comment = (form.comment.data or "").strip() or None
        return Completion(data={variable: form.decision.data}, action=form.decision.data, comment=comment)


register_form_handler("decision", DecisionHandler())
