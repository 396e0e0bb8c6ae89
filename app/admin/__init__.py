"""Administration: process versions and migration, instance repair tools, the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, template_folder="templates", url_prefix="/admin")

from app.admin import audit_views, instance_views, versions_views, views  # noqa: E402,F401
