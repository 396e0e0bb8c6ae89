"""Configuration defaults. Deployments override them with ``YANXIU_*`` environment variables
(read in :func:`app.create_app` through ``from_prefixed_env``) or, in tests, with a mapping."""

from __future__ import annotations

import os


class Defaults:
    #: SQLAlchemy URL. SQLite is the embedded default; PostgreSQL (postgresql+psycopg://) in production.
    SQLALCHEMY_DATABASE_URI = "sqlite:///" + os.path.abspath("instance/yanxiu.sqlite")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    #: Must be overridden in production (YANXIU_SECRET_KEY); the demo and tests use this one.
    SECRET_KEY = "dev-only-secret-change-me"
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
