"""How 学期检查 audit events read in an instance's 流转记录."""

from __future__ import annotations

from flask_babel import gettext as _

from app.instances.services import DESCRIBERS
from app.models import AuditEvent


def describe(event: AuditEvent) -> str | None:
    d = event.detail or {}
    texts = {
        "inspection.selfcheck_save": _("保存自查材料"),
        "inspection.selfcheck_remind": _("提醒学校按期完成自查"),
        "inspection.selfcheck_signed": _("校长已签字确认自查"),
        "inspection.selfcheck_missing": _("自查逾期未提交，记为未提交"),
        "inspection.score": _("提交评分"),
        "inspection.observe": _("记录听课"),
        "inspection.report_save": _("保存反馈报告草稿"),
        "inspection.report_submit": _("提交反馈报告"),
    }
    if event.action in texts:
        return texts[event.action]
    if event.action == "inspection.consolidate":
        return _("汇总评分：%(total)s 分，%(grade)s", total=d.get("total", ""), grade=d.get("grade", ""))
    if event.action == "inspection.publish":
        return _("发布检查结果") + (_("，已起草整改通知书") if d.get("rectification_order") else "")
    return event.action


DESCRIBERS["inspection"] = describe
