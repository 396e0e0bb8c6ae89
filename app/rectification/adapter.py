"""Wires 整改 into the process runtime: its record, the task forms of each step, and its operations."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from app import audit
from app.attachments.services import attachments_of
from app.forms import field_error as _error
from app.i18n import N_
from app.models import ACTION_LABELS, HumanTask, ItemStatus, ProcessInstance, RectificationOrder, User
from app.models.base import utcnow
from app.processes.registry import (
    Completion,
    ProcessAdapter,
    RunResult,
    register_adapter,
    register_form_handler,
)
from app.rectification import services
from app.rectification.forms import AckForm, DraftForm, ReportForm, assign_form, verify_form
from app.rectification.services import ItemDraft, Verdict
from app.workdays.moments import local_today

ACTION_LABELS.setdefault("acknowledge", N_("签收"))
ACTION_LABELS.setdefault("assign", N_("分解任务"))
ACTION_LABELS.setdefault("verify", N_("复查"))

EXTRA_ROWS = 3


class DraftHandler:
    """「起草整改通知书」: numbered items, cc list and the order's policy numbers."""

    template = "rectification/_draft_form.html"
    can_save_draft = True
    uses_record = True

    def build_form(self, task: HumanTask, record: RectificationOrder, formdata: Any = None) -> DraftForm:
        if formdata is not None:
            return DraftForm(formdata=formdata)
        rows = [{"problem": i.problem, "area": i.area, "requirement": i.requirement, "deadline": i.deadline}
                for i in record.items]
        default = services.default_deadline(record.school)
        rows += [{"deadline": None}] * EXTRA_ROWS
        form = DraftForm(formdata=None, data={
            "title": record.title, "basis": record.basis, "cc": "\n".join(record.cc or []),
            "ack_working_days": record.ack_working_days, "remind_working_days": record.remind_working_days,
            "max_rounds": record.max_rounds, "items": rows})
        form.default_deadline = default
        return form

    @staticmethod
    def drafts(form: DraftForm) -> list[ItemDraft]:
        return [ItemDraft(problem=row.problem.data or "", requirement=row.requirement.data or "",
                          deadline=row.deadline.data, area=row.area.data or "")
                for row in (entry.form for entry in form.items.entries) if not row.is_blank()]

    def validate(self, form: DraftForm, task: HumanTask, record: RectificationOrder, *, submitting: bool) -> bool:
        ok = form.validate()
        today = local_today(utcnow())
        filled = 0
        for entry in form.items.entries:
            row = entry.form
            if row.is_blank():
                continue
            filled += 1
            for field in (row.problem, row.requirement):
                if not (field.data or "").strip():
                    _error(field, _("此项为必填项"))
                    ok = False
            if row.deadline.data is None:
                if not row.deadline.errors:
                    _error(row.deadline, _("请填写整改期限（格式 2026-03-31）"))
                ok = False
            elif row.deadline.data < today:
                _error(row.deadline, _("整改期限不能早于今天"))
                ok = False
        if submitting and filled == 0:
            _error(form.items.entries[0].form.problem, _("至少填写一项整改问题"))
            ok = False
        return ok

    def _apply(self, form: DraftForm, record: RectificationOrder, submitting: bool) -> None:
        services.apply_draft(record, title=form.title.data or "", basis=form.basis.data or "",
                             cc=(form.cc.data or "").splitlines(), items=self.drafts(form),
                             ack_working_days=form.ack_working_days.data,
                             remind_working_days=form.remind_working_days.data,
                             max_rounds=form.max_rounds.data, submitting=submitting)

    def save(self, form: DraftForm, task: HumanTask, record: RectificationOrder, actor: User) -> None:
        self._apply(form, record, submitting=False)
        audit.record("rect.save_draft", actor=actor, instance=record.instance, task=task, order_id=record.id)

    def complete(self, form: DraftForm, task: HumanTask, record: RectificationOrder, actor: User) -> Completion:
        self._apply(form, record, submitting=True)
        comment = (form.submit_comment.data or "").strip() or None
        return Completion(data={}, action="submit", comment=comment)



class AckHandler:
    template = "rectification/_ack_form.html"
    can_save_draft = False
    uses_record = True

    def build_form(self, task: HumanTask, record: RectificationOrder, formdata: Any = None) -> AckForm:
        return AckForm(formdata=formdata)

    def validate(self, form: AckForm, task: HumanTask, record: RectificationOrder, *, submitting: bool) -> bool:
        return form.validate()

    def save(self, *args: Any) -> None:
        raise NotImplementedError("签收 has no draft")

    def complete(self, form: AckForm, task: HumanTask, record: RectificationOrder, actor: User) -> Completion:
        record.acknowledged_at = utcnow()
        record.acknowledged_by_id = actor.id
        audit.record("rect.acknowledge", actor=actor, instance=record.instance, order_id=record.id)
        return Completion(data={}, action="acknowledge", comment=(form.comment.data or "").strip() or None)


class AssignHandler:
    template = "rectification/_assign_form.html"
    can_save_draft = False
    uses_record = True

    @staticmethod
    def open_items(record: RectificationOrder) -> list:
        return [i for i in record.items if i.status == ItemStatus.OPEN]

    def build_form(self, task: HumanTask, record: RectificationOrder, formdata: Any = None):
        form = assign_form(self.open_items(record), services.school_staff(record.school_id), formdata)
        form.order_items = self.open_items(record)
        return form

    def validate(self, form: Any, task: HumanTask, record: RectificationOrder, *, submitting: bool) -> bool:
        return form.validate()

    def save(self, *args: Any) -> None:
        raise NotImplementedError

    def complete(self, form: Any, task: HumanTask, record: RectificationOrder, actor: User) -> Completion:
        assignments = {i.id: int(getattr(form, f"item_{i.id}").data) for i in self.open_items(record)}
        services.assign_items(record, assignments, actor)
        return Completion(data={}, action="assign", comment=(form.comment.data or "").strip() or None)


class ReportHandler:
    template = "rectification/_report_form.html"
    can_save_draft = True
    uses_record = True

    def build_form(self, task: HumanTask, record: RectificationOrder, formdata: Any = None) -> ReportForm:
        return ReportForm(formdata=formdata) if formdata is not None else ReportForm(formdata=None,
                                                                                     data={"report": record.report})

    def validate(self, form: ReportForm, task: HumanTask, record: RectificationOrder, *, submitting: bool) -> bool:
        return form.validate()

    def save(self, form: ReportForm, task: HumanTask, record: RectificationOrder, actor: User) -> None:
        record.report = (form.report.data or "").strip()
        audit.record("rect.save_report", actor=actor, instance=record.instance, task=task, order_id=record.id)

    def complete(self, form: ReportForm, task: HumanTask, record: RectificationOrder, actor: User) -> Completion:
        services.submit_report(record, form.report.data or "", actor)
        return Completion(data={}, action="submit", comment=None)


class VerifyHandler:
    template = "rectification/_verify_form.html"
    can_save_draft = False
    uses_record = True

    @staticmethod
    def responded(record: RectificationOrder) -> list:
        return [i for i in record.items if i.status == ItemStatus.RESPONDED]

    def build_form(self, task: HumanTask, record: RectificationOrder, formdata: Any = None):
        form = verify_form(self.responded(record), formdata)
        form.order_items = self.responded(record)
        return form

    def validate(self, form: Any, task: HumanTask, record: RectificationOrder, *, submitting: bool) -> bool:
        ok = form.validate()
        today = local_today(utcnow())
        last_round = record.round >= record.max_rounds
        for item in self.responded(record):
            if getattr(form, f"result_{item.id}").data != "fail":
                continue
            if not (getattr(form, f"comment_{item.id}").data or "").strip():
                _error(getattr(form, f"comment_{item.id}"), _("不合格时须写明原因"))
                ok = False
            deadline = getattr(form, f"deadline_{item.id}")
            if not last_round and (deadline.data is None or deadline.data <= today):
                _error(deadline, _("不合格时须给出晚于今天的新整改期限"))
                ok = False
        return ok

    def save(self, *args: Any) -> None:
        raise NotImplementedError

    def complete(self, form: Any, task: HumanTask, record: RectificationOrder, actor: User) -> Completion:
        verdicts = [Verdict(item.id, getattr(form, f"result_{item.id}").data == "pass",
                            getattr(form, f"comment_{item.id}").data or "", getattr(form, f"deadline_{item.id}").data)
                    for item in self.responded(record)]
        outcome = services.verify(record, verdicts, actor)
        return Completion(data={"verify_outcome": outcome}, action="verify", comment=None)


def _record_context(instance: ProcessInstance, record: RectificationOrder, user: User) -> dict[str, Any]:
    from app.rectification.views import record_context

    return record_context(record, user)


def _after_run(result: RunResult) -> None:
    order = result.record if result.record is not None else services.order_for_instance(result.instance.id)
    if order is not None:
        services.refresh_status(order, result.instance, result.open_tasks)


def evidence_of(item_id: int) -> list:
    return attachments_of("rect_item", item_id)


register_adapter(ProcessAdapter(
    key=services.PROCESS_KEY,
    load_record=lambda instance: services.order_for_instance(instance.id),
    record_template="rectification/_record.html",
    record_context=_record_context,
    after_run=_after_run,
    operations=services.OPERATIONS,
))
register_form_handler("rect.draft", DraftHandler())
register_form_handler("rect.ack", AckHandler())
register_form_handler("rect.assign", AssignHandler())
register_form_handler("rect.report", ReportHandler())
register_form_handler("rect.verify", VerifyHandler())
