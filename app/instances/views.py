from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user, login_required

from app.access import require_instance_visible
from app.extensions import db
from app.instances import bp
from app.instances.services import instance_page_context
from app.models import ProcessInstance
from app.processes.diagrams import instance_svg
from app.tasks.actions.page import instance_actions
from app.tasks.actions.participation import mark_copy_read
from app.tasks.services import started_by
from app.transactions import writes


@bp.route("/instances/<int:instance_id>")
@login_required
@writes  # marks the case read for a cc'd viewer
def show(instance_id: int):
    instance = require_instance_visible(current_user, db.session.get(ProcessInstance, instance_id))
    user = current_user._get_current_object()
    mark_copy_read(user, instance)
    db.session.commit()
    return render_template("instances/instance.html", diagram=instance_svg(instance),
                           instance_actions=instance_actions(instance, user),
                           **instance_page_context(instance, user))


@bp.route("/instances/mine")
@login_required
def mine():
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    return render_template("instances/mine.html",
                           page=started_by(current_user, page=page, per_page=current_app.config["PAGE_SIZE"]))
