"""后台任务 (administrators): incidents to retry, and what the workers will run next."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin.views import admin_required
from app.errors import Conflict
from app.extensions import db
from app.forms import EmptyForm
from app.jobs import bp, services
from app.models import JobStatus


@bp.route("/admin/jobs")
@admin_required
def index():
    return render_template("jobs/index.html", counts=services.status_counts(), statuses=list(JobStatus),
                           incidents=services.incidents(), upcoming=services.upcoming(), button_form=EmptyForm())


@bp.route("/admin/jobs/<int:job_id>/retry", methods=["POST"])
@admin_required
def retry(job_id: int):
    form = EmptyForm()
    if not form.validate_on_submit():
        flash(_("页面已过期，请刷新后重试"), "warning")
        return redirect(url_for("jobs.index"))
    try:
        services.retry_incident(job_id, actor=current_user._get_current_object())
        db.session.commit()
    except Conflict as err:
        db.session.rollback()
        flash(err.message, "warning")
        return redirect(url_for("jobs.index"))
    flash(_("已重新排队，worker 将尽快执行"), "success")
    return redirect(url_for("jobs.index"))
