"""The 学分登记表 as an Excel workbook (openpyxl): registered credits of one school and year, one
line per record, plus a per-teacher summary against the annual minimum."""

from __future__ import annotations

import io
from collections import defaultdict
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from app.models import CreditRecord, OrgUnit, Teacher
from app.policy.schema import Policy
from app.tabular import set_column_widths

SOURCES = {"activity": "校本活动", "declared": "个人申报"}


def registration_workbook(school: OrgUnit, year: int, records: list[CreditRecord], teachers: list[Teacher],
                          policy: Policy) -> bytes:
    """Build the workbook and return its bytes."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("学分登记表")
    title = _("%(school)s %(year)s学年 教师学分登记表（已登记）", school=school.name, year=year)
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=10)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    header = [_("序号"), _("工号"), _("姓名"), _("学科"), _("类别"), _("项目"), _("来源"), _("学时"), _("学分"),
              _("登记日期")]
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for number, r in enumerate(records, 1):
        sheet.append([number, r.teacher.employee_no or "", r.teacher.name, r.teacher.subject or "", r.category,
                      r.title, _(SOURCES.get(r.source, r.source)), float(r.hours) if r.hours is not None else None,
                      float(r.credits), r.registered_at.date() if r.registered_at else None])
        sheet.cell(row=sheet.max_row, column=10).number_format = "yyyy-mm-dd"
    set_column_widths(sheet, [6, 12, 10, 10, 14, 36, 10, 8, 8, 12])
    sheet.freeze_panes = "A3"

    summary = book.create_sheet(_("汇总"))
    minimum = policy.annual_min
    summary.append([_("工号"), _("姓名"), _("学科"), _("本学年已登记学分"), _("年度要求"), _("是否达标")])
    for cell in summary[1]:
        cell.font = Font(bold=True)
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for r in records:
        totals[r.teacher_id] += r.credits
    for t in teachers:
        total = totals.get(t.id, Decimal("0"))
        met = "—" if minimum is None else (_("达标") if total >= minimum else _("未达标"))
        summary.append([t.employee_no or "", t.name, t.subject or "", float(total),
                        float(minimum) if minimum is not None else _("不限"), met])
    set_column_widths(summary, [12, 10, 10, 18, 10, 10])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
