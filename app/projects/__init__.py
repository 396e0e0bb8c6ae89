"""项目申报 (W1): structured applications, the draft form, 立项 and the project list."""

from flask import Blueprint

bp = Blueprint("projects", __name__, template_folder="templates")

from app.projects import adapter, views  # noqa: E402,F401  (process adapter, form handler, routes)
