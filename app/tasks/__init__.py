"""The inbox: 待办, 已办, claiming and completing tasks."""

from flask import Blueprint

bp = Blueprint("tasks", __name__, template_folder="templates")

from app.tasks import (  # noqa: E402,F401  (routes and the generic decision form)
    decision,
    inbox_views,  # noqa: E402,F401  (saved filters, bulk approve)
    views,
)
from app.tasks.actions import timeline  # noqa: E402,F401  (how the actions read in the timeline)
from app.tasks.actions import views as action_views  # noqa: E402,F401  (转办, 委派, 退回, 撤回, 加签, 抄送 …)
