"""Repair tools for one instance: suspend, resume, terminate, rewind, migrate to the latest version."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import bp
from app.admin.forms import ConfirmForm, RepairForm, RewindForm
from app.admin.views import admin_required
from app.errors import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.i18n import N_
from app.instances.services import open_tasks, timeline
from app.models import InstanceStatus, ProcessInstance
from app.processes import repair
from app.processes.diagrams import instance_svg
from app.processes.services import latest_definition
from app.processes.versions import check_migration, migrate_instance


def _instance(instance_id: int) -> ProcessInstance:
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(_("流程实例不存在"))
    return instance


def _rewind_form(instance: ProcessInstance) -> RewindForm:
    form = RewindForm()
    zone_fmt = lambda t: t.completed_at.astimezone().strftime("%m-%d %H:%M") if t.completed_at else ""  # noqa: E731
    form.task_id.choices = [(t.task_id, f"{t.name}（{zone_fmt(t)}）") for t in repair.rewind_choices(instance)]
    return form


def _page(instance: ProcessInstance, status: int = 200, **forms):
    latest = latest_definition(instance.process_key)
    migration = None
    if latest is not None and latest.version > instance.definition.version:
        migration = check_migration(instance, latest)
    context = {
        "instance": instance, "diagram": instance_svg(instance), "open_tasks": open_tasks(instance),
        "timeline": timeline(instance), "latest": latest, "migration": migration,
        "suspend_form": RepairForm(prefix="suspend"), "resume_form": RepairForm(prefix="resume"),
        "terminate_form": RepairForm(prefix="terminate"), "rewind_form": _rewind_form(instance),
        "migrate_form": ConfirmForm(prefix="migrate"), "statuses": InstanceStatus,
    }
    context.update(forms)
    return render_template("admin/instance.html", **context), status


@bp.route("/instances/<int:instance_id>")
@admin_required
def instance(instance_id: int):
    return _page(_instance(instance_id))


_REPAIRS = {"suspend": (repair.suspend_instance, N_("流程已挂起")),
            "resume": (repair.resume_instance, N_("流程已恢复")),
            "terminate": (repair.terminate_instance, N_("流程已终止"))}


@bp.route("/instances/<int:instance_id>/<any(suspend, resume, terminate):action>", methods=["POST"])
@admin_required
def repair_action(instance_id: int, action: str):
    instance = _instance(instance_id)
    form = RepairForm(prefix=action)
    if form.validate_on_submit():
        command, done = _REPAIRS[action]
        command(instance.id, actor=current_user, reason=form.reason.data)
        db.session.commit()
        flash(_(done), "success")
        return redirect(url_for("admin.instance", instance_id=instance.id), 303)
    return _page(instance, 422, **{f"{action}_form": form})


@bp.route("/instances/<int:instance_id>/rewind", methods=["POST"])
@admin_required
def rewind(instance_id: int):
    instance = _instance(instance_id)
    form = _rewind_form(instance)  # bound to the posted data
    if form.validate_on_submit():
        try:
            target = repair.rewind_instance(instance.id, actor=current_user, task_id=form.task_id.data,
                                            reason=form.reason.data)
        except InvalidInput as err:
            db.session.rollback()
            form.add_error(err.field or "task_id", err.message)
        else:
            db.session.commit()
            flash(_("已回退到「%(step)s」", step=target.name), "success")
            return redirect(url_for("admin.instance", instance_id=instance.id), 303)
    return _page(instance, 422, rewind_form=form)


@bp.route("/instances/<int:instance_id>/migrate", methods=["POST"])
@admin_required
def migrate(instance_id: int):
    instance = _instance(instance_id)
    form = ConfirmForm(prefix="migrate")
    latest = latest_definition(instance.process_key)
    if not form.validate_on_submit() or latest is None:
        return _page(instance, 422, migrate_form=form)
    try:
        migrate_instance(instance.id, latest.id, actor=current_user)
    except Conflict as err:
        db.session.rollback()
        flash(err.message, "danger")
        return _page(_instance(instance_id), 409)
    db.session.commit()
    flash(_("已迁移到 v%(v)s", v=latest.version), "success")
    return redirect(url_for("admin.instance", instance_id=instance.id), 303)
