"""The school's 台帐 for a term as an Excel workbook (openpyxl).

余教〔2020〕14号 (seed 000) asks every school to keep a 台帐档案 of eight kinds of material: 各级领导职责,
各项规章制度, 研修计划和实施方案, 研修教材, 研修记录, 考核成绩, 科研成果, 研修总结. The workbook has a
contents sheet and one sheet per section, filled from the records this system keeps, and lists under each
section the files the school uploaded for it in a 台帐 self-check of that term.
"""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased, joinedload

from app.extensions import db
from app.i18n import N_
from app.inspections.seeds import LEDGER_SECTIONS
from app.models import (
    ActivityRecord,
    Attachment,
    Attendance,
    CreditBatch,
    CreditRecord,
    Inspection,
    InspectionCampaign,
    InspectionStatus,
    OrgUnit,
    PlanStatus,
    ProjectApplication,
    ProjectStatus,
    ResearchPlan,
    Role,
    RoleAssignment,
    ScoreItem,
    SelfCheckEntry,
    Term,
    User,
)
from app.models.user import ROLE_LABELS
from app.policy.schema import SETTINGS
from app.policy.services import policy_for_term
from app.tabular import set_column_widths

#: What each role answers for in 校本研修 (余教〔2020〕14号 组织管理).
DUTIES = {
    Role.PRINCIPAL: N_("第一责任人：审定研修规划、申报书和学期计划，保障经费"),
    Role.SCHOOL_ADMIN: N_("组织实施：编制计划、记录活动与考勤、汇总学分、整理台帐"),
    Role.TOWNSHIP_REVIEWER: N_("乡镇业务指导：审核学校申报与计划，督促落实"),
    Role.CITY_REVIEWER: N_("市级业务指导：审核、登记学分，组织检查"),
    Role.CENTER_HEAD: N_("审批检查报告和整改通知书"),
    Role.INSPECTOR: N_("开展学期检查与教学视导"),
}


def _sheet(book: Workbook, title: str, header: list[str], rows: list[list[Any]], widths: list[int]) -> None:
    sheet = book.create_sheet(title[:31])
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    if not rows:
        sheet.append([_("（本学期暂无记录）")])
    set_column_widths(sheet, widths)
    sheet.freeze_panes = "A3"


def _materials(school: OrgUnit, term: Term) -> dict[str, list[list[Any]]]:
    """Files uploaded in the term's self-checks, by 台帐 section (the score item's section title)."""
    parent = aliased(ScoreItem)
    rows = db.session.execute(
        select(func.coalesce(parent.title, ScoreItem.title), ScoreItem.title, Attachment.filename,
               Attachment.uploaded_at)
        .select_from(Attachment)
        .join(SelfCheckEntry, (SelfCheckEntry.id == Attachment.owner_id) & (Attachment.owner_type == "inspection_selfcheck"))
        .join(Inspection, Inspection.id == SelfCheckEntry.inspection_id)
        .join(InspectionCampaign, InspectionCampaign.id == Inspection.campaign_id)
        .join(ScoreItem, ScoreItem.id == SelfCheckEntry.item_id)
        .outerjoin(parent, parent.id == ScoreItem.parent_id)
        .where(Inspection.school_id == school.id, InspectionCampaign.term_id == term.id,
               Attachment.deleted.is_(False))
        .order_by(Attachment.uploaded_at, Attachment.id)).all()
    found: dict[str, list[list[Any]]] = defaultdict(list)
    for section, item, filename, uploaded in rows:
        key = next((s for s in LEDGER_SECTIONS if s in section or s in item), None)
        if key is not None:
            found[key].append([_("自查材料"), item, filename, uploaded.date()])
    return found


def _leaders(school: OrgUnit) -> list[list[Any]]:
    chain = [school.id] + school.ancestor_ids()[1:]
    orgs = {o.id: o for o in db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(chain)))}
    rows = db.session.execute(select(RoleAssignment.org_id, RoleAssignment.role, User.display_name)
                              .join(User, User.id == RoleAssignment.user_id)
                              .where(RoleAssignment.org_id.in_(chain), RoleAssignment.role.in_(list(DUTIES)),
                                     User.active.is_(True))).all()
    rows.sort(key=lambda r: (chain.index(r[0]), list(DUTIES).index(r[1]), r[2]))
    return [[orgs[org_id].name, _(ROLE_LABELS[role]), name, _(DUTIES[role])] for org_id, role, name in rows]


def _rules(term: Term) -> list[list[Any]]:
    in_force = policy_for_term(term)
    version = in_force.version
    rows: list[list[Any]] = [[_("政策版本"), _("第 %(v)s 版，%(d)s 起施行", v=version.version, d=version.effective_from)
                              if version else _("默认设置"), ""]]
    for key, (group, label) in SETTINGS.items():
        value = in_force.policy.values.get(key)
        if value in (None, "", [], {}):
            continue
        source = (in_force.provenance or {}).get(key) or {}
        cited = " ".join(str(source.get(k) or "") for k in ("citation", "where")).strip() \
            if source.get("kind") == "seed" else str(source.get("text") or "")
        rows.append([f"{_(group)} · {_(label)}", value if isinstance(value, int | float | str) else str(value), cited])
    return rows


def _plan_rows(school: OrgUnit, term: Term) -> list[list[Any]]:
    plans = list(db.session.scalars(select(ResearchPlan).where(
        ResearchPlan.school_id == school.id, ResearchPlan.term_id == term.id,
        ResearchPlan.status.in_((PlanStatus.APPROVED, PlanStatus.SUPERSEDED)))
        .options(joinedload(ResearchPlan.activities), joinedload(ResearchPlan.budget_lines))
        .order_by(ResearchPlan.version_no)).unique())
    rows: list[list[Any]] = []
    for plan in plans:
        version = _("第 %(v)s 版", v=plan.version_no) if plan.version_no else ""
        status = _(plan.status.label)
        rows.append([version, status, _("研修目标"), plan.goals, "", "", ""])
        for n, a in enumerate(plan.activities, 1):
            rows.append([version, status, _("活动 %(n)s", n=n), a.topic, a.planned_date, a.presenter,
                         float(a.hours) if a.hours is not None else None])
        for b in plan.budget_lines:
            rows.append([version, status, _("预算"), f"{b.category} {b.note}".strip(), "", "", float(b.amount)])
    return rows


def _activities(school: OrgUnit, term: Term) -> list[ActivityRecord]:
    return list(db.session.scalars(select(ActivityRecord).where(
        ActivityRecord.school_id == school.id, ActivityRecord.term_id == term.id)
        .order_by(ActivityRecord.held_on, ActivityRecord.id)))


def _projects(school: OrgUnit, term: Term) -> list[ProjectApplication]:
    start = select(Term.start_date).where(Term.id == ProjectApplication.start_term_id).scalar_subquery()
    end = select(Term.start_date).where(Term.id == ProjectApplication.end_term_id).scalar_subquery()
    return list(db.session.scalars(select(ProjectApplication).where(
        ProjectApplication.school_id == school.id, ProjectApplication.status == ProjectStatus.APPROVED,
        start <= term.start_date, or_(ProjectApplication.end_term_id.is_(None), end >= term.start_date))
        .order_by(ProjectApplication.code)))


def ledger_workbook(school: OrgUnit, term: Term) -> bytes:
    """Build the eight-section 台帐 of ``school`` for ``term`` and return the .xlsx bytes."""
    materials = _materials(school, term)
    activities = _activities(school, term)
    ids = [a.id for a in activities]
    counts = dict(db.session.execute(select(Attendance.activity_id, func.count(Attendance.id))
                                     .where(Attendance.activity_id.in_(ids)).group_by(Attendance.activity_id)).all())
    files = defaultdict(list)
    for owner_id, filename, uploaded in db.session.execute(
            select(Attachment.owner_id, Attachment.filename, Attachment.uploaded_at).where(
                Attachment.owner_type == "activity", Attachment.owner_id.in_(ids), Attachment.deleted.is_(False))
            .order_by(Attachment.id)):
        files[owner_id].append((filename, uploaded))
    by_id = {a.id: a for a in activities}
    credits = list(db.session.scalars(select(CreditRecord).join(CreditBatch).where(
        CreditBatch.school_id == school.id, CreditBatch.term_id == term.id)
        .options(joinedload(CreditRecord.teacher)).order_by(CreditRecord.teacher_id, CreditRecord.id)))
    reports = list(db.session.scalars(select(Inspection).join(InspectionCampaign).where(
        Inspection.school_id == school.id, InspectionCampaign.term_id == term.id,
        Inspection.status == InspectionStatus.PUBLISHED).order_by(Inspection.id)))

    sections: list[tuple[str, list[str], list[list[Any]], list[int]]] = [
        (LEDGER_SECTIONS[0], [_("单位"), _("角色"), _("姓名"), _("职责")], _leaders(school), [24, 14, 12, 60]),
        (LEDGER_SECTIONS[1], [_("规定"), _("内容"), _("依据")], _rules(term), [40, 30, 50]),
        (LEDGER_SECTIONS[2], [_("版本"), _("状态"), _("项目"), _("内容"), _("日期"), _("主讲"), _("学时/金额")],
         _plan_rows(school, term), [10, 10, 10, 50, 12, 12, 12]),
        (LEDGER_SECTIONS[3], [_("活动日期"), _("活动主题"), _("资料"), _("上传日期")],
         [[by_id[o].held_on, by_id[o].topic, f, u.date()] for o, fl in files.items() for f, u in fl], [12, 40, 40, 12]),
        (LEDGER_SECTIONS[4], [_("日期"), _("形式"), _("主题"), _("主讲"), _("地点"), _("学时"), _("考勤人次")],
         [[a.held_on, a.form, a.topic, a.presenter, a.location, float(a.hours), counts.get(a.id, 0)]
          for a in activities], [12, 10, 40, 12, 16, 8, 10]),
        (LEDGER_SECTIONS[5], [_("工号"), _("姓名"), _("类别"), _("项目"), _("学分"), _("状态")],
         [[c.teacher.employee_no or "", c.teacher.name, c.category, c.title, float(c.credits), _(c.status.label)]
          for c in credits], [12, 10, 14, 40, 8, 12]),
        (LEDGER_SECTIONS[6], [_("立项编号"), _("项目名称"), _("负责人"), _("预期成果")],
         [[p.code or "", p.title, p.leader, p.expected_outcomes] for p in _projects(school, term)], [16, 40, 12, 60]),
        (LEDGER_SECTIONS[7], [_("来源"), _("日期"), _("标题"), _("内容")],
         [[_("活动小结"), a.held_on, a.topic, a.summary] for a in activities if a.summary]
         + [[_("检查报告"), r.published_at.date() if r.published_at else "", r.grade or "",
             "\n".join(p for p in (r.report_strengths, r.report_problems, r.report_suggestions) if p)]
            for r in reports], [12, 12, 30, 70]),
    ]

    book = Workbook()
    cover = book.active
    cover.title = _("目录")
    cover.append([_("%(school)s %(term)s 校本研修台帐", school=school.name, term=term.name)])
    cover["A1"].font = Font(bold=True, size=14)
    cover["A1"].alignment = Alignment(horizontal="left")
    cover.append([_("依据：余教〔2020〕14号 台帐档案制度（八类资料）")])
    cover.append([_("序号"), _("类别"), _("记录条数"), _("自查材料份数")])
    for cell in cover[3]:
        cell.font = Font(bold=True)
    for n, (title, header, rows, widths) in enumerate(sections, 1):
        extra = materials.get(title, [])
        cover.append([n, title, len(rows), len(extra)])
        if extra:
            rows = rows + [[""] * len(header)] + [[_("自查上传的材料")]] + extra
        _sheet(book, f"{n}.{title}", header, rows, widths)
    set_column_widths(cover, [8, 24, 12, 14])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
