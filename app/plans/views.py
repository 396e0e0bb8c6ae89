from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.errors import Forbidden
from app.extensions import db
from app.forms import EmptyForm, choices
from app.models import HumanTask, PlanStatus, TaskStatus
from app.models.base import utcnow
from app.plans import bp
from app.plans.forms import OpenTermForm
from app.plans.opening import can_open, open_term
from app.plans.services import (
    get_visible_plan,
    list_plans,
    plan_already_open,
    request_change,
    start_term_plan,
)
from app.policy.services import policy_for_term
from app.projects.services import visible_schools
from app.regions import current_term, region_terms, user_region_ids


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value and value > 0 else None


def _openable_regions(user) -> list[int]:
    return [r for r in user_region_ids(user) if can_open(user, r)]


@bp.route("/plans")
@login_required
def index():
    user = current_user._get_current_object()
    regions = user_region_ids(user)
    terms = region_terms(regions[0]) if regions else []
    term_id = _int_arg("term")
    if term_id is None and regions:
        term = current_term(regions[0], utcnow().date())
        term_id = term.id if term else None
    status = request.args.get("status") or None
    if status not in {s.value for s in PlanStatus}:
        status = None
    school_id = _int_arg("school")
    page = list_plans(user, term_id=term_id, school_id=school_id, status=status,
                      page=max(request.args.get("page", 1, type=int) or 1, 1),
                      per_page=current_app.config["PAGE_SIZE"])
    label = policy_for_term(next(t for t in terms if t.id == term_id)).policy.label \
        if term_id and any(t.id == term_id for t in terms) else "校本研修"
    return render_template("plans/index.html", page=page, terms=terms, term_id=term_id, status=status,
                           statuses=list(PlanStatus), schools=visible_schools(user), school_id=school_id,
                           can_open=bool(_openable_regions(user)), label=label)


@bp.route("/plans/open", methods=["GET", "POST"])
@login_required
def open_planning():
    user = current_user._get_current_object()
    regions = _openable_regions(user)
    if not regions:
        raise Forbidden(_("只有本区域的系统管理员或市级审核员可以开启计划编制"))
    today = utcnow().date()
    terms = [t for t in region_terms(regions[0]) if t.end_date >= today]
    form = OpenTermForm()
    form.term_id.choices = choices((t.id, t.name) for t in terms)
    if form.validate_on_submit():
        result = open_term(int(form.term_id.data), actor=user, already=plan_already_open, start=start_term_plan,
                           action="plan.open_term")
        db.session.commit()
        flash(_("已为 %(n)s 所学校开启计划编制，编制任务已进入各校学校管理员的待办", n=len(result.started)), "success")
        for name, reason in result.failed:
            flash(_("%(school)s 未能开启：%(reason)s", school=name, reason=reason), "danger")
        return render_template("plans/open.html", form=form, result=result)
    status = 422 if form.errors else 200
    return render_template("plans/open.html", form=form, result=None), status


@bp.route("/plans/<int:plan_id>")
@login_required
def show(plan_id: int):
    plan = get_visible_plan(plan_id, current_user)
    return redirect(url_for("instances.show", instance_id=plan.instance_id))


@bp.route("/plans/<int:plan_id>/change", methods=["POST"])
@login_required
def change(plan_id: int):
    user = current_user._get_current_object()
    plan = get_visible_plan(plan_id, user)
    if not EmptyForm().validate_on_submit():
        flash(_("页面已过期，请重试"), "warning")
        return redirect(url_for("plans.show", plan_id=plan.id))
    draft = request_change(plan.id, actor=user)
    db.session.commit()
    task = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == draft.instance_id,
                                                      HumanTask.status == TaskStatus.OPEN)).first()
    flash(_("已创建计划变更，请修改计划后提交"), "success")
    return redirect(url_for("tasks.show", task_id=task.id) if task else url_for("plans.index"))
