"""Teachers: profiles per school, bulk import with validation and de-duplication, logins."""

from flask import Blueprint

bp = Blueprint("teachers", __name__, template_folder="templates")

from app.teachers import views  # noqa: E402,F401
