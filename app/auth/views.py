from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp, services
from app.auth.forms import ChangePasswordForm, LoginForm
from app.auth.services import authenticate, is_safe_next
from app.errors import InvalidInput
from app.extensions import db


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("tasks.inbox"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        address = request.remote_addr or ""
        wait = services.login_blocked(form.username.data, address)
        if wait is not None:
            form.add_error("password", _("登录失败次数过多，请 %(minutes)s 分钟后再试", minutes=wait))
            return render_template("auth/login.html", form=form), 429
        user = authenticate(form.username.data, form.password.data, address)
        if user is None:
            db.session.commit()  # keep the failed-login audit event
            form.add_error("password", _("用户名或密码不正确"))
        else:
            login_user(user)
            if user.locale:
                session["lang"] = user.locale
            db.session.commit()
            target = form.next.data if is_safe_next(form.next.data) else url_for("tasks.inbox")
            if user.must_change_password:
                flash(_("请先修改初始密码"), "warning")
                return redirect(url_for("auth.change_password", next=target))
            return redirect(target)
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash(_("您已退出登录"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user._get_current_object(), form.current_password.data,
                                     form.new_password.data)
        except InvalidInput as err:
            form.add_error(err.field or "new_password", err.message)
        else:
            db.session.commit()
            flash(_("密码已修改"), "success")
            target = request.args.get("next")
            return redirect(target if is_safe_next(target) else url_for("tasks.inbox"))
    return render_template("auth/change_password.html", form=form), 200 if not form.errors else 422


@bp.route("/language", methods=["POST"])
def set_language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("tasks.inbox"))
