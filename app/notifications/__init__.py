"""Notifications: the in-app centre, the e-mail outbox and its delivery."""

from flask import Blueprint

bp = Blueprint("notifications", __name__, template_folder="templates")

from app.notifications import hooks, views  # noqa: E402,F401  (routes; run hook and task-event subscriber)
