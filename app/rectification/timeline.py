"""How 整改 audit events read in an instance's 流转记录."""

from __future__ import annotations

from flask_babel import gettext as _

from app.instances.services import DESCRIBERS
from app.models import AuditEvent, NoticeKind


def describe(event: AuditEvent) -> str | None:
    d = event.detail or {}
    match event.action:
        case "rect.create":
            return None  # told by instance.start
        case "rect.save_draft":
            return _("保存整改通知书草稿")
        case "rect.issue":
            return _("下发整改通知书，编号 %(no)s", no=d.get("doc_number", ""))
        case "rect.acknowledge":
            return _("签收整改通知书")
        case "rect.assign":
            return _("分解整改任务到责任人")
        case "rect.deadline":
            return _("第 %(round)s 轮整改期限：%(due)s", round=d.get("round", ""), due=(d.get("deadline") or "")[:10])
        case "rect.notice":
            kind = d.get("kind")
            label = _(NoticeKind(kind).label) if kind in {k.value for k in NoticeKind} else kind
            return _("发出%(kind)s（第 %(round)s 轮）", kind=label, round=d.get("round", ""))
        case "rect.overdue":
            return _("第 %(round)s 轮整改逾期", round=d.get("round", ""))
        case "rect.respond":
            return _("填报第 %(n)s 项整改情况", n=d.get("item", ""))
        case "rect.save_report":
            return _("保存整改报告草稿")
        case "rect.report":
            return _("提交第 %(round)s 轮整改报告", round=d.get("round", ""))
        case "rect.verify":
            return _("完成第 %(round)s 轮复查", round=d.get("round", ""))
        case "rect.next_round":
            return _("开启第 %(round)s 轮整改", round=d.get("round", ""))
        case "rect.extension_request":
            return _("申请第 %(n)s 项延期至 %(d)s", n=d.get("item", ""), d=d.get("requested", ""))
        case "rect.extension_decide":
            return _("批准第 %(n)s 项延期", n=d.get("item", "")) if d.get("approved") else \
                _("不批准第 %(n)s 项延期", n=d.get("item", ""))
        case "rect.close":
            return _("整改通知书销号")
        case "rect.unresolved":
            return _("整改轮次已满，报督导处理")
    return event.action


DESCRIBERS["rect"] = describe
