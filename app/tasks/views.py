from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from app.access import can_act, is_candidate, require_can_act, require_instance_visible
from app.errors import Conflict, DomainError, InvalidInput
from app.extensions import db
from app.forms import EmptyForm, show_input_error
from app.i18n import N_
from app.instances.services import instance_page_context
from app.models import HumanTask
from app.models.base import utcnow
from app.processes.registry import adapter_for, form_handler
from app.processes.runtime import already_handled_message, complete_task
from app.tasks import bp, services
from app.tasks.actions.page import instance_actions, task_actions
from app.tasks.actions.rewind import instance_rows
from app.tasks.filters import SOON

CONCURRENT_MESSAGE = N_("该任务刚刚已由他人处理或修改，您的提交未生效，请查看最新状态")


@bp.route("/")
def index():
    return redirect(url_for("tasks.inbox"))


def _page_arg() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


@bp.route("/tasks")
@login_required
def inbox():
    return render_inbox()


def render_inbox(*, save_form: Any = None, status: int = 200):
    """待办 with its filters, saved filters and the bulk-approve bar."""
    from app.tasks.filters import InboxFilter, filter_choices
    from app.tasks.inbox_views import SaveFilterForm, share_choices
    from app.tasks.saved_filters import visible_filters

    user = current_user._get_current_object()
    filters = InboxFilter.from_args(request.args)
    page = services.inbox(user, page=_page_arg(), per_page=current_app.config["PAGE_SIZE"], filters=filters)
    if filters.is_empty:
        g.inbox_count = page.total  # the navigation badge shows the same number
    if save_form is None:
        save_form = SaveFilterForm(formdata=None)
    save_form.share_role.choices = share_choices(user)
    return render_template("tasks/inbox.html", page=page, processes=services.process_choices(),
                           filters=filters, choices=filter_choices(user), saved=visible_filters(user),
                           save_form=save_form, button_form=EmptyForm(), is_candidate=is_candidate,
                           can_act=can_act, now=utcnow(), soon=utcnow() + SOON), status


@bp.route("/tasks/done")
@login_required
def done():
    page = services.done(current_user, page=_page_arg(), per_page=current_app.config["PAGE_SIZE"])
    return render_template("tasks/done.html", page=page)


def _render_task(task: HumanTask, form: Any = None, *, status: int = 200, message: str | None = None,
                 submitted: dict[str, Any] | None = None):
    instance = task.instance
    adapter = adapter_for(instance.process_key)
    handler = form_handler(task.form_key)
    user = current_user._get_current_object()
    acting = task.is_open and can_act(user, task)
    # A delegate prepares the work: drafts may be saved, but only the owner submits.
    can_submit = acting and task.owner_id is None
    record = adapter.load_record(instance)  # for the form and for the record shown beside it
    if acting and form is None and handler is not None and (can_submit or handler.can_save_draft):
        form = handler.build_form(task, record if handler.uses_record else None)
    rows = instance_rows(instance)  # read once for the side panels and the list of open steps
    context = instance_page_context(instance, user, rows=rows, record=record)
    actions = task_actions(task, user, submitted)
    return render_template(
        "tasks/task.html", task=task, form=form if acting else None, handler=handler, acting=acting,
        can_submit=can_submit,
        claimable=task.is_open and task.assignee_id is None and is_candidate(user, task),
        holds=task.is_open and task.assignee_id == user.id and task.owner_id is None, message=message,
        button_form=EmptyForm(), actions=actions,
        instance_actions=instance_actions(instance, user, pool=actions.pool, rows=rows), **context), status


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@login_required
def show(task_id: int):
    task = services.get_task(task_id)
    require_instance_visible(current_user, task.instance)
    if request.method == "GET":
        message = None if task.is_open else already_handled_message(task)
        return _render_task(task, message=message)
    return _submit(task)


def _submit(task: HumanTask):
    user = current_user._get_current_object()
    task_id = task.id
    if not task.is_open:
        return _render_task(task, status=409, message=already_handled_message(task))
    require_can_act(user, task)
    handler = form_handler(task.form_key)
    if handler is None:
        abort(400)
    action = request.form.get("action", "submit")
    submitting = action != "save"
    task_name = task.name  # read before commit: committing expires loaded objects
    if not submitting and not handler.can_save_draft:
        abort(400)
    if submitting and task.owner_id is not None:
        return _render_task(task, status=403, message=_("该任务处于委派中：受委派人可以保存草稿并交还，最终提交由委派人办理"))
    adapter = adapter_for(task.instance.process_key)
    record = adapter.load_record(task.instance) if handler.uses_record else None
    form = handler.build_form(task, record, formdata=request.form)
    if not handler.validate(form, task, record, submitting=submitting):
        return _render_task(task, form, status=422)
    try:
        if submitting:
            complete_task(task.id, actor=user, apply=lambda t, r: handler.complete(form, t, r, user))
        else:
            handler.save(form, task, record, user)
        db.session.commit()
    except InvalidInput as err:
        db.session.rollback()
        show_input_error(form, err)
        return _render_task(services.get_task(task.id), form, status=422)
    except Conflict as err:
        db.session.rollback()
        return _render_task(services.get_task(task.id), status=409, message=err.message)
    except StaleDataError:
        db.session.rollback()
        return _render_task(services.get_task(task.id), status=409, message=_(CONCURRENT_MESSAGE))
    except DomainError:
        db.session.rollback()
        raise
    if submitting:
        flash(_("已办理：%(name)s", name=task_name), "success")
        return redirect(url_for("tasks.inbox"))
    flash(_("草稿已保存"), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.route("/tasks/<int:task_id>/claim", methods=["POST"])
@login_required
def claim(task_id: int):
    task = services.get_task(task_id)
    require_instance_visible(current_user, task.instance)
    try:
        services.claim(task_id, actor=current_user._get_current_object())
        db.session.commit()
    except Conflict as err:
        db.session.rollback()
        flash(err.message, "warning")
        return redirect(url_for("tasks.inbox"))
    flash(_("已认领：%(name)s", name=task.name), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.route("/tasks/<int:task_id>/unclaim", methods=["POST"])
@login_required
def unclaim(task_id: int):
    task = services.get_task(task_id)
    require_instance_visible(current_user, task.instance)
    try:
        services.unclaim(task_id, actor=current_user._get_current_object())
        db.session.commit()
    except Conflict as err:
        db.session.rollback()
        flash(err.message, "warning")
        return redirect(url_for("tasks.show", task_id=task_id))
    flash(_("已取消认领，任务已放回待办队列"), "info")
    return redirect(url_for("tasks.inbox"))
