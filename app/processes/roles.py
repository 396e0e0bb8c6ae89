"""The lane → role map built from the role registry."""

from app.models.user import ROLE_NAMES
from workflows.lanes import LaneRoleMap

LANE_ROLES = LaneRoleMap({role.value: names for role, names in ROLE_NAMES.items()})
