"""Wires 学分认定与登记 into the process runtime: the batch record, the collect and review forms
(per-record rejection with a reason), policy-driven due dates and the service operations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from app.attachments.services import attachments_of
from app.credits.forms import CollectForm, ReviewForm
from app.credits.services import (
    LEVEL_LABELS,
    PROCESS_KEY,
    apply_review,
    batch_for_instance,
    chain,
    generate_operation,
    pending_at,
    refresh_status,
    register_operation,
    route_operation,
    submit_collection,
)
from app.errors import InvalidInput
from app.models import CreditBatch, CreditStatus, HumanTask, ProcessInstance, User
from app.models.base import utcnow
from app.policy.services import policy_for_term
from app.processes.registry import (
    Completion,
    ProcessAdapter,
    RunResult,
    register_adapter,
    register_form_handler,
)
from app.regions import region_id_of
from app.tasks.decision import decision_choices
from app.workdays import deadline_after_working_days

#: Review step → the level whose records it reviews.
STEP_LEVELS = {"Task_school": "school", "Task_township": "township", "Task_city": "city"}


class CollectHandler:
    """「汇总学分记录」: the clerk checks the generated and declared records and submits them."""

    template = "credits/_collect_form.html"
    can_save_draft = False
    uses_record = True

    def build_form(self, task: HumanTask, record: CreditBatch, formdata: Any = None) -> CollectForm:
        return CollectForm(formdata=formdata)

    def validate(self, form: CollectForm, task: HumanTask, record: CreditBatch, *, submitting: bool) -> bool:
        return form.validate()

    def save(self, form: CollectForm, task: HumanTask, record: CreditBatch, actor: User) -> None:
        raise NotImplementedError("the collect step has no draft")

    def complete(self, form: CollectForm, task: HumanTask, record: CreditBatch, actor: User) -> Completion:
        submit_collection(record, actor=actor)
        return Completion(data={}, action="submit", comment=(form.submit_comment.data or "").strip() or None)


class ReviewHandler:
    """「学校认定」「乡镇审核」「学分登记」: approve the batch (rejecting single records, each with a
    reason) or return it to the clerk."""

    template = "credits/_review_form.html"
    can_save_draft = False
    uses_record = True

    def build_form(self, task: HumanTask, record: CreditBatch, formdata: Any = None) -> ReviewForm:
        form = ReviewForm(formdata=formdata)
        form.decision.choices = decision_choices(task)
        form.rejections = {}
        form.record_errors = {}
        if formdata is not None:
            for r in pending_at(record, STEP_LEVELS[task.bpmn_id]):
                if formdata.get(f"reject-{r.id}"):
                    form.rejections[r.id] = (formdata.get(f"reason-{r.id}") or "").strip()
        return form

    def validate(self, form: ReviewForm, task: HumanTask, record: CreditBatch, *, submitting: bool) -> bool:
        ok = form.validate()
        for rid, reason in form.rejections.items():
            if not reason:
                form.record_errors[rid] = _("不予通过的记录须填写理由")
                ok = False
            elif len(reason) > 500:
                form.record_errors[rid] = _("理由不能超过 500 字")
                ok = False
        if ok and form.decision.data == "return" and not (form.comment.data or "").strip():
            form.add_error("comment", _("退回时必须填写审核意见"))
            ok = False
        if ok and form.decision.data == "return" and form.rejections:
            form.add_error("decision", _("退回整批时不能同时对单条记录作不通过处理；请先退回，或选择通过"))
            ok = False
        return ok

    def save(self, form: ReviewForm, task: HumanTask, record: CreditBatch, actor: User) -> None:
        raise NotImplementedError("review tasks have no draft")

    def complete(self, form: ReviewForm, task: HumanTask, record: CreditBatch, actor: User) -> Completion:
        level = STEP_LEVELS.get(task.bpmn_id)
        if level is None:
            raise InvalidInput(_("该任务不是学分审核环节"), field="decision")
        apply_review(record, level, form.decision.data, form.rejections, actor=actor)
        variable = (task.properties or {}).get("decisionVariable", "decision")
        comment = (form.comment.data or "").strip() or None
        if form.rejections and form.decision.data == "approve":
            extra = _("不予通过 %(n)s 条记录", n=len(form.rejections))
            comment = f"{comment}（{extra}）" if comment else extra
        return Completion(data={variable: form.decision.data}, action=form.decision.data, comment=comment)


def _record_context(instance: ProcessInstance, record: CreditBatch, user: User) -> dict[str, Any]:
    by_status: dict[str, Decimal] = {}
    for r in record.records:
        by_status[r.status.value] = by_status.get(r.status.value, Decimal("0")) + r.credits
    levels = chain(record)
    return {"levels": levels, "level_labels": LEVEL_LABELS, "totals": by_status, "statuses": list(CreditStatus),
            "evidence_of": lambda r: attachments_of("credit_record", r.id) if r.source == "declared" else []}


def _after_run(result: RunResult) -> None:
    batch = result.record if result.record is not None else batch_for_instance(result.instance.id)
    if batch is None:
        return
    refresh_status(batch, result.instance, result.open_tasks)
    policy = policy_for_term(batch.term).policy
    region = region_id_of(batch.school)
    now = utcnow()
    for task in result.created:
        if task.bpmn_id in STEP_LEVELS:
            task.set_due(deadline_after_working_days(region, now, int(policy["deadlines.credit_review_days"])))


register_adapter(ProcessAdapter(
    key=PROCESS_KEY,
    load_record=lambda instance: batch_for_instance(instance.id),
    record_template="credits/_record.html",
    record_context=_record_context,
    after_run=_after_run,
    operations={"credit.generate": generate_operation, "credit.route": route_operation,
                "credit.register": register_operation},
))
register_form_handler("credit.collect", CollectHandler())
register_form_handler("credit.review", ReviewHandler())
