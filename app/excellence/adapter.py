"""Wires 评优 into the process runtime: the round as the record, the forms of its gate steps and of
专家评分, and its service-task operations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from app import audit
from app.excellence import services
from app.excellence.forms import GateForm, score_form
from app.forms import field_error as _error
from app.models import HumanTask, NominationStatus, ProcessInstance, SelectionRound, User
from app.processes.registry import (
    Completion,
    ProcessAdapter,
    RunResult,
    register_adapter,
    register_form_handler,
)


def _comment(form: GateForm) -> str | None:
    return (form.comment.data or "").strip() or None


class CheckHandler:
    """「形式审查」: done once every nomination is checked and every passed one has an expert without
    a conflict of interest. Nominations still returned for a fix when it is submitted are rejected."""

    template = "excellence/_check_form.html"
    can_save_draft = False
    uses_record = True

    def build_form(self, task: HumanTask, record: SelectionRound, formdata: Any = None) -> GateForm:
        form = GateForm(formdata=formdata)
        form.round = record
        return form

    def validate(self, form: GateForm, task: HumanTask, record: SelectionRound, *, submitting: bool) -> bool:
        ok = form.validate()
        waiting = [n for n in record.nominations if n.status == NominationStatus.SUBMITTED]
        if waiting:
            _error(form.comment, _("还有 %(n)s 份申报未做形式审查", n=len(waiting)))
            return False
        pool = services.passed(record)
        if not pool:
            _error(form.comment, _("没有通过形式审查的申报，无法进入专家评审"))
            return False
        for nomination in pool:
            if not services.eligible_experts(record, nomination):
                _error(form.comment, _("「%(name)s」没有可回避的专家可评：请先在评优方案中增加专家",
                                       name=nomination.nominee_name))
                ok = False
        return ok

    def save(self, *args: Any) -> None:
        raise NotImplementedError

    def complete(self, form: GateForm, task: HumanTask, record: SelectionRound, actor: User) -> Completion:
        for nomination in record.nominations:
            if nomination.status == NominationStatus.RETURNED:
                nomination.status = NominationStatus.REJECTED
                nomination.check_note = (nomination.check_note + "；" if nomination.check_note else "") + \
                    _("申报期内未补正")
        return Completion(data={}, action="submit", comment=_comment(form))


class ScoreHandler:
    """「专家评分」: the expert's own assignments, item by item on the rubric; submit locks the scores."""

    template = "excellence/_score_form.html"
    can_save_draft = True
    uses_record = True

    def build_form(self, task: HumanTask, record: SelectionRound, formdata: Any = None):
        expert = task.assignee
        assignments = services.assignments_of(record, expert) if expert else []
        items = services.leaves(record)
        data = None
        if formdata is None:
            data = {}
            for a in assignments:
                data[f"c_{a.id}"] = a.comment
                for s in a.scores:
                    data[f"s_{a.id}_{s.item_id}"] = s.score
        form = score_form(assignments, items, formdata=formdata, data=data)
        form.assignments = assignments
        form.score_items = items
        form.round = record
        return form

    def validate(self, form: Any, task: HumanTask, record: SelectionRound, *, submitting: bool) -> bool:
        ok = form.validate()
        if submitting:
            for a in form.assignments:
                for item in form.score_items:
                    field = getattr(form, f"s_{a.id}_{item.id}")
                    if field.data is None and not field.errors:
                        _error(field, _("请评分"))
                        ok = False
        return ok

    @staticmethod
    def _values(form: Any) -> tuple[dict[int, dict[int, Decimal | None]], dict[int, str]]:
        scores = {a.id: {item.id: getattr(form, f"s_{a.id}_{item.id}").data for item in form.score_items}
                  for a in form.assignments}
        comments = {a.id: getattr(form, f"c_{a.id}").data or "" for a in form.assignments}
        return scores, comments

    def save(self, form: Any, task: HumanTask, record: SelectionRound, actor: User) -> None:
        scores, comments = self._values(form)
        services.save_scores(actor, record, scores, comments, submitting=False)

    def complete(self, form: Any, task: HumanTask, record: SelectionRound, actor: User) -> Completion:
        scores, comments = self._values(form)
        services.save_scores(actor, record, scores, comments, submitting=True)
        return Completion(data={}, action="submit", comment=None)


class ConfirmHandler:
    """「专家组确认名单」: the ranking with ties and reserves, confirmed for the leadership."""

    template = "excellence/_confirm_form.html"
    can_save_draft = False
    uses_record = True

    def build_form(self, task: HumanTask, record: SelectionRound, formdata: Any = None) -> GateForm:
        form = GateForm(formdata=formdata)
        form.round = record
        form.ranking = services.ranking(record)
        return form

    def validate(self, form: GateForm, task: HumanTask, record: SelectionRound, *, submitting: bool) -> bool:
        return form.validate()

    def save(self, *args: Any) -> None:
        raise NotImplementedError

    def complete(self, form: GateForm, task: HumanTask, record: SelectionRound, actor: User) -> Completion:
        audit.record("exc.confirm", actor=actor, instance=record.instance, round_id=record.id)
        return Completion(data={}, action="submit", comment=_comment(form))


class ObjectionsHandler:
    """「处理异议」: the 公示 is over; done once every objection has been handled on the round page."""

    template = "excellence/_objections_form.html"
    can_save_draft = False
    uses_record = True

    def build_form(self, task: HumanTask, record: SelectionRound, formdata: Any = None) -> GateForm:
        form = GateForm(formdata=formdata)
        form.round = record
        form.pending = services.pending_objections(record)
        return form

    def validate(self, form: GateForm, task: HumanTask, record: SelectionRound, *, submitting: bool) -> bool:
        ok = form.validate()
        pending = services.pending_objections(record)
        if pending:
            _error(form.comment, _("还有 %(n)s 条异议未处理", n=len(pending)))
            ok = False
        return ok

    def save(self, *args: Any) -> None:
        raise NotImplementedError

    def complete(self, form: GateForm, task: HumanTask, record: SelectionRound, actor: User) -> Completion:
        return Completion(data={}, action="submit", comment=_comment(form))


def _record_context(instance: ProcessInstance, record: SelectionRound, user: User) -> dict[str, Any]:
    return {"round": record, "progress": services.review_progress(record)}


def _after_run(result: RunResult) -> None:
    round_ = result.record if result.record is not None else services.round_for_instance(result.instance.id)
    if round_ is not None:
        services.refresh_status(round_, result.open_tasks)


register_adapter(ProcessAdapter(
    key=services.PROCESS_KEY,
    load_record=lambda instance: services.round_for_instance(instance.id),
    record_template="excellence/_record.html",
    record_context=_record_context,
    after_run=_after_run,
    operations=services.OPERATIONS,
))
register_form_handler("exc.check", CheckHandler())
register_form_handler("exc.score", ScoreHandler())
register_form_handler("exc.confirm", ConfirmHandler())
register_form_handler("exc.objections", ObjectionsHandler())
