from __future__ import annotations

from functools import wraps

from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.admin import bp
from app.errors import Forbidden
from app.extensions import db
from app.models import InstanceStatus, ProcessDefinition, ProcessInstance, Role


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.has_role(Role.ADMIN):
            raise Forbidden(_("仅系统管理员可访问"))
        return view(*args, **kwargs)
    return wrapper


@bp.route("/processes")
@admin_required
def processes():
    definitions = list(db.session.scalars(select(ProcessDefinition)
                                          .order_by(ProcessDefinition.key, ProcessDefinition.version.desc())))
    counts = {(d_id, status): n for d_id, status, n in db.session.execute(
        select(ProcessInstance.definition_id, ProcessInstance.status, func.count())
        .group_by(ProcessInstance.definition_id, ProcessInstance.status))}
    return render_template("admin/processes.html", definitions=definitions, counts=counts,
                           running=InstanceStatus.RUNNING, completed=InstanceStatus.COMPLETED)
