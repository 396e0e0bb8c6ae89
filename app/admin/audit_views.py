"""The audit log: filter, page through, export."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Response, current_app, render_template, request, stream_with_context
from flask_babel import gettext as _
from sqlalchemy import select

from app.admin import bp
from app.admin.audit_log import (
    ACTIONS,
    AuditFilters,
    action_label,
    audit_page,
    detail_text,
    export_csv,
    school_names,
)
from app.admin.forms import AuditFilterForm
from app.admin.views import admin_required
from app.extensions import db
from app.models import AuditEvent, OrgType, OrgUnit, ProcessDefinition
from app.models.base import utcnow


def _form() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    schools = db.session.scalars(select(OrgUnit).where(OrgUnit.type == OrgType.SCHOOL).order_by(OrgUnit.path))
    form.school.choices = [("", _("全部学校"))] + [(str(o.id), o.name) for o in schools]
    keys = db.session.execute(select(ProcessDefinition.key, ProcessDefinition.name).distinct()).all()
    form.process_key.choices = [("", _("全部流程"))] + sorted({(k, n) for k, n in keys})
    seen = set(db.session.scalars(select(AuditEvent.action).distinct()))
    form.action.choices = [("", _("全部操作"))] + sorted(((a, action_label(a)) for a in seen | set(ACTIONS)),
                                                       key=lambda pair: pair[0])
    return form


def _filters(form: AuditFilterForm) -> AuditFilters:
    school = form.school.data
    return AuditFilters(actor=form.actor.data or None, school_id=int(school) if school and school.isdigit() else None,
                        process=form.process_key.data or None, action=form.action.data or None,
                        date_from=form.date_from.data, date_to=form.date_to.data)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


@bp.route("/audit")
@admin_required
def audit():
    form = _form()
    if request.args and not form.validate():
        return render_template("admin/audit.html", form=form, page=None), 422
    page = audit_page(_filters(form), _zone(), max(request.args.get("page", 1, type=int) or 1, 1),
                      current_app.config["PAGE_SIZE"])
    schools = school_names({e.school_id for e in page.items if e.school_id})
    return render_template("admin/audit.html", form=form, page=page, schools=schools, action_label=action_label,
                           detail_text=detail_text)


@bp.route("/audit/export")
@admin_required
def audit_export():
    form = _form()
    if request.args and not form.validate():
        return render_template("admin/audit.html", form=form, page=None), 422
    filename = f"audit-{utcnow().astimezone(_zone()).strftime('%Y%m%d-%H%M')}.csv"
    return Response(stream_with_context(export_csv(_filters(form), _zone())), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
