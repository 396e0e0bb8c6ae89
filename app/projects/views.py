from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.attachments.services import remove, store_upload
from app.attachments.views import storage_settings
from app.errors import Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.forms import choices
from app.models import Attachment, HumanTask, ProjectApplication, ProjectStatus, TaskStatus
from app.projects import bp
from app.projects.forms import NewProjectForm, UploadForm
from app.projects.services import (
    create_application,
    draft_task_for,
    get_visible_project,
    list_projects,
    schools_for_applicant,
    terms_for,
    visible_schools,
)


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value and value > 0 else None


@bp.route("/projects")
@login_required
def index():
    status = request.args.get("status") or None
    if status not in {s.value for s in ProjectStatus}:
        status = None
    school_id, term_id = _int_arg("school"), _int_arg("term")
    q = (request.args.get("q") or "").strip()[:100] or None
    page = list_projects(current_user, school_id=school_id, status=status, term_id=term_id, q=q,
                         page=max(request.args.get("page", 1, type=int) or 1, 1),
                         per_page=current_app.config["PAGE_SIZE"])
    schools = visible_schools(current_user)
    terms = terms_for(schools[0]) if schools else []
    applicant_schools = schools_for_applicant(current_user)
    new_form = NewProjectForm()
    new_form.school_id.choices = choices((s.id, s.name) for s in applicant_schools)
    return render_template("projects/index.html", page=page, schools=schools, terms=terms,
                           statuses=list(ProjectStatus), status=status, school_id=school_id, term_id=term_id,
                           q=q or "", new_form=new_form, can_apply=bool(applicant_schools))


@bp.route("/projects/new", methods=["POST"])
@login_required
def new():
    form = NewProjectForm()
    form.school_id.choices = choices((s.id, s.name) for s in schools_for_applicant(current_user))
    if not form.validate_on_submit():
        flash(_("请选择申报学校"), "warning")
        return redirect(url_for("projects.index"))
    project = create_application(actor=current_user._get_current_object(), school_id=int(form.school_id.data))
    # Read before committing: the commit expires what was loaded, and reading it back would open a
    # second transaction just to build the redirect.
    task_id = db.session.scalars(select(HumanTask.id).where(HumanTask.instance_id == project.instance_id,
                                                            HumanTask.status == TaskStatus.OPEN)).first()
    db.session.commit()
    flash(_("已创建申报，请填写申报书"), "success")
    return redirect(url_for("tasks.show", task_id=task_id) if task_id else url_for("projects.index"))


@bp.route("/projects/<int:project_id>")
@login_required
def show(project_id: int):
    project = get_visible_project(project_id, current_user)
    return redirect(url_for("instances.show", instance_id=project.instance_id))


def _back(project: ProjectApplication, task: HumanTask | None):
    if task is not None:
        return redirect(url_for("tasks.show", task_id=task.id) + "#attachments")
    return redirect(url_for("instances.show", instance_id=project.instance_id))


@bp.route("/projects/<int:project_id>/attachments", methods=["POST"])
@login_required
def upload(project_id: int):
    user = current_user._get_current_object()
    project = get_visible_project(project_id, user)
    task = draft_task_for(project, user)
    if task is None:
        raise Forbidden(_("只有申报书填写人在填写阶段可以上传附件"))
    form = UploadForm()
    if not form.validate_on_submit() or not form.file.data or not form.file.data.filename:
        flash(_("请选择要上传的文件"), "warning")
        return _back(project, task)
    try:
        store_upload(form.file.data.stream, form.file.data.filename, settings=storage_settings(),
                     owner_type="project", owner_id=project.id, instance_id=project.instance_id,
                     school_id=project.school_id, actor=user)
        db.session.commit()
    except InvalidInput as err:
        db.session.rollback()
        flash(err.message, "danger")
        return _back(project, task)
    flash(_("附件已上传"), "success")
    return _back(project, task)


@bp.route("/projects/<int:project_id>/attachments/<int:attachment_id>/delete", methods=["POST"])
@login_required
def delete_attachment(project_id: int, attachment_id: int):
    user = current_user._get_current_object()
    project = get_visible_project(project_id, user)
    task = draft_task_for(project, user)
    if task is None:
        raise Forbidden(_("只有申报书填写人在填写阶段可以删除附件"))
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.deleted or attachment.owner_type != "project" \
            or attachment.owner_id != project.id:
        raise NotFound(_("附件不存在"))
    remove(attachment, actor=user)
    db.session.commit()
    flash(_("附件已删除"), "info")
    return _back(project, task)
