"""Printable 申报书, 研修计划 and 学期检查报告: the record, then the opinion of every approval step.

Each page is scope-checked exactly like the record's own page (404 outside it) and printed with the
browser's print dialog through the print stylesheet.
"""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.dashboards import bp
from app.errors import NotFound
from app.extensions import db
from app.inspections import services as inspections
from app.models import ACTION_LABELS, InspectionStatus, Opinion
from app.models.base import utcnow
from app.plans.services import get_visible_plan
from app.projects.services import get_visible_project


def opinions_of(instance_id: int | None) -> list[Opinion]:
    """The typed opinions of an instance in order: who decided what at which step, with their comment."""
    if instance_id is None:
        return []
    return list(db.session.scalars(select(Opinion).where(Opinion.instance_id == instance_id)
                                   .order_by(Opinion.created_at, Opinion.id)))


def _render(template: str, **context):
    return render_template(template, opinions=opinions_of(context.pop("instance_id")), action_labels=ACTION_LABELS,
                           printed_at=utcnow(), **context)


@bp.route("/projects/<int:project_id>/print")
@login_required
def print_project(project_id: int):
    project = get_visible_project(project_id, current_user)
    return _render("dashboards/print_project.html", project=project, instance_id=project.instance_id)


@bp.route("/plans/<int:plan_id>/print")
@login_required
def print_plan(plan_id: int):
    plan = get_visible_plan(plan_id, current_user)
    return _render("dashboards/print_plan.html", plan=plan, instance_id=plan.instance_id)


@bp.route("/inspections/<int:inspection_id>/report/print")
@login_required
def print_inspection(inspection_id: int):
    inspection, level = inspections.get_visible_inspection(inspection_id, current_user._get_current_object())
    if level != "staff" and inspection.status != InspectionStatus.PUBLISHED:
        # The school and the township see the report once it is published, as on the inspection page.
        raise NotFound(_("检查报告尚未发布"))
    return _render("dashboards/print_inspection.html", inspection=inspection, campaign=inspection.campaign,
                   instance_id=inspection.instance_id)
