"""The audit log as administrators read it: filters, labels, paging and CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.i18n import N_
from app.models import AuditEvent, OrgUnit, ProcessInstance, User
from app.pagination import Page, paginate

#: Known actions and how the log names them; actions added later show their code until labelled.
ACTIONS = {
    "instance.start": N_("发起流程"), "task.complete": N_("办理任务"), "task.claim": N_("认领任务"),
    "task.unclaim": N_("取消认领"), "engine.step": N_("系统步骤"), "process.deploy": N_("部署流程版本"),
    "process.upload": N_("上传流程版本"), "instance.suspend": N_("挂起流程"), "instance.resume": N_("恢复流程"),
    "instance.terminate": N_("终止流程"), "instance.rewind": N_("回退流程"), "instance.migrate": N_("迁移流程版本"),
    "project.create": N_("新建申报"), "project.save_draft": N_("保存申报草稿"), "project.register": N_("立项"),
    "attachment.upload": N_("上传附件"), "attachment.delete": N_("删除附件"), "auth.login": N_("登录"),
    "auth.login_failed": N_("登录失败"), "auth.password_changed": N_("修改密码"),
    "directory.org_created": N_("创建区域根单位"), "directory.admin_created": N_("创建系统管理员"),
    "directory.orgs_imported": N_("导入单位"), "directory.users_imported": N_("导入用户"),
    "directory.term_created": N_("创建学期"), "directory.term_updated": N_("修改学期"),
}


def action_label(action: str) -> str:
    label = ACTIONS.get(action)
    return _(label) if label else action


@dataclass(frozen=True)
class AuditFilters:
    actor: str | None = None
    school_id: int | None = None
    process: str | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def audit_query(filters: AuditFilters, zone: ZoneInfo) -> Select:
    """Audit events matching ``filters``, newest first. Dates are whole days in ``zone``."""
    stmt = select(AuditEvent)
    if filters.actor:
        term = filters.actor.strip()
        stmt = stmt.join(User, AuditEvent.actor_id == User.id).where(or_(
            User.username == term, User.display_name.contains(term, autoescape=True)))
    if filters.school_id:
        stmt = stmt.where(AuditEvent.school_id == filters.school_id)
    if filters.process:
        instance_ids = select(ProcessInstance.id).where(ProcessInstance.process_key == filters.process)
        stmt = stmt.where(or_(AuditEvent.instance_id.in_(instance_ids), and_(
            AuditEvent.instance_id.is_(None), AuditEvent.action.in_(("process.deploy", "process.upload")),
            AuditEvent.detail["key"].as_string() == filters.process)))
    if filters.action:
        stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.date_from:
        stmt = stmt.where(AuditEvent.at >= _day_start(filters.date_from, zone))
    if filters.date_to:
        stmt = stmt.where(AuditEvent.at < _day_start(filters.date_to + timedelta(days=1), zone))
    return stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def audit_page(filters: AuditFilters, zone: ZoneInfo, page: int, per_page: int) -> Page:
    stmt = audit_query(filters, zone)
    count = select(func.count()).select_from(stmt.with_only_columns(AuditEvent.id).order_by(None).subquery())
    return paginate(stmt, count, page, per_page)


def school_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {o.id: o.name for o in db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)))}


def detail_text(event: AuditEvent) -> str:
    return "；".join(f"{k}={v}" for k, v in sorted((event.detail or {}).items()))


def export_csv(filters: AuditFilters, zone: ZoneInfo, batch: int = 1000) -> Iterator[str]:
    """The filtered log as CSV, streamed in batches; a BOM first so that Excel reads the Chinese right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("时间"), _("操作人"), _("操作"), _("操作代码"), _("学校"), _("流程实例"), _("详情"), _("IP")])
    yield "\ufeff" + buffer.getvalue()
    # Events written while the export runs would shift the pages; stop at the newest one seen now.
    newest = db.session.scalar(select(func.max(AuditEvent.id))) or 0
    offset = 0
    while True:
        events = list(db.session.scalars(audit_query(filters, zone).where(AuditEvent.id <= newest)
                                         .options(selectinload(AuditEvent.actor)).limit(batch).offset(offset)))
        if not events:
            return
        schools = school_names({e.school_id for e in events if e.school_id})
        buffer.seek(0)
        buffer.truncate()
        for e in events:
            writer.writerow([e.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                             e.actor.display_name if e.actor else _("系统"), action_label(e.action), e.action,
                             schools.get(e.school_id or 0, ""), e.instance_id or "", detail_text(e), e.ip or ""])
        yield buffer.getvalue()
        offset += batch
