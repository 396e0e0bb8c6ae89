"""待办 extras: saving and deleting filters, and bulk approval of bulk-safe steps."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError
from wtforms import SelectField, StringField

from app.errors import DomainError, InvalidInput
from app.extensions import db
from app.forms import BaseForm, EmptyForm, choices
from app.models import HumanTask, User
from app.processes.registry import Completion
from app.processes.runtime import complete_task
from app.tasks import bp
from app.tasks.actions.forms import BulkApproveForm
from app.tasks.filters import InboxFilter
from app.tasks.saved_filters import delete_filter, save_filter
from app.tasks.views import CONCURRENT_MESSAGE, render_inbox


class SaveFilterForm(BaseForm):
    name = StringField(_l("筛选名称"))
    share_role = SelectField(_l("共享给"), validate_choice=False)


def share_choices(user: User) -> list:
    return choices([("", _("仅自己使用"))] + [(ra.role.value, _("本地区所有「%(role)s」", role=_(ra.role.label)))
                                            for ra in user.roles])


@bp.route("/tasks/filters", methods=["POST"])
@login_required
def save_inbox_filter():
    user = current_user._get_current_object()
    form = SaveFilterForm()
    criteria = InboxFilter.from_args(request.form)
    if not form.validate():
        return render_inbox(save_form=form, status=422)
    try:
        save_filter(user, name=form.name.data, criteria=criteria, share_role=form.share_role.data or None)
        db.session.commit()
    except InvalidInput as err:
        db.session.rollback()
        form.add_error(err.field if err.field in ("name", "share_role") else "name", err.message)
        return render_inbox(save_form=form, status=422)
    flash(_("筛选「%(name)s」已保存", name=form.name.data.strip()), "success")
    return redirect(url_for("tasks.inbox") + "?" + urlencode(criteria.to_args()))


@bp.route("/tasks/filters/<int:filter_id>/delete", methods=["POST"])
@login_required
def delete_inbox_filter(filter_id: int):
    form = EmptyForm()
    if form.validate_on_submit():
        delete_filter(current_user._get_current_object(), filter_id)
        db.session.commit()
        flash(_("筛选已删除"), "info")
    return redirect(url_for("tasks.inbox"))


@bp.route("/tasks/bulk-approve", methods=["POST"])
@login_required
def bulk_approve():
    """Approve each chosen bulk-safe task in its own transaction; report every item's outcome."""
    user = current_user._get_current_object()
    form = BulkApproveForm()
    if not form.validate():
        flash(_("请先勾选要批量通过的任务"), "warning")
        return redirect(request.referrer if (request.referrer or "").startswith(request.host_url)
                        else url_for("tasks.inbox"))
    comment = (form.comment.data or "").strip() or None
    ids = [int(v) for v in dict.fromkeys(form.task_ids.data or []) if str(v).isdigit()]
    done, failed = 0, []
    for task_id in ids:
        task = db.session.get(HumanTask, task_id)
        label = task.instance.title if task is not None else f"#{task_id}"
        try:
            if task is None or not task.bulk_safe:
                raise InvalidInput(_("该环节不允许批量办理，请逐个办理"))
            variable = (task.properties or {}).get("decisionVariable", "decision")
            complete_task(task_id, actor=user,
                          apply=lambda t, r, v=variable: Completion({v: "approve"}, "approve", comment))
            db.session.commit()
            done += 1
        except DomainError as err:
            db.session.rollback()
            failed.append((label, err.message))
        except StaleDataError:
            db.session.rollback()
            failed.append((label, _(CONCURRENT_MESSAGE)))
    if done:
        flash(_("已批量通过 %(n)s 项", n=done), "success")
    for label, message in failed:
        flash(_("「%(title)s」未通过：%(reason)s", title=label, reason=message), "warning")
    return redirect(url_for("tasks.inbox"))
