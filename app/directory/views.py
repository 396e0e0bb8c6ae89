"""The region admin's import page: upload the org tree or the users, see every bad row or the result."""

from __future__ import annotations

import csv
import io
from functools import partial

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.directory import bp
from app.directory.forms import ImportForm, TermForm
from app.directory.services import TEMPLATES, define_term, import_orgs, import_users
from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.forms import choices, show_input_error
from app.regions import administered_regions, region_terms

#: New users per upload on the page: hashing their passwords takes ~50-70 ms each, and a request must end
#: well within the web process's timeout (60 s). Larger files go through ``yanxiu import-users``.
WEB_MAX_NEW_USERS = 300
IMPORTERS = {"orgs": import_orgs, "users": partial(import_users, max_new=WEB_MAX_NEW_USERS)}


def _require_region_admin() -> None:
    if not administered_regions(current_user):
        raise NotFound(_("找不到该页面，或您没有查看权限"))


def _page(forms: dict[str, ImportForm] | None = None, *, kind: str | None = None, report=None, status: int = 200):
    forms = forms or {}
    regions = administered_regions(current_user)
    response = Response(render_template(
        "directory/import.html", regions=regions, forms={k: forms.get(k) or ImportForm(prefix=k) for k in IMPORTERS},
        kind=kind, report=report), status)
    if report is not None and getattr(report, "passwords", None):
        response.headers["Cache-Control"] = "no-store"   # the initial passwords are shown once
    return response


@bp.route("/directory")
@login_required
def index():
    _require_region_admin()
    return _page()


@bp.route("/directory/import/<kind>", methods=["POST"])
@login_required
def import_(kind: str):
    _require_region_admin()
    if kind not in IMPORTERS:
        raise NotFound(_("找不到该页面，或您没有查看权限"))
    form = ImportForm(prefix=kind)
    if not form.validate_on_submit():
        return _page({kind: form}, kind=kind, status=422)
    upload = form.file.data
    if not upload or not upload.filename:
        form.add_error("file", _("请选择要导入的文件"))
        return _page({kind: form}, kind=kind, status=422)
    try:
        report = IMPORTERS[kind](upload.stream, upload.filename, actor=current_user._get_current_object())
    except InvalidInput as err:
        db.session.rollback()
        form.add_error("file", err.message)
        return _page({kind: form}, kind=kind, status=422)
    if not report.ok:
        db.session.rollback()
        return _page({kind: form}, kind=kind, report=report, status=422)
    db.session.commit()
    message = _("导入完成：新增 %(c)s 项，更新 %(u)s 项，%(n)s 项无变化", c=report.created, u=report.updated,
                n=report.unchanged)
    if kind == "users" and report.passwords:
        # Shown on this response only (not after a redirect): nobody can come back for them.
        flash(message, "success")
        return _page(kind=kind, report=report)
    flash(message, "success")
    return redirect(url_for("directory.index"))


@bp.route("/directory/template/<kind>.csv")
@login_required
def template(kind: str):
    _require_region_admin()
    if kind not in TEMPLATES:
        raise NotFound(_("找不到该页面，或您没有查看权限"))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(TEMPLATES[kind])
    # A BOM so that Excel on Windows opens the Chinese headers correctly.
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={kind}-template.csv"})


def _terms_page(form: TermForm, status: int = 200):
    regions = administered_regions(current_user)
    return render_template("directory/terms.html", form=form,
                           terms=[(region, region_terms(region.id)) for region in regions]), status


@bp.route("/directory/terms", methods=["GET", "POST"])
@login_required
def terms():
    """学期: the region admin lists the region's terms, adds one, or corrects one's name and dates by its code."""
    _require_region_admin()
    regions = administered_regions(current_user)
    form = TermForm()
    form.region.choices = choices((r.code, r.name) for r in regions)
    if not form.is_submitted():
        return _terms_page(form)
    if not form.validate():
        return _terms_page(form, 422)
    if form.region.data not in {r.code for r in regions}:
        raise NotFound(_("找不到该页面，或您没有查看权限"))
    try:
        term, outcome = define_term(form.region.data, form.code.data, form.name.data, form.start.data,
                                    form.end.data, actor=current_user._get_current_object())
    except InvalidInput as err:
        db.session.rollback()
        show_input_error(form, err, "region" if err.field == "region_code" else "code")
        return _terms_page(form, 422)
    db.session.commit()
    flash({"created": _("已添加学期 %(name)s", name=term.name), "updated": _("已更新学期 %(name)s", name=term.name),
           "unchanged": _("学期 %(name)s 没有变化", name=term.name)}[outcome], "success")
    return redirect(url_for("directory.terms"))
