from __future__ import annotations

import csv
import io

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.access import oversees
from app.activities import bp
from app.activities.forms import ActivityForm, AttendanceImportForm, EvidenceForm
from app.activities.progress import term_progress
from app.activities.services import (
    attendance_counts,
    attendance_rate,
    can_record,
    get_visible_record,
    import_attendance,
    locked_reason,
    record_activity,
    records_of,
    require_record,
    set_attendance,
    update_activity,
)
from app.attachments.services import attachments_of, remove, store_upload
from app.attachments.views import storage_settings
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.forms import EmptyForm, choices, show_input_error
from app.models import ATTENDANCE_LABELS, Attachment, AttendanceStatus, OrgType, OrgUnit, Term
from app.models.base import utcnow
from app.plans.services import current_plan
from app.policy.services import policy_for_term
from app.projects.services import visible_schools
from app.regions import current_term, region_id_of, region_terms, user_region_ids
from app.teachers.services import school_teachers


def _school_and_term() -> tuple[OrgUnit, Term]:
    user = current_user._get_current_object()
    schools = visible_schools(user)
    school_id = request.args.get("school", type=int) or (schools[0].id if schools else None)
    school = db.session.get(OrgUnit, school_id) if school_id else None
    if school is None or school.type != OrgType.SCHOOL or not oversees(user, school):
        raise NotFound(_("找不到该学校，或您没有查看权限"))
    region = region_id_of(school)
    term_id = request.args.get("term", type=int)
    term = db.session.get(Term, term_id) if term_id else current_term(region, utcnow().date())
    if term is None or term.region_id != region:
        raise NotFound(_("学期不存在"))
    return school, term


@bp.route("/activities")
@login_required
def index():
    user = current_user._get_current_object()
    school, term = _school_and_term()
    plan = current_plan(school.id, term.id)
    records = records_of(school.id, term.id)
    held_keys = {r.planned_key for r in records if r.planned_key}
    in_force = policy_for_term(term)
    return render_template(
        "activities/index.html", school=school, term=term, plan=plan, records=records, held_keys=held_keys,
        schools=visible_schools(user), terms=region_terms(term.region_id), policy=in_force.policy,
        can_record=can_record(user, school) and plan is not None, locked=locked_reason(school.id, term.id),
        rate=attendance_rate(records))


def _activity_form(school: OrgUnit, term: Term, formdata=None, obj=None) -> ActivityForm:
    form = ActivityForm(formdata=formdata, obj=obj) if obj is not None else ActivityForm(formdata=formdata)
    plan = current_plan(school.id, term.id)
    options = [("", _("计划外活动"))]
    if plan is not None:
        options += [(a.key, f"{i}. {a.planned_date or ''} {a.topic}") for i, a in enumerate(plan.activities, 1)]
    form.planned_key.choices = choices(options)
    return form


def _values(form: ActivityForm) -> dict:
    return dict(form.data)


@bp.route("/activities/new", methods=["GET", "POST"])
@login_required
def new():
    user = current_user._get_current_object()
    school, term = _school_and_term()
    require_record(user, school)
    plan = current_plan(school.id, term.id)
    if plan is None:
        raise Conflict(_("「%(school)s」%(term)s的研修计划尚未批准，批准后才能记录活动", school=school.name, term=term.name))
    if request.method == "POST":
        form = _activity_form(school, term, formdata=request.form)
        if form.validate():
            try:
                record = record_activity(school, term, _values(form), actor=user)
            except InvalidInput as err:
                db.session.rollback()
                show_input_error(form, err, "topic")
            else:
                db.session.commit()
                flash(_("已记录活动，请登记考勤并上传照片、课件等佐证材料"), "success")
                return redirect(url_for("activities.show", record_id=record.id))
        return render_template("activities/edit.html", form=form, school=school, term=term, record=None), 422
    form = _activity_form(school, term)
    planned = next((a for a in plan.activities if a.key == request.args.get("planned")), None)
    if planned is not None:
        form.planned_key.data = planned.key
        form.held_on.data = planned.planned_date if planned.planned_date and planned.planned_date <= utcnow().date() else None
        form.period.data, form.way.data, form.topic.data = planned.period, planned.form, planned.topic
        form.presenter.data, form.hours.data, form.mode.data = planned.presenter, planned.hours, planned.mode
    return render_template("activities/edit.html", form=form, school=school, term=term, record=None)


def _detail(record, *, import_form=None, report=None, form=None, status: int = 200):
    user = current_user._get_current_object()
    editable = can_record(user, record.school) and locked_reason(record.school_id, record.term_id) is None
    config = current_app.config
    teachers = school_teachers(record.school_id, active_only=False)
    marks = {a.teacher_id: a for a in record.attendance}
    return render_template(
        "activities/show.html", record=record, teachers=[t for t in teachers if t.active or t.id in marks],
        marks=marks, statuses=list(AttendanceStatus), labels=ATTENDANCE_LABELS, editable=editable,
        locked=locked_reason(record.school_id, record.term_id), counts=attendance_counts([record]),
        import_form=import_form or AttendanceImportForm(), report=report, evidence=attachments_of("activity", record.id),
        evidence_form=EvidenceForm(), button_form=EmptyForm(), form=form or _activity_form(record.school, record.term, obj=_form_obj(record)),
        max_mb=config["ATTACHMENT_MAX_BYTES"] // (1024 * 1024), allowed_types=config["ATTACHMENT_TYPES"],
        accept=",".join("." + ext for ext in config["ATTACHMENT_TYPES"])), status


def _form_obj(record):
    from types import SimpleNamespace

    return SimpleNamespace(planned_key=record.planned_key or "", held_on=record.held_on, period=record.period,
                           way=record.form, topic=record.topic, presenter=record.presenter, location=record.location,
                           hours=record.hours, mode=record.mode, cost=record.cost, summary=record.summary,
                           reflection=record.reflection)


@bp.route("/activities/<int:record_id>", methods=["GET", "POST"])
@login_required
def show(record_id: int):
    record = get_visible_record(record_id, current_user)
    if request.method == "GET":
        return _detail(record)
    user = current_user._get_current_object()
    require_record(user, record.school)
    form = _activity_form(record.school, record.term, formdata=request.form)
    if form.validate():
        try:
            update_activity(record, _values(form), actor=user)
        except InvalidInput as err:
            db.session.rollback()
            show_input_error(form, err, "topic")
        else:
            db.session.commit()
            flash(_("已保存"), "success")
            return redirect(url_for("activities.show", record_id=record.id))
    return _detail(get_visible_record(record_id, current_user), form=form, status=422)


@bp.route("/activities/<int:record_id>/attendance", methods=["POST"])
@login_required
def attendance(record_id: int):
    user = current_user._get_current_object()
    record = get_visible_record(record_id, user)
    if not EmptyForm().validate_on_submit():
        raise Forbidden(_("页面已过期，请刷新后重试"))
    entries = {}
    for teacher in school_teachers(record.school_id, active_only=False):
        value = request.form.get(f"status-{teacher.id}")
        if not value:
            continue
        try:
            status = AttendanceStatus(value)
        except ValueError:
            raise InvalidInput(_("考勤状态无效")) from None
        entries[teacher.id] = (status, (request.form.get(f"note-{teacher.id}") or "").strip())
    count = set_attendance(record, entries, actor=user)
    db.session.commit()
    flash(_("已保存 %(n)s 位教师的考勤", n=count), "success")
    return redirect(url_for("activities.show", record_id=record.id) + "#attendance")


@bp.route("/activities/<int:record_id>/attendance/import", methods=["POST"])
@login_required
def attendance_import(record_id: int):
    user = current_user._get_current_object()
    record = get_visible_record(record_id, user)
    form = AttendanceImportForm()
    if not form.validate_on_submit():
        return _detail(record, import_form=form, status=422)
    upload = form.file.data
    if not upload or not upload.filename:
        form.add_error("file", _("请选择要导入的考勤文件"))
        return _detail(record, import_form=form, status=422)
    try:
        report = import_attendance(record, upload.stream, upload.filename, actor=user)
    except InvalidInput as err:
        db.session.rollback()
        form.add_error("file", err.message)
        return _detail(get_visible_record(record_id, user), import_form=form, status=422)
    if not report.ok:
        db.session.rollback()
        return _detail(get_visible_record(record_id, user), import_form=form, report=report, status=422)
    db.session.commit()
    flash(_("已导入 %(n)s 位教师的考勤", n=report.written), "success")
    return redirect(url_for("activities.show", record_id=record.id) + "#attendance")


@bp.route("/activities/<int:record_id>/attendance/template.csv")
@login_required
def attendance_template(record_id: int):
    record = get_visible_record(record_id, current_user)
    marks = {a.teacher_id: a for a in record.attendance}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["工号", "姓名", "考勤", "备注"])
    for t in school_teachers(record.school_id):
        mark = marks.get(t.id)
        writer.writerow([t.employee_no or "", t.name, ATTENDANCE_LABELS[mark.status] if mark else "出勤",
                         mark.note if mark else ""])
    name = f"attendance-{record.held_on.isoformat()}.csv"
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.route("/activities/<int:record_id>/evidence", methods=["POST"])
@login_required
def upload_evidence(record_id: int):
    user = current_user._get_current_object()
    record = get_visible_record(record_id, user)
    require_record(user, record.school)
    form = EvidenceForm()
    if not form.validate_on_submit() or not form.file.data or not form.file.data.filename:
        flash(_("请选择要上传的文件"), "warning")
        return redirect(url_for("activities.show", record_id=record.id) + "#evidence")
    try:
        store_upload(form.file.data.stream, form.file.data.filename, settings=storage_settings(),
                     owner_type="activity", owner_id=record.id, instance_id=record.plan.instance_id,
                     school_id=record.school_id, actor=user)
        db.session.commit()
    except InvalidInput as err:
        db.session.rollback()
        flash(err.message, "danger")
        return redirect(url_for("activities.show", record_id=record.id) + "#evidence")
    flash(_("已上传佐证材料"), "success")
    return redirect(url_for("activities.show", record_id=record.id) + "#evidence")


@bp.route("/activities/<int:record_id>/evidence/<int:attachment_id>/delete", methods=["POST"])
@login_required
def delete_evidence(record_id: int, attachment_id: int):
    user = current_user._get_current_object()
    record = get_visible_record(record_id, user)
    require_record(user, record.school)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.deleted or attachment.owner_type != "activity" or attachment.owner_id != record.id:
        raise NotFound(_("附件不存在"))
    if not EmptyForm().validate_on_submit():
        raise Forbidden(_("页面已过期，请刷新后重试"))
    remove(attachment, actor=user)
    db.session.commit()
    flash(_("已删除"), "info")
    return redirect(url_for("activities.show", record_id=record.id) + "#evidence")


@bp.route("/progress")
@login_required
def progress():
    user = current_user._get_current_object()
    regions = user_region_ids(user)
    if not regions:
        raise NotFound(_("没有可查看的区域"))
    terms = region_terms(regions[0])
    term_id = request.args.get("term", type=int)
    term = next((t for t in terms if t.id == term_id), None) or current_term(regions[0], utcnow().date())
    if term is None:
        raise NotFound(_("学期不存在"))
    groups, total, required = term_progress(user, term)
    return render_template("activities/progress.html", groups=groups, total=total, required=required, term=term,
                           terms=terms, label=policy_for_term(term).policy.label)
