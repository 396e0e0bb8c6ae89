"""研修通 (yanxiu): the Flask application factory."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import Any

from babel import Locale
from flask import Flask, flash, has_request_context, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from app.config import Defaults
from app.extensions import babel, csrf, db, login_manager, migrate
from app.i18n import N_

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def create_app(config_overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, error pages."""
    app = Flask(__name__)
    app.config.from_object(Defaults)
    app.config.from_prefixed_env("YANXIU")
    if config_overrides:
        app.config.update(config_overrides)
    _apply_environment(app)

    _init_extensions(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    _register_hooks(app)
    _register_template_helpers(app)
    return app


def _apply_environment(app: Flask) -> None:
    """Production settings, and the refusal to run production with the demo secret key."""
    from app.config import DEFAULT_SECRET_KEY

    production = app.config.get("ENV") == "production"
    if production and (not app.config.get("SECRET_KEY") or app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY
                       or len(str(app.config["SECRET_KEY"])) < 16):
        raise RuntimeError("YANXIU_ENV=production needs its own YANXIU_SECRET_KEY (at least 16 characters), "
                           "e.g. python3 -c 'import secrets; print(secrets.token_hex(32))'")
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE"] = production
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config["SESSION_COOKIE_SECURE"])
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        # A whole request may carry one attachment plus the form around it.
        app.config["MAX_CONTENT_LENGTH"] = int(app.config["ATTACHMENT_MAX_BYTES"]) + 1024 * 1024


def _select_locale() -> str:
    from flask import current_app

    # Services also translate their messages when run from the CLI or a test (no request, no session).
    lang = session.get("lang") if has_request_context() else None
    if lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@functools.lru_cache(maxsize=8)
def _parsed_locale(code: str) -> Locale:
    return Locale.parse(code)


def _babel_locale() -> Locale:
    # Flask-Babel parses what the selector returns on every request (babel's Locale.parse is not cached
    # and costs about half a millisecond); a Locale object is taken as it is.
    return _parsed_locale(_select_locale())


def _install_request_gettext(app: Flask) -> None:
    """Template ``_()`` with the request's catalog looked up once, not on each of a page's ~100 strings.

    Flask-Babel's template callables resolve the domain, the locale and the catalog cache on every
    call; the catalog lives as long as Flask-Babel's own per-request locale (on ``g``).
    """
    from flask import g
    from flask_babel import get_translations

    def translations():
        try:
            return g._yanxiu_translations
        except AttributeError:
            g._yanxiu_translations = found = get_translations()
            return found

    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


def _init_extensions(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("connect_args", {}).setdefault("timeout", 30)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
        if uri.startswith("sqlite:///") and not uri.startswith("sqlite:///:memory:"):
            os.makedirs(os.path.dirname(uri.removeprefix("sqlite:///")) or ".", exist_ok=True)
    db.init_app(app)
    if uri.startswith("sqlite"):
        from app.transactions import configure_sqlite

        with app.app_context():
            configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_babel_locale)
    _install_request_gettext(app)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("请先登录")
    login_manager.localize_callback = _
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str):
        from sqlalchemy.orm import joinedload

        from app.models import User

        # Every request loads its user; the roles (and their orgs) come in the same statement, since
        # the navigation, the inbox and every permission check read them.
        user = db.session.get(User, int(user_id), options=[joinedload(User.roles)]) if user_id.isdigit() else None
        return user if user is not None and user.active else None


def _register_blueprints(app: Flask) -> None:
    from app.activities import bp as activities_bp
    from app.admin import bp as admin_bp
    from app.attachments import bp as attachments_bp
    from app.auth import bp as auth_bp
    from app.credits import bp as credits_bp
    from app.dashboards import bp as dashboards_bp
    from app.directory import bp as directory_bp
    from app.excellence import bp as excellence_bp
    from app.health import bp as health_bp
    from app.inspections import bp as inspections_bp
    from app.instances import bp as instances_bp
    from app.jobs import bp as jobs_bp
    from app.notifications import bp as notifications_bp
    from app.plans import bp as plans_bp
    from app.policy import bp as policy_bp
    from app.projects import bp as projects_bp
    from app.rectification import bp as rectification_bp
    from app.tasks import bp as tasks_bp
    from app.teachers import bp as teachers_bp

    for bp in (auth_bp, tasks_bp, instances_bp, projects_bp, attachments_bp, admin_bp, notifications_bp,
               policy_bp, plans_bp, activities_bp, credits_bp, teachers_bp, jobs_bp, inspections_bp,
               rectification_bp, dashboards_bp, excellence_bp, health_bp, directory_bp):
        app.register_blueprint(bp)

    from app.cli import register_commands

    register_commands(app)


def _register_error_handlers(app: Flask) -> None:
    from app.errors import DomainError

    def render_error(status: int, message: str):
        return render_template("errors/error.html", status=status, message=message), status

    @app.errorhandler(DomainError)
    def domain_error(err: DomainError):
        db.session.rollback()
        return render_error(err.status_code, err.message)

    @app.errorhandler(StaleDataError)
    def stale(err: StaleDataError):
        db.session.rollback()
        return render_error(409, _("该记录刚刚已被他人修改，您的操作未生效，请刷新后重试"))

    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError):
        return render_error(400, _("页面已过期或表单校验失败，请刷新页面后重试"))

    @app.errorhandler(413)
    def too_large(err):
        return render_error(413, _("上传的内容过大"))

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        if err.code is not None and err.code < 400:
            return err  # routing redirects (e.g. trailing slash) pass through
        messages = {400: _("请求无效"), 403: _("您没有权限执行此操作"), 404: _("页面不存在"),
                    405: _("不支持的请求方式")}
        return render_error(err.code or 500, messages.get(err.code or 500, err.description or _("出错了")))

    @app.errorhandler(Exception)
    def unexpected(err: Exception):
        if app.testing:
            raise err  # a test must fail loudly, not read an error page
        db.session.rollback()
        app.logger.exception("unhandled error")
        return render_error(500, _("服务器内部错误，已记录，请稍后重试或联系管理员"))


def _register_hooks(app: Flask) -> None:
    from app import audit

    @app.before_request
    def remember_ip():
        audit.current_ip.set(request.remote_addr)

    @app.before_request
    def refuse_nul_characters():
        # No form a person fills in contains NUL, and PostgreSQL text cannot store it: refuse the
        # request as a whole instead of failing half-way through a command.
        fields = [*request.args.items(multi=True)]
        if request.method in ("POST", "PUT", "PATCH"):
            fields += [*request.form.items(multi=True)]
            fields += [(key, f.filename or "") for key, f in request.files.items(multi=True)]
        if any("\x00" in key or "\x00" in value for key, value in fields):
            from flask import abort

            abort(400)
        return None

    @app.before_request
    def choose_transaction_kind():
        from flask import g

        from app.transactions import read_only, view_only_reads

        g.read_only_token = read_only.set(
            view_only_reads(request.method, app.view_functions.get(request.endpoint or "")))

    @app.teardown_request
    def reset_transaction_kind(exc):
        from flask import g

        from app.transactions import read_only

        token = g.pop("read_only_token", None)
        if token is not None:
            read_only.reset(token)

    @app.before_request
    def force_password_change():
        if (current_user.is_authenticated and current_user.must_change_password
                and request.endpoint not in ("auth.change_password", "auth.logout", "static", "auth.set_language")):
            flash(_("请先修改初始密码"), "warning")
            return redirect(url_for("auth.change_password"))
        return None

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", app.config["CONTENT_SECURITY_POLICY"])
        return response

    @app.context_processor
    def navigation():
        from app.models import ROLE_LABELS, Role
        from app.models.user import OVERSIGHT_ROLES
        from app.notifications.services import unread_count
        from app.tasks.services import inbox_count

        if not current_user.is_authenticated:
            return {}
        from flask import g

        count = g.inbox_count if "inbox_count" in g else inbox_count(current_user)
        return {"nav_inbox_count": count,
                "nav_unread_count": unread_count(current_user),
                "nav_is_admin": current_user.has_role(Role.ADMIN),
                "nav_has_oversight": any(ra.role in OVERSIGHT_ROLES for ra in current_user.roles),
                "role_labels": ROLE_LABELS,
                "current_lang": _select_locale()}


def _register_template_helpers(app: Flask) -> None:
    from zoneinfo import ZoneInfo

    from app.models.base import utcnow

    # Dates are shown as ISO-like numbers in every language, so plain strftime in the configured
    # zone does the job; Babel's locale-aware formatter costs ~20x more per call in long lists.
    zone = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])

    @app.template_filter("localtime")
    def localtime(value):
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""

    @app.template_filter("localdate")
    def localdate(value):
        return value.astimezone(zone).strftime("%Y-%m-%d") if value else ""

    app.jinja_env.globals["now_utc"] = utcnow
