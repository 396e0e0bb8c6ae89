"""Process versions: list, upload, diff against the previous version, migrate running instances."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import bp
from app.admin.forms import ConfirmForm, UploadVersionForm
from app.admin.views import admin_required
from app.errors import InvalidInput
from app.extensions import db
from app.processes.diagrams import definition_svg
from app.processes.versions import (
    attribute_label,
    check_migration,
    get_version,
    kind_label,
    list_versions,
    migratable_instances,
    migrate_all,
    previous_version,
    upload_version,
    version_changes,
)

#: Checking an instance deserialises it; the preview stops here and says so.
PREVIEW_LIMIT = 50


def _versions_page(key: str, form: UploadVersionForm, status: int = 200):
    rows = list_versions(key)
    return render_template("admin/versions.html", key=key, rows=rows, form=form), status


@bp.route("/processes/<key>")
@admin_required
def versions(key: str):
    return _versions_page(key, UploadVersionForm())


@bp.route("/processes/<key>/upload", methods=["POST"])
@admin_required
def upload(key: str):
    form = UploadVersionForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            if upload is None or not getattr(upload, "filename", ""):
                raise InvalidInput(_("请选择要上传的 BPMN 文件"), field="file")
            definition = upload_version(key, upload.read(), upload.filename, actor=current_user)
        except InvalidInput as err:
            db.session.rollback()
            form.add_error(err.field or "file", err.message)
        else:
            db.session.commit()
            flash(_("已部署 %(key)s v%(v)s", key=key, v=definition.version), "success")
            return redirect(url_for("admin.version", key=key, version=definition.version), 303)
    return _versions_page(key, form, 422)


@bp.route("/processes/<key>/v<int:version>")
@admin_required
def version(key: str, version: int):
    definition = get_version(key, version)
    previous = previous_version(definition)
    changes = version_changes(previous, definition) if previous else None
    marks_new: dict[str, set[str]] = {}
    marks_old: dict[str, set[str]] = {}
    if changes is not None:
        marks_new = {"added": {e.bpmn_id for e in changes.added},
                     "changed": {c.element.bpmn_id for c in changes.changed}}
        marks_old = {"removed": {e.bpmn_id for e in changes.removed}}
    candidates = migratable_instances(definition)
    checks = [check_migration(i, definition) for i in candidates[:PREVIEW_LIMIT]]
    return render_template(
        "admin/version.html", definition=definition, previous=previous, changes=changes,
        diagram=definition_svg(definition, marks_new, dom_id="diagram-new"),
        old_diagram=definition_svg(previous, marks_old, dom_id="diagram-old") if previous and marks_old["removed"] else None,
        checks=checks, more=max(len(candidates) - PREVIEW_LIMIT, 0), form=ConfirmForm(),
        attribute_label=attribute_label, kind_label=kind_label)


@bp.route("/processes/<key>/v<int:version>/migrate", methods=["POST"])
@admin_required
def migrate_version(key: str, version: int):
    definition = get_version(key, version)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("请勾选确认后再迁移"), "danger")
        return redirect(url_for("admin.version", key=key, version=version), 303)
    summary = migrate_all(definition, actor=current_user)
    db.session.commit()
    flash(_("已迁移 %(n)s 个实例到 v%(v)s；%(m)s 个不能迁移", n=len(summary.migrated), v=version,
            m=len(summary.refused)), "success" if not summary.refused else "warning")
    for instance, reason in summary.refused[:10]:
        flash(f"{instance.business_key}：{reason}", "warning")
    return redirect(url_for("admin.version", key=key, version=version), 303)
