"""The inbox: 待办, 已办, claiming and completing tasks."""

from flask import Blueprint

bp = Blueprint("tasks", __name__, template_folder="templates")

from app.tasks import decision, views  # noqa: E402,F401  (routes and the generic decision form)
