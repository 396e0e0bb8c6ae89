"""学期检查 (W3): score-sheet templates, inspection campaigns, self-check, scoring, reports, ranking."""

from flask import Blueprint

bp = Blueprint("inspections", __name__, template_folder="templates")

from app.inspections import adapter, record_metrics, timeline, views  # noqa: E402,F401  (adapter, metrics, routes)
