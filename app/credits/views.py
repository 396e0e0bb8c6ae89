from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.access import oversees
from app.attachments.services import attachments_of, file_path, store_upload
from app.attachments.views import storage_settings
from app.credits import bp
from app.credits.export import registration_workbook
from app.credits.forms import DeclareForm, StartBatchForm
from app.credits.services import (
    batch_already_open,
    collect_task_for,
    collecting_batch,
    declare_item,
    generate,
    get_teacher_for,
    get_visible_batch,
    school_batches,
    school_year_records,
    start_batch,
    start_batch_for,
    teacher_of,
    teacher_summary,
    withdraw_item,
)
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.forms import EmptyForm, choices
from app.models import Attachment, CreditRecord, OrgType, OrgUnit, Role
from app.models.base import utcnow
from app.plans.opening import can_open, open_term
from app.policy.services import policy_for_term
from app.projects.services import visible_schools
from app.regions import academic_year, current_term, region_id_of, region_terms, user_region_ids
from app.teachers.services import school_teachers


def _today_year(region_id: int) -> int:
    term = current_term(region_id, utcnow().date())
    return academic_year(term) if term else utcnow().year


def _school_arg() -> OrgUnit:
    schools = visible_schools(current_user)
    school_id = request.args.get("school", type=int) or (schools[0].id if schools else None)
    school = db.session.get(OrgUnit, school_id) if school_id else None
    if school is None or school.type != OrgType.SCHOOL or not oversees(current_user, school):
        raise NotFound(_("找不到该学校，或您没有查看权限"))
    return school


@bp.route("/credits")
@login_required
def index():
    user = current_user._get_current_object()
    mine = teacher_of(user)
    if mine is not None and not visible_schools(user):
        return redirect(url_for("credits.teacher", teacher_id=mine.id))
    school = _school_arg()
    region = region_id_of(school)
    year = request.args.get("year", type=int) or _today_year(region)
    term = current_term(region, utcnow().date())
    policy = policy_for_term(term).policy if term else None
    teachers = school_teachers(school.id)
    summaries = [teacher_summary(t, policy, year) for t in teachers] if policy else []
    start_form = StartBatchForm()
    start_form.term_id.choices = choices((t.id, t.name) for t in region_terms(region)
                                         if batch_already_open(school, t) is None and t.start_date <= utcnow().date())
    if term is not None:
        start_form.term_id.data = str(term.id)   # the term in progress is the usual choice
    years = sorted({academic_year(t) for t in region_terms(region)}, reverse=True)
    return render_template("credits/index.html", school=school, schools=visible_schools(user), year=year, years=years,
                           batches=school_batches(school.id), summaries=summaries, policy=policy,
                           can_start=user.has_role(Role.SCHOOL_ADMIN, school.id), start_form=start_form,
                           can_open=can_open(user, region), open_form=_open_form(region))


def _open_form(region_id: int) -> StartBatchForm:
    form = StartBatchForm(prefix="open")
    form.term_id.choices = choices((t.id, t.name) for t in region_terms(region_id) if t.start_date <= utcnow().date())
    term = current_term(region_id, utcnow().date())
    if term is not None and form.term_id.data is None:
        form.term_id.data = str(term.id)
    return form


@bp.route("/credits/batches", methods=["POST"])
@login_required
def start():
    user = current_user._get_current_object()
    school = _school_arg()
    form = StartBatchForm()
    form.term_id.choices = choices((t.id, t.name) for t in region_terms(region_id_of(school)))
    if not form.validate_on_submit():
        flash(_("请选择学期"), "warning")
        return redirect(url_for("credits.index", school=school.id))
    term = next(t for t in region_terms(region_id_of(school)) if t.id == int(form.term_id.data))
    batch = start_batch(school, term, actor=user)
    db.session.commit()
    flash(_("已按考勤生成 %(n)s 条学分记录，请核对后提交学校认定", n=len(batch.records)), "success")
    task = collect_task_for(batch, user)
    return redirect(url_for("tasks.show", task_id=task.id) if task else url_for("instances.show", instance_id=batch.instance_id))


@bp.route("/credits/open", methods=["POST"])
@login_required
def open_region():
    user = current_user._get_current_object()
    regions = [r for r in user_region_ids(user) if can_open(user, r)]
    if not regions:
        raise Forbidden(_("只有本区域的系统管理员或市级审核员可以为全区学校开启学分认定"))
    form = _open_form(regions[0])
    if not form.validate_on_submit():
        flash(_("请选择学期"), "warning")
        return redirect(url_for("credits.index"))
    result = open_term(int(form.term_id.data), actor=user, already=batch_already_open, start=start_batch_for,
                       action="credit.open_term")
    db.session.commit()
    flash(_("已为 %(n)s 所学校开启学分认定", n=len(result.started)), "success")
    for name, reason in result.failed:
        flash(_("%(school)s 未能开启：%(reason)s", school=name, reason=reason), "danger")
    return redirect(url_for("credits.index"))


@bp.route("/credits/batches/<int:batch_id>/regenerate", methods=["POST"])
@login_required
def regenerate(batch_id: int):
    user = current_user._get_current_object()
    batch = get_visible_batch(batch_id, user)
    task = collect_task_for(batch, user)
    if task is None:
        raise Forbidden(_("只有汇总环节的学校管理员可以重新生成学分记录"))
    if not EmptyForm().validate_on_submit():
        raise Forbidden(_("页面已过期，请刷新后重试"))
    count = generate(batch, actor=user)
    db.session.commit()
    flash(_("已按最新考勤重新生成 %(n)s 条学分记录", n=count), "success")
    return redirect(url_for("tasks.show", task_id=task.id))


@bp.route("/credits/mine")
@login_required
def mine():
    teacher = teacher_of(current_user)
    if teacher is None:
        raise NotFound(_("您的账号没有关联教师档案"))
    return redirect(url_for("credits.teacher", teacher_id=teacher.id))


@bp.route("/credits/teachers/<int:teacher_id>", methods=["GET", "POST"])
@login_required
def teacher(teacher_id: int):
    user = current_user._get_current_object()
    person = get_teacher_for(teacher_id, user)
    region = region_id_of(person.school)
    term = current_term(region, utcnow().date())
    policy = policy_for_term(term).policy if term else None
    batch = collecting_batch(person)
    own = person.user_id == user.id
    form = DeclareForm()
    if batch is not None:
        form.item_code.choices = choices([("", _("请选择"))] + [
            (i.code, f"{i.name}（{i.value} 分" + (f"，年度上限 {i.annual_cap}" if i.annual_cap else "") + "）")
            for i in policy_for_term(batch.term).policy.credit_items])
    status = 200
    if request.method == "POST":
        if not own:
            raise Forbidden(_("只能为本人申报学分"))
        if form.validate_on_submit():
            upload = form.file.data
            if not upload or not upload.filename:
                form.add_error("file", _("请上传佐证材料（证书、文件、照片等）"))
            else:
                try:
                    record = declare_item(person, form.item_code.data, form.title.data or "", actor=user)
                    store_upload(upload.stream, upload.filename, settings=storage_settings(), owner_type="credit_record",
                                 owner_id=record.id, instance_id=record.batch.instance_id, school_id=person.school_id,
                                 actor=user)
                except (InvalidInput, Conflict) as err:
                    db.session.rollback()
                    field = getattr(err, "field", None)
                    form.add_error(field if field and hasattr(form, field) else "item_code", err.message)
                else:
                    db.session.commit()
                    flash(_("已申报，将随本校学分一起认定"), "success")
                    return redirect(url_for("credits.teacher", teacher_id=person.id))
        status = 422
    summary = teacher_summary(person, policy, _today_year(region)) if policy else None
    evidence = {r.id: attachments_of("credit_record", r.id) for r in summary.records} if summary else {}
    return render_template("credits/teacher.html", person=person, summary=summary, policy=policy, form=form,
                           batch=batch, own=own, evidence=evidence, button_form=EmptyForm()), status


@bp.route("/credits/records/<int:record_id>/withdraw", methods=["POST"])
@login_required
def withdraw(record_id: int):
    user = current_user._get_current_object()
    record = db.session.get(CreditRecord, record_id)
    if record is None or record.teacher.user_id != user.id:
        raise NotFound(_("找不到该学分记录"))
    if not EmptyForm().validate_on_submit():
        raise Forbidden(_("页面已过期，请刷新后重试"))
    teacher_id = record.teacher_id
    withdraw_item(record, actor=user)
    db.session.commit()
    flash(_("已撤回"), "info")
    return redirect(url_for("credits.teacher", teacher_id=teacher_id))


@bp.route("/credits/evidence/<int:attachment_id>")
@login_required
def evidence(attachment_id: int):
    """Credit evidence: for the teacher it belongs to and for those who oversee the school."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.deleted or attachment.owner_type != "credit_record":
        raise NotFound(_("附件不存在"))
    record = db.session.get(CreditRecord, attachment.owner_id)
    if record is None:
        raise NotFound(_("附件不存在"))
    get_teacher_for(record.teacher_id, current_user)
    return send_file(file_path(storage_settings(), attachment), mimetype=attachment.content_type,
                     as_attachment=True, download_name=attachment.filename, max_age=0)


@bp.route("/credits/export.xlsx")
@login_required
def export():
    school = _school_arg()
    region = region_id_of(school)
    year = request.args.get("year", type=int) or _today_year(region)
    terms = [t for t in region_terms(region) if academic_year(t) == year]
    if not terms:
        raise NotFound(_("该学年没有学期"))
    policy = policy_for_term(terms[-1]).policy
    records = school_year_records(school.id, year, registered_only=True)
    data = registration_workbook(school, year, records, school_teachers(school.id, active_only=False), policy)
    filename = f"credits-{school.code}-{year}.xlsx"
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
