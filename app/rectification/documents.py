"""The printable 整改通知书 (PDF) and the 整改台账 (Excel).

The PDF uses ReportLab's built-in CID font STSong-Light, which every PDF reader can render for
Chinese without any font file shipped or installed. The Excel file is written with openpyxl.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from app.i18n import N_
from app.models import RectificationItem, RectificationOrder
from app.models.base import utcnow
from app.tabular import set_column_widths
from app.workdays.calendar import LOCAL_ZONE
from app.workdays.moments import local_today

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _date(moment: datetime | None) -> str:
    if moment is None:
        return ""
    day = moment.astimezone(LOCAL_ZONE).date()
    return _("%(y)s年%(m)s月%(d)s日", y=day.year, m=day.month, d=day.day)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def notice_pdf(order: RectificationOrder) -> bytes:
    """The 整改通知书 as an A4 PDF: number, addressee, items with deadlines, signature block, cc list."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=25 * mm, rightMargin=25 * mm, topMargin=25 * mm,
                            bottomMargin=20 * mm, title=order.title, author=order.issuing_org.name)
    body = ParagraphStyle("body", fontName=FONT, fontSize=12, leading=20, firstLineIndent=24)
    plain = ParagraphStyle("plain", fontName=FONT, fontSize=12, leading=20)
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=10.5, leading=15)
    title = ParagraphStyle("title", fontName=FONT, fontSize=20, leading=30, alignment=TA_CENTER, spaceAfter=4)
    number = ParagraphStyle("number", fontName=FONT, fontSize=12, leading=18, alignment=TA_CENTER, spaceAfter=12)
    right = ParagraphStyle("right", fontName=FONT, fontSize=12, leading=20, alignment=TA_RIGHT)
    story = [_p(_("整改通知书"), title), _p(order.doc_number or _("（未编号草稿）"), number),
             _p(_("%(school)s：", school=order.school.name), plain)]
    if order.basis:
        story.append(_p(order.basis, body))
    story.append(_p(_("现将检查中发现的问题及整改要求通知如下，请认真组织整改，逐项落实，并按期报送整改报告。"), body))
    story.append(Spacer(1, 4 * mm))
    rows = [[_p(_("序号"), cell), _p(_("存在问题"), cell), _p(_("整改要求"), cell), _p(_("整改期限"), cell)]]
    for item in order.items:
        rows.append([_p(str(item.seq), cell), _p(item.problem + (f"（{item.area}）" if item.area else ""), cell),
                     _p(item.requirement, cell), _p(item.deadline.isoformat(), cell)])
    table = Table(rows, colWidths=[12 * mm, 62 * mm, 62 * mm, 24 * mm], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [table, Spacer(1, 4 * mm)]
    if order.ack_due:
        story.append(_p(_("请于 %(date)s 前签收本通知书。", date=_date(order.ack_due)), body))
    if order.deadline:
        story.append(_p(_("请于 %(date)s 前完成整改并报送整改报告；逾期未报的，将报乡镇（街道）和教育督导部门督办。",
                          date=_date(order.deadline)), body))
    story += [Spacer(1, 14 * mm), _p(order.issuing_org.name, right),
              _p(_("签发人：%(name)s", name=order.signed_by.display_name) if order.signed_by else _("签发人："), right),
              _p(_date(order.issued_at) if order.issued_at else _("（未签发）"), right), Spacer(1, 10 * mm)]
    if order.cc:
        story.append(_p(_("抄送：%(list)s。", list=_("，").join(order.cc)), plain))
    doc.build(story)
    return buffer.getvalue()


LEDGER_HEADERS = (N_("学校"), N_("通知书编号"), N_("序号"), N_("存在问题"), N_("整改要求"), N_("责任人"),
                  N_("整改措施"), N_("整改期限"), N_("完成日期"), N_("轮次"), N_("状态"), N_("是否逾期"))


def ledger_xlsx(items: Sequence[RectificationItem], overdue: set[int]) -> bytes:
    """整改台账: school × item × responsible person × measures × deadline × status, one row per item."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("整改台账")
    ws.append([_("整改台账（导出日期 %(d)s）", d=local_today(utcnow()).isoformat())])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([_(h) for h in LEDGER_HEADERS])
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for item in items:
        order = item.order
        ws.append([order.school.name, order.doc_number or "", item.seq, item.problem, item.requirement,
                   item.responsible.display_name if item.responsible else "", item.measures, item.deadline,
                   item.completed_on, item.round, _(item.status.label), _("是") if item.id in overdue else _("否")])
    set_column_widths(ws, (18, 22, 6, 40, 40, 10, 40, 12, 12, 6, 12, 8))
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        row[7].number_format = row[8].number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A3"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
