"""Navigation flags for the planning pages, added to every template's context."""

from __future__ import annotations

from flask_login import current_user

from app.access import oversight_paths
from app.models import Role
from app.plans import bp


@bp.app_context_processor
def planning_navigation() -> dict[str, bool]:
    if not current_user.is_authenticated:
        return {}
    return {"nav_oversight": bool(oversight_paths(current_user)),
            "nav_teacher": current_user.has_role(Role.TEACHER),
            "nav_regions": bool(current_user.roles)}
