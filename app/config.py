"""Configuration defaults. Deployments override them with ``YANXIU_*`` environment variables
(read in :func:`app.create_app` through ``from_prefixed_env``) or, in tests, with a mapping."""

from __future__ import annotations

import os

#: The secret key the demo and the tests use; a production app refuses to start with it.
DEFAULT_SECRET_KEY = "dev-only-secret-change-me"


class Defaults:
    #: ``production`` (YANXIU_ENV=production) turns on the checks and settings of a real deployment:
    #: a secret key of its own, Secure cookies, forced change of weak and demo passwords.
    ENV = "development"
    #: SQLAlchemy URL. SQLite is the embedded default; PostgreSQL (postgresql+psycopg://) in production.
    SQLALCHEMY_DATABASE_URI = "sqlite:///" + os.path.abspath("instance/yanxiu.sqlite")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    #: Must be overridden in production (YANXIU_SECRET_KEY); the demo and tests use this one.
    SECRET_KEY = DEFAULT_SECRET_KEY
    #: Where attachments are stored: <ATTACHMENT_ROOT>/instances/<instance id>/<sha256>.
    ATTACHMENT_ROOT = os.path.abspath("instance/files")
    #: Largest accepted attachment, in bytes (20 MB).
    ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
    #: Accepted attachment types: extension -> description. The content is sniffed as well.
    ATTACHMENT_TYPES = ("pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "jpg", "jpeg", "png", "txt", "zip")
    #: Directory with the shipped BPMN/DMN files that `yanxiu deploy` and `yanxiu demo` deploy.
    BPMN_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "bpmn"))
    #: Interface languages; the first is the default.
    LANGUAGES = ("zh_CN", "en")
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    #: Page size of task and record lists.
    PAGE_SIZE = 30
    #: Outgoing e-mail for notifications (`yanxiu notify`); no host means no e-mail is sent.
    SMTP_HOST: str | None = None
    SMTP_PORT = 25
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_TLS = False   # STARTTLS after connecting (usually port 587)
    SMTP_SSL = False   # implicit TLS (usually port 465)
    MAIL_SENDER = "研修通 <yanxiu@localhost>"
    #: The address users reach the application at, for links in e-mails.
    BASE_URL = "http://127.0.0.1:5000"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    #: Secure cookies: None means "on in production" (set YANXIU_SESSION_COOKIE_SECURE=false only when
    #: the browser reaches the app over plain HTTP, e.g. a loopback benchmark).
    SESSION_COOKIE_SECURE = None
    #: Reverse proxies in front of the app (YANXIU_TRUSTED_PROXIES=1 behind nginx): their
    #: X-Forwarded-For/-Proto give the client address (audit, login limit) and the scheme.
    TRUSTED_PROXIES = 0
    #: Login rate limit: this many failures within the window block further tries for the account, or
    #: from the address, until the oldest failure leaves the window.
    LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
    LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    LOGIN_FAILURE_WINDOW_MINUTES = 15
    #: Content-Security-Policy sent with every response: no inline script. Inline style stays allowed
    #: because the live diagram is inline SVG with its own <style> (per-instance highlighting rules) and
    #: style attributes; script is what the policy exists to stop.
    CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
                               "frame-ancestors 'none'")
