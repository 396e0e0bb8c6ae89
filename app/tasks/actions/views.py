"""Routes of the approval actions. Each validates its panel's form, runs one service command and
commits once; invalid input re-renders the page (422) with the message beside the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from app.access import require_instance_visible
from app.attachments.views import storage_settings
from app.errors import Conflict, DomainError, InvalidInput
from app.extensions import db
from app.forms import show_input_error
from app.instances.services import instance_page_context
from app.models import ProcessInstance
from app.tasks import bp, services
from app.tasks.actions import forms, handover, participation, rewind, signers
from app.tasks.actions.page import instance_actions
from app.tasks.views import CONCURRENT_MESSAGE, _render_task


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def _user():
    return current_user._get_current_object()


def _task_action(task_id: int, name: str, form_cls: type[forms.ActionForm],
                 run: Callable[[Any], Any], done: Callable[[], str]):
    """Validate ``name``'s panel on the task page, run the command, commit, redirect."""
    task = services.get_task(task_id)
    require_instance_visible(_user(), task.instance)
    form = form_cls(prefix=name)  # Flask-WTF reads the request's form and files
    if not form.validate():
        return _render_task(task, status=422, submitted={name: form})
    try:
        result = run(form)
        db.session.commit()
    except InvalidInput as err:
        db.session.rollback()
        show_input_error(form, err)
        return _render_task(services.get_task(task_id), status=422, submitted={name: form})
    except Conflict as err:
        db.session.rollback()
        return _render_task(services.get_task(task_id), status=409, message=err.message)
    except StaleDataError:
        db.session.rollback()
        return _render_task(services.get_task(task_id), status=409, message=_(CONCURRENT_MESSAGE))
    except DomainError:
        db.session.rollback()
        raise
    flash(done(), "success")
    del result
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.route("/tasks/<int:task_id>/transfer", methods=["POST"])
@login_required
def transfer(task_id: int):
    return _task_action(task_id, "transfer", forms.TransferForm,
                        lambda f: handover.transfer(task_id, actor=_user(), to_user_id=_int(f.user_id.data),
                                                    comment=f.comment.data),
                        lambda: _("已转办，此任务已交给对方办理"))


@bp.route("/tasks/<int:task_id>/delegate", methods=["POST"])
@login_required
def delegate(task_id: int):
    return _task_action(task_id, "delegate", forms.DelegateForm,
                        lambda f: handover.delegate(task_id, actor=_user(), to_user_id=_int(f.user_id.data),
                                                    comment=f.comment.data),
                        lambda: _("已委派，对方处理完交还后，您再最终办理"))


@bp.route("/tasks/<int:task_id>/resolve", methods=["POST"])
@login_required
def resolve(task_id: int):
    return _task_action(task_id, "resolve", forms.ResolveForm,
                        lambda f: handover.resolve(task_id, actor=_user(), comment=f.comment.data),
                        lambda: _("已交还委派人"))


@bp.route("/tasks/<int:task_id>/reclaim", methods=["POST"])
@login_required
def reclaim(task_id: int):
    return _task_action(task_id, "reclaim", forms.ActionForm,
                        lambda f: handover.reclaim(task_id, actor=_user()), lambda: _("已收回委派，任务回到您手中"))


@bp.route("/tasks/<int:task_id>/return", methods=["POST"])
@login_required
def return_to(task_id: int):
    return _task_action(task_id, "return_to", forms.ReturnForm,
                        lambda f: rewind.return_to(task_id, actor=_user(), target_id=_int(f.target_id.data),
                                                   comment=f.comment.data),
                        lambda: _("已退回，流程回到所选环节"))


@bp.route("/tasks/<int:task_id>/add-signer", methods=["POST"])
@login_required
def add_signer(task_id: int):
    return _task_action(task_id, "add_sign", forms.AddSignerForm,
                        lambda f: signers.add_signer(task_id, actor=_user(), to_user_id=_int(f.user_id.data),
                                                     kind=f.kind.data, comment=f.comment.data),
                        lambda: _("已加签"))


@bp.route("/tasks/<int:task_id>/remove-signer", methods=["POST"])
@login_required
def remove_signer(task_id: int):
    signer = services.get_task(task_id)
    parent_id = signer.parent_id or task_id
    return _task_action(parent_id, "remove_sign", forms.ActionForm,
                        lambda f: signers.remove_signer(task_id, actor=_user()), lambda: _("已减签"))


@bp.route("/tasks/<int:task_id>/comment", methods=["POST"])
@login_required
def comment(task_id: int):
    return _task_action(task_id, "comment", forms.CommentForm,
                        lambda f: participation.comment(task_id, actor=_user(), text=f.text.data),
                        lambda: _("评论已发表"))


@bp.route("/tasks/<int:task_id>/attach", methods=["POST"])
@login_required
def attach(task_id: int):
    upload = request.files.get("attach-file")

    def run(form):
        if upload is None or not upload.filename:
            raise InvalidInput(_("请选择要上传的文件"), field="file")
        return participation.attach(task_id, actor=_user(), stream=upload.stream, filename=upload.filename,
                                    settings=storage_settings())
    return _task_action(task_id, "attach", forms.AttachForm, run, lambda: _("附件已上传"))


# -- instance-level actions ------------------------------------------------------------------
def _render_instance(instance: ProcessInstance, *, status: int, submitted=None, message: str | None = None):
    user = _user()
    from app.processes.diagrams import instance_svg

    return render_template("instances/instance.html", message=message, diagram=instance_svg(instance),
                           instance_actions=instance_actions(instance, user, submitted),
                           **instance_page_context(instance, user)), status


def _instance_action(instance_id: int, name: str, form_cls: type[forms.ActionForm],
                     run: Callable[[Any], Any], done: Callable[[], str]):
    instance = require_instance_visible(_user(), db.session.get(ProcessInstance, instance_id))
    form = form_cls(prefix=name)
    back = request.form.get("next_task", type=int)
    if not form.validate():
        return _render_instance(instance, status=422, submitted={name: form})
    try:
        run(form)
        db.session.commit()
    except InvalidInput as err:
        db.session.rollback()
        show_input_error(form, err)
        return _render_instance(db.session.get(ProcessInstance, instance_id), status=422, submitted={name: form})
    except Conflict as err:
        db.session.rollback()
        return _render_instance(db.session.get(ProcessInstance, instance_id), status=409, message=err.message)
    except StaleDataError:
        db.session.rollback()
        return _render_instance(db.session.get(ProcessInstance, instance_id), status=409,
                                message=_(CONCURRENT_MESSAGE))
    except DomainError:
        db.session.rollback()
        raise
    flash(done(), "success")
    if back:
        return redirect(url_for("tasks.show", task_id=back))
    return redirect(url_for("instances.show", instance_id=instance_id))


@bp.route("/instances/<int:instance_id>/withdraw", methods=["POST"])
@login_required
def withdraw(instance_id: int):
    return _instance_action(instance_id, "withdraw", forms.WithdrawForm,
                            lambda f: rewind.withdraw(instance_id, actor=_user(), comment=f.comment.data),
                            lambda: _("已撤回，该环节回到您的待办，下一环节的待办已取消"))


@bp.route("/instances/<int:instance_id>/urge", methods=["POST"])
@login_required
def urge(instance_id: int):
    return _instance_action(instance_id, "urge", forms.UrgeForm,
                            lambda f: participation.urge(instance_id, actor=_user(), comment=f.comment.data),
                            lambda: _("已催办，当前办理人会收到提醒"))


@bp.route("/instances/<int:instance_id>/cc", methods=["POST"])
@login_required
def cc(instance_id: int):
    return _instance_action(
        instance_id, "cc", forms.CcForm,
        lambda f: participation.copy_to(instance_id, actor=_user(),
                                        user_ids=[i for i in (_int(v) for v in f.user_ids.data or []) if i],
                                        note=f.note.data, task_id=request.form.get("next_task", type=int)),
        lambda: _("已抄送，对方可以查看本流程并会收到通知"))


@bp.route("/tasks/cc")
@login_required
def copied():
    page = participation.copied_to_me(_user(), page=max(request.args.get("page", 1, type=int) or 1, 1),
                                      per_page=current_app.config["PAGE_SIZE"])
    return render_template("tasks/copied.html", page=page)
