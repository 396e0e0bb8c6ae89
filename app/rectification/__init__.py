"""整改 (W4): rectification orders, their items and rounds, the 整改通知书 and the 整改台账."""

from flask import Blueprint

bp = Blueprint("rectification", __name__, template_folder="templates")

from app.rectification import adapter, notices, timeline, views  # noqa: E402,F401  (adapter, forms, routes)
