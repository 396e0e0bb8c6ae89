from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.extensions import db
from app.forms import EmptyForm, choices
from app.models import EmailMode
from app.notifications import bp, services
from app.notifications.forms import PreferencesForm
from app.transactions import writes


@bp.route("/notifications")
@login_required
def index():
    unread_only = request.args.get("unread") == "1"
    page = services.for_user(current_user, page=max(request.args.get("page", 1, type=int) or 1, 1),
                             per_page=current_app.config["PAGE_SIZE"], unread_only=unread_only)
    return render_template("notifications/index.html", page=page, render=services.render,
                           unread_only=unread_only, button_form=EmptyForm())


@bp.route("/notifications/<int:notification_id>")
@login_required
@writes  # marks the notification read
def open_(notification_id: int):
    opened = services.open_notification(current_user, notification_id)
    db.session.commit()
    # Only paths of this site are stored; refuse anything else rather than redirect off-site.
    return redirect(opened.url if opened.url.startswith("/") and not opened.url.startswith("//") else "/")


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def read_all():
    form = EmptyForm()
    if form.validate_on_submit():
        count = services.mark_all_read(current_user)
        db.session.commit()
        flash(_("已将 %(n)s 条通知标为已读", n=count), "info")
    return redirect(url_for("notifications.index"))


def _preferences_form(formdata=None) -> PreferencesForm:
    form = PreferencesForm(formdata=formdata) if formdata is not None else PreferencesForm(
        formdata=None, data={"email": current_user.email or "",
                             "email_mode": services.email_mode(current_user.id).value})
    form.email_mode.choices = choices((m.value, _(m.label)) for m in EmailMode)
    return form


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def settings():
    if request.method == "GET":
        return render_template("notifications/settings.html", form=_preferences_form())
    form = _preferences_form(request.form)
    ok = form.validate()
    if ok and form.email_mode.data != EmailMode.OFF.value and not (form.email.data or "").strip():
        form.add_error("email", _("要接收邮件通知，请填写电子邮箱"))
        ok = False
    if not ok:
        return render_template("notifications/settings.html", form=form), 422
    services.set_preferences(current_user._get_current_object(), mode=EmailMode(form.email_mode.data),
                             email=(form.email.data or "").strip() or None)
    db.session.commit()
    flash(_("通知设置已保存"), "success")
    return redirect(url_for("notifications.settings"))
