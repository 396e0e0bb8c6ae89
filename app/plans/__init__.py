"""研修计划审批 (W2) and 计划变更: term plans checked against the region's policy, reviewed level by
level, frozen as versions; plus opening a term's planning for every school of a region."""

from flask import Blueprint

bp = Blueprint("plans", __name__, template_folder="templates")

from app.plans import adapter, cli, navigation, timeline, views  # noqa: E402,F401  (adapters, CLI, nav, routes)
