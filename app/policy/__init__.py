"""Region policy profiles: versioned per region, effective from a term, edited by the region's
admin, shipped as five seed profiles with per-value provenance; plus the working-day calendar."""

from flask import Blueprint

bp = Blueprint("policy", __name__, template_folder="templates")

from app.policy import cli, views  # noqa: E402,F401  (CLI commands, routes)
from app.policy.display import describe  # noqa: E402

bp.add_app_template_global(describe, "describe_policy")
