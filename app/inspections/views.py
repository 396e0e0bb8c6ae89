from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.attachments.services import attachments_of, file_path, remove, store_upload
from app.attachments.views import storage_settings
from app.errors import Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.forms import EmptyForm, choices, show_input_error
from app.inspections import bp, services, sheets
from app.inspections.forms import CampaignForm, ObservationForm, UploadForm, scores_form
from app.inspections.metrics import metric_choices
from app.models import Attachment, InspectionKind, InspectionStatus, ScopeKind, Term, User
from app.transactions import writes


def _user() -> User:
    return current_user._get_current_object()


def _region_ids(user: User) -> list[int]:
    return sorted({ra.org.ancestor_ids()[-1] for ra in user.roles})


# -- overview ------------------------------------------------------------------------------------
@bp.route("/inspections")
@login_required
def index():
    user = _user()
    return render_template("inspections/index.html", campaigns=services.visible_campaigns(user),
                           mine=services.inspections_for_school_users(user),
                           can_organise=bool(services.organiser_orgs(user)))


# -- campaigns -----------------------------------------------------------------------------------
def _campaign_form(user: User, formdata: Any = None) -> tuple[CampaignForm, Any]:
    orgs = services.organiser_orgs(user)
    if not orgs:
        raise Forbidden(_("只有师干训中心的审核员、督导检查员或中心主任可以组织检查"))
    org = orgs[0]
    region = org.ancestor_ids()[-1]
    sheets.install_builtin(region, user)
    form = CampaignForm(formdata=formdata)
    form.term_id.choices = choices([("", _("请选择"))] + [(t.id, t.name) for t in db.session.scalars(
        select(Term).where(Term.region_id == region).order_by(Term.start_date))])
    form.template_id.choices = choices([("", _("请选择"))] + [
        (t.id, f"{t.name} v{t.version}") for t in sheets.templates_for(region)])
    form.townships.choices = choices((t.id, t.name) for t in services.townships_in_region(region))
    form.schools.choices = choices((s.id, s.name) for s in services.schools_in_region(region))
    people = services.team_candidates(org)
    form.lead_id.choices = choices([("", _("请选择"))] + [(u.id, u.display_name) for u in people["inspectors"]])
    form.member_ids.choices = choices((u.id, u.display_name) for u in people["inspectors"])
    form.finance_id.choices = choices([("", _("（不设）"))] + [(u.id, u.display_name) for u in people["finance"]])
    return form, org


@bp.route("/inspections/campaigns/new", methods=["GET", "POST"])
@writes  # installs the shipped score sheets on first use
@login_required
def new_campaign():
    user = _user()
    form, org = _campaign_form(user, request.form if request.method == "POST" else None)
    if request.method == "POST":
        if form.validate():
            scope = ScopeKind(form.scope_kind.data or "all")
            data = services.CampaignInput(
                title=form.title.data, kind=InspectionKind(form.kind.data), term_id=int(form.term_id.data),
                template_id=int(form.template_id.data), scope_kind=scope,
                scope_org_ids=[int(v) for v in (form.townships.data if scope == ScopeKind.TOWNSHIP
                                                else form.schools.data if scope == ScopeKind.SAMPLE else [])],
                announced=bool(form.announced.data), self_check_due=form.self_check_due.data,
                onsite_start=form.onsite_start.data, onsite_end=form.onsite_end.data, report_due=form.report_due.data,
                lead_id=int(form.lead_id.data), member_ids=[int(v) for v in form.member_ids.data or []],
                finance_id=int(form.finance_id.data) if form.finance_id.data else None,
                remind_working_days=form.remind_working_days.data)
            try:
                campaign = services.create_campaign(actor=user, org_id=org.id, data=data)
                db.session.commit()
                flash(_("检查已创建，确认无误后请启动"), "success")
                return redirect(url_for("inspections.campaign", campaign_id=campaign.id))
            except InvalidInput as err:
                db.session.rollback()
                form, org = _campaign_form(user, request.form)
                form.validate()
                field = "townships" if err.field == "scope_org_ids" else err.field
                form.add_error(field if field and hasattr(form, field) else "title", err.message)
        return render_template("inspections/campaign_form.html", form=form), 422
    db.session.commit()  # the shipped templates, installed on first use
    return render_template("inspections/campaign_form.html", form=form)


@bp.route("/inspections/campaigns/<int:campaign_id>")
@login_required
def campaign(campaign_id: int):
    user = _user()
    c = services.get_visible_campaign(campaign_id, user)
    return render_template("inspections/campaign.html", campaign=c, rows=services.campaign_inspections(c, user),
                           ranking=services.ranking(c), may_manage=services.may_manage(user, c),
                           button_form=EmptyForm(), schools=services.scope_schools(c))


@bp.route("/inspections/campaigns/<int:campaign_id>/start", methods=["POST"])
@login_required
def start(campaign_id: int):
    user = _user()
    c = services.get_visible_campaign(campaign_id, user)
    if not EmptyForm().validate_on_submit():
        flash(_("页面已过期，请刷新后重试"), "warning")
        return redirect(url_for("inspections.campaign", campaign_id=c.id))
    started = services.start_campaign(c, actor=user)
    db.session.commit()
    flash(_("检查已启动，共 %(n)s 所学校", n=len(started)), "success")
    return redirect(url_for("inspections.campaign", campaign_id=c.id))


# -- one inspection --------------------------------------------------------------------------------
def record_context(inspection, user: User, **overrides) -> dict[str, Any]:
    level = services.view_level(user, inspection) or "none"
    items = services.leaves(inspection)
    entries = services.selfcheck_entries(inspection)
    task = services.open_task(inspection, "Task_selfcheck")
    from app.access import can_act

    can_upload = task is not None and can_act(user, task)
    my_items = services.scorable_items(user, inspection) if services.may_score(user, inspection) else []
    mine = {s.item_id: s for rows in services.scores_by_item(inspection).values() for s in rows if s.scorer_id == user.id}
    context = {
        "level": level,
        "template": inspection.campaign.template,
        "score_items": items,
        "entries": entries,
        "materials": {item_id: attachments_of(services.MATERIALS, entry.id) for item_id, entry in entries.items()},
        "can_upload": can_upload,
        "upload_form": UploadForm(),
        "accept": ",".join("." + ext for ext in current_app.config["ATTACHMENT_TYPES"]),
        "show_results": level == "staff" or inspection.status == InspectionStatus.PUBLISHED,
        "finals": {s.item_id: s for rows in services.scores_by_item(inspection, final=True).values() for s in rows},
        "team_scores": services.scores_by_item(inspection) if level == "staff" else {},
        "metrics": services.metric_values(inspection) if level == "staff" else {},
        "observations": services.observations(inspection) if level == "staff" else [],
        "checklist": services.lesson_checklist(inspection) if level == "staff" else [],
        "score_form": scores_form(my_items, prefix="my", data={
            **{f"score_{k}": v.score for k, v in mine.items()},
            **{f"reason_{k}": v.deduction_reason for k, v in mine.items()}}) if my_items else None,
        "my_items": my_items,
        "observation_form": ObservationForm() if my_items else None,
        "button_form": EmptyForm(),
    }
    context.update(overrides)
    return context


def _render_inspection(inspection, status: int = 200, **overrides):
    user = _user()
    return render_template("inspections/inspection.html", inspection=inspection, record=inspection,
                           record_context=record_context(inspection, user, **overrides)), status


@bp.route("/inspections/<int:inspection_id>")
@login_required
def show(inspection_id: int):
    inspection, _level = services.get_visible_inspection(inspection_id, _user())
    return _render_inspection(inspection)


@bp.route("/inspections/<int:inspection_id>/scores", methods=["POST"])
@login_required
def save_scores(inspection_id: int):
    user = _user()
    inspection, _level = services.get_visible_inspection(inspection_id, user)
    if not services.may_score(user, inspection):
        raise Forbidden(_("只有检查组成员可以在现场检查阶段评分"))
    items = services.scorable_items(user, inspection)
    form = scores_form(items, prefix="my", formdata=request.form)
    if form.validate():
        inputs = [services.ScoreInput(i.id, Decimal(str(getattr(form, f"score_{i.id}").data))
                                      if getattr(form, f"score_{i.id}").data is not None else None,
                                      getattr(form, f"reason_{i.id}").data or "") for i in items]
        problems = services.save_scores(inspection, inputs, user)
        if not problems:
            db.session.commit()
            flash(_("评分已保存"), "success")
            return redirect(url_for("inspections.show", inspection_id=inspection.id) + "#scoring")
        db.session.rollback()
        for item_id, message in problems:
            form.add_error(f"reason_{item_id}" if "理由" in message else f"score_{item_id}", message)
    return _render_inspection(inspection, 422, score_form=form)


@bp.route("/inspections/<int:inspection_id>/observations", methods=["POST"])
@login_required
def add_observation(inspection_id: int):
    user = _user()
    inspection, _level = services.get_visible_inspection(inspection_id, user)
    if not services.may_score(user, inspection):
        raise Forbidden(_("只有检查组成员可以在现场检查阶段记录听课"))
    form = ObservationForm()
    if form.validate_on_submit():
        try:
            services.add_observation(inspection, services.ObservationInput(
                teacher_name=form.teacher_name.data, category=form.category.data, subject=form.subject.data,
                class_name=form.class_name.data or "", observed_on=form.observed_on.data,
                unannounced=bool(form.unannounced.data), rating=form.rating.data, strengths=form.strengths.data or "",
                problems=form.problems.data or "", suggestions=form.suggestions.data or ""), user)
            db.session.commit()
            flash(_("听课记录已保存"), "success")
            return redirect(url_for("inspections.show", inspection_id=inspection.id) + "#observations")
        except InvalidInput as err:
            db.session.rollback()
            show_input_error(form, err, "teacher_name")
    return _render_inspection(inspection, 422, observation_form=form)


def _materials_back(inspection_id: int):
    task = services.open_task(services.get_visible_inspection(inspection_id, _user())[0], "Task_selfcheck")
    if task is not None:
        return redirect(url_for("tasks.show", task_id=task.id) + "#selfcheck-items")
    return redirect(url_for("inspections.show", inspection_id=inspection_id))


def _require_upload(inspection, user: User) -> None:
    from app.access import can_act

    task = services.open_task(inspection, "Task_selfcheck")
    if task is None or not can_act(user, task):
        raise Forbidden(_("只有自查办理人在自查阶段可以上传或删除材料"))


@bp.route("/inspections/<int:inspection_id>/items/<int:item_id>/materials", methods=["POST"])
@login_required
def upload_material(inspection_id: int, item_id: int):
    user = _user()
    inspection, _level = services.get_visible_inspection(inspection_id, user)
    _require_upload(inspection, user)
    entry = services.selfcheck_entry(inspection, item_id)
    form = UploadForm()
    if not form.validate_on_submit() or not form.file.data or not form.file.data.filename:
        flash(_("请选择要上传的文件"), "warning")
        return _materials_back(inspection_id)
    try:
        store_upload(form.file.data.stream, form.file.data.filename, settings=storage_settings(),
                     owner_type=services.MATERIALS, owner_id=entry.id, instance_id=inspection.instance_id,
                     school_id=inspection.school_id, actor=user)
        db.session.commit()
    except InvalidInput as err:
        db.session.rollback()
        flash(err.message, "danger")
        return _materials_back(inspection_id)
    flash(_("材料已上传"), "success")
    return _materials_back(inspection_id)


@bp.route("/inspections/<int:inspection_id>/materials/<int:attachment_id>/delete", methods=["POST"])
@login_required
def delete_material(inspection_id: int, attachment_id: int):
    user = _user()
    inspection, _level = services.get_visible_inspection(inspection_id, user)
    _require_upload(inspection, user)
    attachment = db.session.get(Attachment, attachment_id)
    entries = {e.id for e in services.selfcheck_entries(inspection).values()}
    if attachment is None or attachment.deleted or attachment.owner_type != services.MATERIALS \
            or attachment.owner_id not in entries:
        raise NotFound(_("附件不存在"))
    remove(attachment, actor=user)
    db.session.commit()
    flash(_("附件已删除"), "info")
    return _materials_back(inspection_id)


@bp.route("/inspections/<int:inspection_id>/materials/<int:attachment_id>")
@login_required
def material(inspection_id: int, attachment_id: int):
    inspection, _level = services.get_visible_inspection(inspection_id, _user())
    attachment = db.session.get(Attachment, attachment_id)
    entries = {e.id for e in services.selfcheck_entries(inspection).values()}
    if attachment is None or attachment.deleted or attachment.owner_type != services.MATERIALS \
            or attachment.owner_id not in entries:
        raise NotFound(_("附件不存在"))
    return send_file(file_path(storage_settings(), attachment), mimetype=attachment.content_type, as_attachment=True,
                     download_name=attachment.filename, max_age=0)


# -- score-sheet templates ---------------------------------------------------------------------------
def _require_template_editor(user: User) -> None:
    if not services.organiser_orgs(user):
        raise Forbidden(_("只有师干训中心的人员可以管理评分表"))


@bp.route("/inspections/templates")
@writes  # installs the shipped score sheets on first use
@login_required
def templates():
    user = _user()
    _require_template_editor(user)
    regions = _region_ids(user)
    for region in regions:
        sheets.install_builtin(region, user)
    db.session.commit()
    return render_template("inspections/templates.html",
                           templates=[t for r in regions for t in sheets.templates_for(r, latest_only=False)])


@bp.route("/inspections/templates/<int:template_id>")
@login_required
def template(template_id: int):
    user = _user()
    _require_template_editor(user)
    return render_template("inspections/template.html", template=sheets.get_template(template_id, _region_ids(user)),
                           metric_labels=dict(metric_choices()))


BLANK_ROWS = 5


def _rows_from_request(count: int) -> list[sheets.Row]:
    form = request.form
    return [sheets.Row(code=form.get(f"code-{i}", ""), title=form.get(f"title-{i}", ""),
                       points=form.get(f"points-{i}", ""), guidance=form.get(f"guidance-{i}", ""),
                       area=form.get(f"area-{i}", ""), metric=form.get(f"metric-{i}", ""),
                       finance=form.get(f"finance-{i}") == "y") for i in range(count)]


@bp.route("/inspections/templates/<int:template_id>/edit", methods=["GET", "POST"])
@login_required
def edit_template(template_id: int):
    user = _user()
    _require_template_editor(user)
    current = sheets.get_template(template_id, _region_ids(user))
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            raise Forbidden(_("页面已过期，请刷新后重试"))
        count = min(request.form.get("rows", type=int) or 0, 200)
        rows = _rows_from_request(count)
        name = (request.form.get("name") or "").strip()[:100]
        description = (request.form.get("description") or "").strip()[:2000]
        if sheets.validate_rows(rows):
            new = sheets.save_version(current, name=name, description=description, rows=rows, actor=user)
            db.session.commit()
            flash(_("已保存为第 %(v)s 版；已创建的检查仍使用原版本", v=new.version), "success")
            return redirect(url_for("inspections.template", template_id=new.id))
        return render_template("inspections/template_edit.html", template=current, rows=rows, name=name,
                               description=description, metrics=metric_choices(), form=EmptyForm()), 422
    rows = sheets.rows_of(current) + [sheets.Row("", "", "") for _ in range(BLANK_ROWS)]
    return render_template("inspections/template_edit.html", template=current, rows=rows, name=current.name,
                           description=current.description, metrics=metric_choices(), form=EmptyForm())
