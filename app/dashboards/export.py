"""Any dashboard table as an Excel workbook: the same rows and columns as the page shows."""

from __future__ import annotations

import io
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from app.dashboards.services import Dashboard, SchoolRow, TownshipRow
from app.tabular import set_column_widths


def _grades(grades: dict[str, int]) -> str:
    return _("、").join(f"{grade}×{n}" if n > 1 else grade for grade, n in sorted(grades.items()))


def _rate(row: SchoolRow | TownshipRow) -> float | None:
    rate = row.attendance_rate
    return float(rate) if rate is not None else None


def figure_header(board: Dashboard) -> list[str]:
    required = str(board.required) if board.required else _("不限")
    return [_("已批准计划"), _("已开展活动"), _("要求次数（%(n)s）", n=required), _("出勤率 %"), _("考勤人次"),
            _("已登记学分"), _("登记教师数"), _("检查等级"), _("整改中"), _("已逾期"), _("已销号")]


def figure_cells(board: Dashboard, row: SchoolRow | TownshipRow) -> list[Any]:
    return [row.plans_approved, row.activities_held, board.required, _rate(row), row.attendance_total,
            float(row.credits), row.credit_teachers, _grades(row.grades), row.orders_open, row.orders_overdue,
            row.orders_closed]


def table_rows(board: Dashboard, table: str) -> tuple[list[str], list[list[Any]]]:
    """(header, rows) of one dashboard table."""
    if table == "schools":
        header = [_("学校"), _("所属乡镇"), *figure_header(board)]
        rows = [[r.school.name, r.township.name if r.township else _("直属"), *figure_cells(board, r)]
                for r in board.schools]
    elif table == "townships":
        header = [_("乡镇"), _("学校数"), *figure_header(board)]
        rows = [[t.township.name if t.township else _("直属学校"), t.schools, *figure_cells(board, t)]
                for t in board.totals]
    else:
        header = [_("流程"), _("步骤"), _("已办理数"), _("平均用时（小时）"), _("最长用时（小时）")]
        rows = [[s.process, s.step, s.count, s.avg_hours, s.max_hours] for s in board.steps]
    return header, rows


def dashboard_workbook(board: Dashboard, table: str) -> bytes:
    header, rows = table_rows(board, table)
    book = Workbook()
    sheet = book.active
    sheet.title = {"schools": _("各校"), "townships": _("各乡镇"), "steps": _("审批用时")}[table]
    scope = board.township.name if board.township else _("全区域")
    sheet.append([_("%(term)s 校本研修统计（%(scope)s）", term=board.term.name, scope=scope)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    set_column_widths(sheet, [24, 14] + [12] * (len(header) - 2))
    sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
