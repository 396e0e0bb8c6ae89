"""Wires 学期检查 into the process runtime: its record, the forms of its steps, its operations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from app.forms import field_error as _error
from app.inspections import services
from app.inspections.forms import ReportForm, scores_form, selfcheck_form
from app.models import HumanTask, Inspection, ProcessInstance, User
from app.processes.registry import (
    Completion,
    ProcessAdapter,
    RunResult,
    register_adapter,
    register_form_handler,
)


class SelfCheckHandler:
    """「学校自查」: a note per item (materials are uploaded beside each item) and a summary."""

    template = "inspections/_selfcheck_form.html"
    can_save_draft = True
    uses_record = True

    def build_form(self, task: HumanTask, record: Inspection, formdata: Any = None):
        items = services.leaves(record)
        entries = services.selfcheck_entries(record)
        data = {"summary": record.self_check_note, **{f"note_{i.id}": entries[i.id].note for i in items if i.id in entries}}
        form = selfcheck_form(items, formdata=formdata, data=None if formdata is not None else data)
        form.score_items = items
        return form

    def validate(self, form: Any, task: HumanTask, record: Inspection, *, submitting: bool) -> bool:
        ok = form.validate()
        if submitting and not (form.summary.data or "").strip():
            _error(form.summary, _("提交前请填写自查总体情况"))
            ok = False
        return ok

    def _notes(self, form: Any, record: Inspection) -> dict[int, str]:
        return {i.id: getattr(form, f"note_{i.id}").data or "" for i in services.leaves(record)}

    def save(self, form: Any, task: HumanTask, record: Inspection, actor: User) -> None:
        services.save_selfcheck(record, self._notes(form, record), form.summary.data or "", actor)

    def complete(self, form: Any, task: HumanTask, record: Inspection, actor: User) -> Completion:
        services.save_selfcheck(record, self._notes(form, record), form.summary.data or "", actor)
        return Completion(data={}, action="submit", comment=None)


class ConsolidateHandler:
    """「汇总评分」: the lead's final score, deduction reason and 需整改 per leaf item."""

    template = "inspections/_consolidate_form.html"
    can_save_draft = False
    uses_record = True

    def build_form(self, task: HumanTask, record: Inspection, formdata: Any = None):
        items = services.leaves(record)
        data = None
        if formdata is None:
            proposed = services.proposed_scores(record)
            team = services.scores_by_item(record)
            data = {}
            for item in items:
                if item.id in proposed:
                    data[f"score_{item.id}"] = proposed[item.id]
                reasons = [r.deduction_reason for r in team.get(item.id, []) if r.deduction_reason]
                data[f"reason_{item.id}"] = "；".join(reasons)
        form = scores_form(items, prefix="", formdata=formdata, data=data, with_findings=True)
        form.score_items = items
        return form

    def validate(self, form: Any, task: HumanTask, record: Inspection, *, submitting: bool) -> bool:
        ok = form.validate()
        for item in services.leaves(record):
            score = getattr(form, f"score_{item.id}")
            if score.data is None and not score.errors:
                _error(score, _("请给出最终得分"))
                ok = False
            elif score.data is not None and score.data < item.max_points \
                    and not (getattr(form, f"reason_{item.id}").data or "").strip():
                _error(getattr(form, f"reason_{item.id}"), _("扣分须写明扣分理由"))
                ok = False
        return ok

    def save(self, *args: Any) -> None:
        raise NotImplementedError

    def complete(self, form: Any, task: HumanTask, record: Inspection, actor: User) -> Completion:
        finals = [services.FinalInput(item.id, Decimal(getattr(form, f"score_{item.id}").data),
                                      getattr(form, f"reason_{item.id}").data or "",
                                      bool(getattr(form, f"rectify_{item.id}").data))
                  for item in services.leaves(record)]
        services.consolidate(record, finals, actor)
        return Completion(data={}, action="submit", comment=None)


class ReportHandler:
    """「撰写反馈报告」: 基本情况 / 值得肯定的成绩 / 存在的问题和不足 / 改进的意见或建议."""

    template = "inspections/_report_form.html"
    can_save_draft = True
    uses_record = True

    def build_form(self, task: HumanTask, record: Inspection, formdata: Any = None) -> ReportForm:
        if formdata is not None:
            return ReportForm(formdata=formdata)
        data = {name: getattr(record, name) for name in services.REPORT_PARTS}
        if not any(data.values()):
            data = services.draft_report(record)
        return ReportForm(formdata=None, data=data)

    def validate(self, form: ReportForm, task: HumanTask, record: Inspection, *, submitting: bool) -> bool:
        ok = form.validate()
        if submitting:
            ok = form.check_required(("report_basic", "report_problems", "report_suggestions")) and ok
        return ok

    def save(self, form: ReportForm, task: HumanTask, record: Inspection, actor: User) -> None:
        services.save_report(record, form.data, actor, submitting=False)

    def complete(self, form: ReportForm, task: HumanTask, record: Inspection, actor: User) -> Completion:
        services.save_report(record, form.data, actor, submitting=True)
        return Completion(data={}, action="submit", comment=None)


def _record_context(instance: ProcessInstance, record: Inspection, user: User) -> dict[str, Any]:
    from app.inspections.views import record_context

    return record_context(record, user)


def _after_run(result: RunResult) -> None:
    inspection = result.record if result.record is not None else services.inspection_for_instance(result.instance.id)
    if inspection is not None:
        services.refresh_status(inspection, result.instance, result.open_tasks, result.created)


register_adapter(ProcessAdapter(
    key=services.PROCESS_KEY,
    load_record=lambda instance: services.inspection_for_instance(instance.id),
    record_template="inspections/_record.html",
    record_context=_record_context,
    after_run=_after_run,
    operations=services.OPERATIONS,
))
register_form_handler("insp.selfcheck", SelfCheckHandler())
register_form_handler("insp.consolidate", ConsolidateHandler())
register_form_handler("insp.report", ReportHandler())
