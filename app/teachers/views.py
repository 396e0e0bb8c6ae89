from __future__ import annotations

import csv
import io

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.forms import choices, show_input_error
from app.projects.services import visible_schools
from app.teachers import bp
from app.teachers.forms import AccountForm, ImportForm, TeacherForm
from app.teachers.services import (
    IMPORT_COLUMNS,
    can_manage,
    create_login,
    get_school,
    get_teacher,
    import_teachers,
    list_teachers,
    managed_schools,
    require_manage,
    save_teacher,
)


def _import_form() -> ImportForm:
    form = ImportForm()
    form.school_id.choices = choices((s.id, s.name) for s in managed_schools(current_user))
    return form


@bp.route("/teachers")
@login_required
def index(import_form: ImportForm | None = None, report=None, status: int = 200):
    user = current_user._get_current_object()
    school_id = request.args.get("school", type=int)
    q = (request.args.get("q") or "").strip()[:50] or None
    page = list_teachers(user, school_id=school_id, q=q, page=max(request.args.get("page", 1, type=int) or 1, 1),
                         per_page=current_app.config["PAGE_SIZE"])
    return render_template("teachers/index.html", page=page, schools=visible_schools(user), school_id=school_id,
                           q=q or "", import_form=import_form or _import_form(), report=report,
                           can_import=bool(managed_schools(user)), managed={s.id for s in managed_schools(user)}), status


@bp.route("/teachers/import", methods=["POST"])
@login_required
def import_():
    form = _import_form()
    if not form.validate_on_submit():
        return index(import_form=form, status=422)
    school = get_school(int(form.school_id.data))
    upload = form.file.data
    if not upload or not upload.filename:
        form.add_error("file", _("请选择要导入的文件"))
        return index(import_form=form, status=422)
    try:
        report = import_teachers(school, upload.stream, upload.filename, actor=current_user._get_current_object())
    except InvalidInput as err:
        db.session.rollback()
        form.add_error("file", err.message)
        return index(import_form=form, status=422)
    if not report.ok:
        db.session.rollback()
        return index(import_form=form, report=report, status=422)
    db.session.commit()
    flash(_("导入完成：新增 %(c)s 人，更新 %(u)s 人，%(n)s 人无变化", c=report.created, u=report.updated,
            n=report.unchanged), "success")
    return redirect(url_for("teachers.index", school=school.id))


@bp.route("/teachers/template.csv")
@login_required
def template():
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([names[0] for names in IMPORT_COLUMNS.values()])
    writer.writerow(["张敏", "T2023001", "女", "13800000000", "语文", "一级教师"])
    # A BOM so that Excel on Windows opens the Chinese headers correctly.
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=teachers-template.csv"})


def _teacher_form_page(form: TeacherForm, school, teacher=None, status: int = 200):
    account_form = AccountForm() if teacher is not None else None
    return render_template("teachers/edit.html", form=form, school=school, teacher=teacher,
                           account_form=account_form, can_edit=can_manage(current_user, school)), status


@bp.route("/teachers/new", methods=["GET", "POST"])
@login_required
def new():
    user = current_user._get_current_object()
    school = get_school(request.args.get("school", type=int) or 0)
    require_manage(user, school)
    form = TeacherForm()
    if form.validate_on_submit():
        try:
            teacher = save_teacher(school, form.data, actor=user)
        except InvalidInput as err:
            db.session.rollback()
            show_input_error(form, err, "name")
        else:
            db.session.commit()
            flash(_("已添加教师 %(name)s", name=teacher.name), "success")
            return redirect(url_for("teachers.index", school=school.id))
    return _teacher_form_page(form, school, status=422 if request.method == "POST" else 200)


@bp.route("/teachers/<int:teacher_id>", methods=["GET", "POST"])
@login_required
def edit(teacher_id: int):
    user = current_user._get_current_object()
    teacher = get_teacher(teacher_id, user)
    if request.method == "POST":
        require_manage(user, teacher.school)
        form = TeacherForm()
        if form.validate():
            try:
                save_teacher(teacher.school, form.data, actor=user, teacher=teacher)
            except InvalidInput as err:
                db.session.rollback()
                show_input_error(form, err, "name")
            else:
                db.session.commit()
                flash(_("已保存"), "success")
                return redirect(url_for("teachers.edit", teacher_id=teacher_id))
        return _teacher_form_page(form, teacher.school, teacher, 422)
    form = TeacherForm(obj=teacher)
    return _teacher_form_page(form, teacher.school, teacher)


@bp.route("/teachers/<int:teacher_id>/account", methods=["POST"])
@login_required
def account(teacher_id: int):
    user = current_user._get_current_object()
    teacher = get_teacher(teacher_id, user)
    form = AccountForm()
    if not form.validate_on_submit():
        return _teacher_form_page(TeacherForm(obj=teacher), teacher.school, teacher, 422)
    try:
        password = create_login(teacher, form.username.data, actor=user)
    except (InvalidInput, Conflict) as err:
        db.session.rollback()
        page = TeacherForm(obj=teacher)
        form.add_error("username", err.message)
        return render_template("teachers/edit.html", form=page, school=teacher.school, teacher=teacher,
                               account_form=form, can_edit=True), 422
    db.session.commit()
    flash(_("已为 %(name)s 开通账号 %(username)s，初始密码：%(password)s（只显示这一次，请转告本人；首次登录须修改密码）",
            name=teacher.name, username=form.username.data.strip(), password=password), "success")
    return redirect(url_for("teachers.edit", teacher_id=teacher.id))
