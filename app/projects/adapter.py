"""Wires 项目申报 into the process runtime: its record, its draft form, and 立项."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app

from app import audit
from app.attachments.services import attachments_of
from app.models import HumanTask, ProcessInstance, ProjectApplication, User
from app.models.base import utcnow
from app.processes.registry import (
    Completion,
    ProcessAdapter,
    RunResult,
    register_adapter,
    register_form_handler,
)
from app.projects.forms import REQUIRED_ON_SUBMIT, ProjectForm, UploadForm
from app.projects.services import (
    PROCESS_KEY,
    apply_form,
    draft_task_for,
    project_for_instance,
    refresh_status,
    register_project,
    terms_for,
)
from app.vocab import RESEARCH_DOMAINS


def initial_data(project: ProjectApplication) -> dict[str, Any]:
    return {
        "title": project.title, "domain": project.domain or "", "modules": project.modules or [],
        "forms": project.forms or [], "problem": project.problem, "goals": project.goals,
        "target_group": project.target_group or "",
        "start_term_id": str(project.start_term_id or ""), "end_term_id": str(project.end_term_id or ""),
        "leader": project.leader, "team": "\n".join(project.team or []),
        "planned_hours": project.planned_hours, "budget": project.budget,
        "expected_outcomes": project.expected_outcomes,
    }


class ProjectDraftHandler:
    """The 申报书 form of the task「填写申报书」: save as draft, or submit to the principal."""

    template = "projects/_draft_form.html"
    can_save_draft = True
    uses_record = True

    def build_form(self, task: HumanTask, record: ProjectApplication, formdata: Any = None) -> ProjectForm:
        form = ProjectForm(formdata=formdata) if formdata is not None else ProjectForm(
            formdata=None, data=initial_data(record))
        form.set_term_choices([(t.id, t.name) for t in terms_for(record.school)])
        return form

    def validate(self, form: ProjectForm, task: HumanTask, record: ProjectApplication, *,
                 submitting: bool) -> bool:
        ok = form.validate()
        if submitting:
            ok = form.check_required(REQUIRED_ON_SUBMIT) and ok
        return ok

    def save(self, form: ProjectForm, task: HumanTask, record: ProjectApplication, actor: User) -> None:
        apply_form(record, form.data, submitting=False)
        audit.record("project.save_draft", actor=actor, instance=record.instance, task=task, project_id=record.id)

    def complete(self, form: ProjectForm, task: HumanTask, record: ProjectApplication, actor: User) -> Completion:
        apply_form(record, form.data, submitting=True)
        record.round += 1
        record.submitted_at = utcnow()
        comment = (form.submit_comment.data or "").strip() or None
        return Completion(data={}, action="submit", comment=comment)


def _record_context(instance: ProcessInstance, record: ProjectApplication, user: User) -> dict[str, Any]:
    config = current_app.config
    return {"attachments": attachments_of("project", record.id),
            "can_edit_attachments": draft_task_for(record, user) is not None,
            "upload_form": UploadForm(),
            "max_mb": config["ATTACHMENT_MAX_BYTES"] // (1024 * 1024),
            "allowed_types": config["ATTACHMENT_TYPES"],
            "accept": ",".join("." + ext for ext in config["ATTACHMENT_TYPES"]),
            "domain_modules_json": json.dumps(RESEARCH_DOMAINS, ensure_ascii=False)}


def _after_run(result: RunResult) -> None:
    project = result.record if result.record is not None else project_for_instance(result.instance.id)
    if project is not None:
        refresh_status(project, result.instance, result.open_tasks)


register_adapter(ProcessAdapter(
    key=PROCESS_KEY,
    load_record=lambda instance: project_for_instance(instance.id),
    record_template="projects/_record.html",
    record_context=_record_context,
    after_run=_after_run,
    operations={"project.register": register_project},
))
register_form_handler("project.draft", ProjectDraftHandler())
