"""统计看板: per-school and per-township figures for a term, their Excel exports, the 台帐 workbook and
the printable 申报书 / 研修计划 / 检查报告 pages."""

from flask import Blueprint

bp = Blueprint("dashboards", __name__, template_folder="templates")

from app.dashboards import prints, views  # noqa: E402,F401  (routes)
