"""Authentication and password changes."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit
from app.errors import InvalidInput
from app.extensions import db
from app.models import User
from app.models.base import utcnow


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer for unknown user and bad password)."""
    user = db.session.scalars(select(User).where(User.username == username.strip())).first()
    if user is None or not user.active or not user.check_password(password):
        audit.record("auth.login_failed", actor=None, username=username.strip()[:64])
        return None
    user.last_login_at = utcnow()
    audit.record("auth.login", actor=user)
    return user


def password_problem(password: str) -> str | None:
    """Why a new password is too weak, or None."""
    if len(password) < 8:
        return _("新密码至少 8 位")
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        return _("新密码须同时包含字母和数字")
    return None


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise InvalidInput(_("当前密码不正确"), field="current_password")
    problem = password_problem(new)
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
