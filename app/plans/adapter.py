"""Wires 研修计划审批 and 计划变更 into the process runtime: the record, the draft form, the
organiser review, policy-driven due dates and the service-task operations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import flash
from flask_babel import gettext as _

from app import audit
from app.errors import InvalidInput
from app.forms import choices
from app.forms import field_error as _add_error
from app.models import HumanTask, PlanKind, ProcessInstance, ProjectApplication, ResearchPlan, User
from app.models.base import utcnow
from app.plans.checks import BLOCK, WARN, Finding, funding_ratio
from app.plans.forms import SPARE_ROWS, PlanForm
from app.plans.services import (
    ACTIVITY_FIELDS,
    BUDGET_FIELDS,
    CHANGE_PROCESS_KEY,
    PROCESS_KEY,
    apply_form,
    approved_projects,
    check_operation,
    diff_activities,
    facts_from_rows,
    facts_of,
    filled_rows,
    freeze_operation,
    plan_for_instance,
    plan_versions,
    record_checks,
    refresh_status,
    route_operation,
    run_checks,
)
from app.policy.schema import BUDGET_SCOPES, FUNDING_BASES, WEEKDAYS
from app.policy.services import policy_for_term
from app.processes.registry import (
    Completion,
    ProcessAdapter,
    RunResult,
    register_adapter,
    register_form_handler,
)
from app.regions import region_id_of
from app.tasks.decision import DecisionForm, DecisionHandler
from app.workdays import deadline_after_working_days


def _row_data(entry: Any) -> dict[str, Any]:
    data = dict(entry.data)
    if "way" in data:
        data["form"] = data.pop("way")
    return data


def form_rows(form: PlanForm) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return [_row_data(e) for e in form.activities], [dict(e.data) for e in form.budget_lines]


def _initial(plan: ResearchPlan) -> dict[str, Any]:
    return {
        "goals": plan.goals, "project_ids": list(plan.project_ids or []), "declared_funds": plan.declared_funds,
        "change_reason": plan.change_reason,
        "activities": [{"key": a.key, "planned_date": a.planned_date, "period": a.period, "alt_date": a.alt_date,
                        "way": a.form, "topic": a.topic, "presenter": a.presenter, "target_group": a.target_group,
                        "hours": a.hours, "mode": a.mode} for a in plan.activities],
        "budget_lines": [{"category": b.category, "scope": b.scope, "amount": b.amount, "note": b.note}
                         for b in plan.budget_lines],
    }



_REQUIRED_ACTIVITY = (("planned_date", "请填写日期"), ("topic", "请填写主题"), ("way", "请选择研修方式"),
                      ("hours", "请填写学时"))
_REQUIRED_BUDGET = (("category", "请选择开支类别"), ("amount", "请填写金额"))


def place_findings(form: PlanForm, findings: list[Finding]) -> None:
    """Put each finding beside its field: a row's cell, the declared funds, or a section."""
    columns = {"planned_date": "planned_date", "period": "period", "alt_date": "alt_date", "category": "category"}
    for f in findings:
        if f.row is not None and f.field in columns:
            rows = form.budget_lines if f.field == "category" else form.activities
            if 0 < f.row <= len(rows.entries):
                _add_error(rows.entries[f.row - 1].form[columns[f.field]], f.message)
                continue
        if f.field == "declared_funds":
            _add_error(form.declared_funds, f.message)
        elif f.field == "budget_lines":
            _add_error(form.budget_lines, f.message)
        else:
            _add_error(form.activities, f.message)


class PlanDraftHandler:
    """The plan form of「编制研修计划」and「填写计划变更」: save a draft, or submit it.

    Submitting runs the region's checks on what was typed: blocking failures keep the task open
    and appear beside their fields; warnings are let through and shown to the reviewers. The
    service task「按区域政策检查计划」then runs the same checks on the stored plan in the engine.
    """

    template = "plans/_draft_form.html"
    can_save_draft = True
    uses_record = True

    def build_form(self, task: HumanTask, record: ResearchPlan, formdata: Any = None) -> PlanForm:
        if formdata is not None:
            form = PlanForm(formdata=formdata)
        else:
            form = PlanForm(formdata=None, data=_initial(record))
            for _n in range(SPARE_ROWS):
                form.activities.append_entry()
                form.budget_lines.append_entry()
        form.project_ids.choices = choices((p.id, f"{p.code} {p.title}") for p in approved_projects(record.school))
        base = policy_for_term(record.term).policy.funding_base
        form.declared_funds.label.text = _("学校%(base)s（元）", base=_(FUNDING_BASES[base]))
        return form

    def validate(self, form: PlanForm, task: HumanTask, record: ResearchPlan, *, submitting: bool) -> bool:
        ok = form.validate()
        activities, budget = form_rows(form)
        for number, _row in filled_rows(activities, ACTIVITY_FIELDS):
            entry = form.activities.entries[number - 1].form
            for name, message in _REQUIRED_ACTIVITY:
                if entry[name].data in (None, "") and not entry[name].errors:
                    _add_error(entry[name], _(message))
                    ok = False
        for number, _row in filled_rows(budget, BUDGET_FIELDS):
            entry = form.budget_lines.entries[number - 1].form
            for name, message in _REQUIRED_BUDGET:
                if entry[name].data in (None, "") and not entry[name].errors:
                    _add_error(entry[name], _(message))
                    ok = False
        if not submitting or not ok:
            return ok
        filled = filled_rows(activities, ACTIVITY_FIELDS)
        if not filled:
            _add_error(form.activities, _("请至少填写一项计划活动"))
            ok = False
        if record.kind == PlanKind.CHANGE and not (form.change_reason.data or "").strip():
            _add_error(form.change_reason, _("请说明变更原因"))
            ok = False
        facts = facts_from_rows(record.term, filled, filled_rows(budget, BUDGET_FIELDS), form.declared_funds.data)
        findings = run_checks(facts, policy_for_term(record.term))
        blocked = [f for f in findings if f.status == BLOCK]
        if blocked:
            place_findings(form, blocked)
            ok = False
        return ok

    def save(self, form: PlanForm, task: HumanTask, record: ResearchPlan, actor: User) -> None:
        activities, budget = form_rows(form)
        apply_form(record, {**form.data, "activities": activities, "budget_lines": budget}, submitting=False)
        record_checks(record)
        audit.record("plan.save_draft", actor=actor, instance=record.instance, task=task, plan_id=record.id)

    def complete(self, form: PlanForm, task: HumanTask, record: ResearchPlan, actor: User) -> Completion:
        activities, budget = form_rows(form)
        apply_form(record, {**form.data, "activities": activities, "budget_lines": budget}, submitting=True)
        record.round += 1
        record.submitted_at = utcnow()
        record.submitted_by_id = actor.id
        notes = [f for f in record_checks(record) if f.status == WARN]
        if notes:
            flash(_("计划已提交；政策检查有 %(n)s 项提示，审核人会看到：%(items)s", n=len(notes),
                    items=_("；").join(f.message for f in notes)), "warning")
        comment = (form.submit_comment.data or "").strip() or None
        return Completion(data={}, action="submit", comment=comment)


class OrganizerReviewHandler(DecisionHandler):
    """「师训站长审核」: the generic decision, but never by the person who submitted the plan."""

    uses_record = True

    def complete(self, form: DecisionForm, task: HumanTask, record: Any, actor: User) -> Completion:
        if record is not None and record.submitted_by_id == actor.id:
            raise InvalidInput(_("师训站长审核须由计划编制人以外的学校管理员办理"), field="decision")
        return super().complete(form, task, record, actor)


def _record_context(instance: ProcessInstance, record: ResearchPlan, user: User) -> dict[str, Any]:
    in_force = policy_for_term(record.term)
    projects = {p.id: p for p in approved_projects(record.school)}
    return {
        # The draft panel checks the saved draft against the policy in force now, not as it was.
        "live_checks": [f.to_dict() for f in run_checks(facts_of(record), in_force)] if not record.is_frozen else [],
        "policy": in_force.policy,
        "policy_version": in_force.version,
        "linked_projects": [projects.get(pid) or ProjectApplication(title=f"#{pid}") for pid in record.project_ids or []],
        "funding_ratio": funding_ratio(facts_of(record), in_force.policy),
        "funding_base": _(FUNDING_BASES[in_force.policy.funding_base]),
        "versions": plan_versions(record),
        "diff": diff_activities(record),
        "weekdays": WEEKDAYS,
        "budget_scopes": BUDGET_SCOPES,
        "total_budget": sum((b.amount for b in record.budget_lines), Decimal("0")),
    }


_DRAFT_STEPS = {"Task_draft"}


def _after_run(result: RunResult) -> None:
    plan = result.record if result.record is not None else plan_for_instance(result.instance.id)
    if plan is None:
        return
    refresh_status(plan, result.instance, result.open_tasks)
    # Due dates come from the region's policy, in working days, rather than from the diagram.
    policy = policy_for_term(plan.term).policy
    region = region_id_of(plan.school)
    now = utcnow()
    for task in result.created:
        days = policy["deadlines.draft_days"] if task.bpmn_id in _DRAFT_STEPS else policy["deadlines.review_days"]
        task.set_due(deadline_after_working_days(region, now, int(days)))


OPERATIONS = {"plan.check": check_operation, "plan.route": route_operation, "plan.freeze": freeze_operation}

for key in (PROCESS_KEY, CHANGE_PROCESS_KEY):
    register_adapter(ProcessAdapter(
        key=key,
        load_record=lambda instance: plan_for_instance(instance.id),
        record_template="plans/_record.html",
        record_context=_record_context,
        after_run=_after_run,
        operations=OPERATIONS,
    ))
register_form_handler("plan.draft", PlanDraftHandler())
register_form_handler("plan.organizer_review", OrganizerReviewHandler())
