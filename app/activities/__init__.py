"""Activity records against the approved plan (W2b): evidence, attendance by hand or import, and
live term progress for schools, townships and the city."""

from flask import Blueprint

bp = Blueprint("activities", __name__, template_folder="templates")

from app.activities import views  # noqa: E402,F401
