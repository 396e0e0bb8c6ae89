"""Authentication and password changes."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from app import audit
from app.errors import InvalidInput
from app.extensions import db
from app.models import LoginFailure, User
from app.models.base import utcnow

#: Passwords that meet the length and mix rules but everyone knows (the demo password first).
COMMON_PASSWORDS = frozenset({"yanxiu2026", "password1", "password123", "abc12345", "abcd1234", "a1234567",
                              "12345678a", "qwerty123", "qwer1234", "admin123", "admin1234", "1qaz2wsx"})
#: Login names: letters, digits and ``_ . -`` (what teacher logins and the bulk user import accept).
USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{3,64}$")


def username_problem(username: str) -> str | None:
    """Why ``username`` cannot be a login name, or None."""
    if not USERNAME.match(username or ""):
        return _("用户名须为 3 到 64 位字母、数字或 _ . -")
    return None


def generate_password() -> str:
    """A random initial password that meets :func:`password_problem` (given once, changed at first login)."""
    while True:
        password = secrets.token_urlsafe(9)
        if password_problem(password) is None:
            return password


def login_blocked(username: str, address: str) -> int | None:
    """Minutes until another login may be tried, when too many recent failures name this account or
    come from this address; None when a try is allowed. Counts rows in the database, so the limit
    holds across every web process."""
    config = current_app.config
    window = timedelta(minutes=config["LOGIN_FAILURE_WINDOW_MINUTES"])
    since = utcnow() - window
    checks = ((LoginFailure.username, username.strip()[:64], config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]),
              (LoginFailure.address, address[:64], config["LOGIN_MAX_FAILURES_PER_ADDRESS"]))
    wait = None
    for column, value, limit in checks:
        count, oldest = db.session.execute(
            select(func.count(), func.min(LoginFailure.at)).where(column == value, LoginFailure.at > since)).one()
        if count >= limit and oldest is not None:
            minutes = max(1, -int(-(oldest + window - utcnow()).total_seconds() // 60))
            wait = max(wait or 0, minutes)
    return wait


def authenticate(username: str, password: str, address: str = "") -> User | None:
    """The active user with these credentials, or None (same answer for unknown user and bad password).
    A failure is remembered for the rate limit (:func:`login_blocked`); a success clears the account's."""
    name = username.strip()[:64]
    user = db.session.scalars(select(User).where(User.username == name)).first()
    if user is None or not user.active or not user.check_password(password):
        audit.record("auth.login_failed", actor=None, username=name)
        now = utcnow()
        window = timedelta(minutes=current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"])
        db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - window))
        db.session.add(LoginFailure(username=name, address=address[:64], at=now))
        return None
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == name))
    user.last_login_at = utcnow()
    if current_app.config.get("ENV") == "production" and password_problem(password, user.username):
        # Demo and weak passwords must be replaced before anything else in production.
        user.must_change_password = True
    audit.record("auth.login", actor=user)
    return user


def password_problem(password: str, username: str | None = None) -> str | None:
    """Why a new password is too weak, or None."""
    if len(password) < 8:
        return _("新密码至少 8 位")
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        return _("新密码须同时包含字母和数字")
    if password.lower() in COMMON_PASSWORDS:
        return _("该密码过于常见（如演示密码），请换一个")
    if username and username.lower() in password.lower():
        return _("密码不能包含用户名")
    return None


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise InvalidInput(_("当前密码不正确"), field="current_password")
    problem = password_problem(new, user.username)
    if problem:
        raise InvalidInput(problem, field="new_password")
    if current == new:
        raise InvalidInput(_("新密码不能与当前密码相同"), field="new_password")
    user.set_password(new)
    user.must_change_password = False
    audit.record("auth.password_changed", actor=user)


def is_safe_next(target: str | None) -> bool:
    """Only same-site relative paths may be redirected to after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
