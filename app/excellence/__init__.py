"""评优 (W5): selection rounds, nominations, formal check, expert scoring, ranking, 公示 and awards."""

from flask import Blueprint

bp = Blueprint("excellence", __name__, template_folder="templates")

from app.excellence import adapter, timeline, views  # noqa: E402,F401  (adapter, timeline texts, routes)
