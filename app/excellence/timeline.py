"""How 评优 audit events read in the round instance's 流转记录."""

from __future__ import annotations

from flask_babel import gettext as _

from app.instances.services import DESCRIBERS
from app.models import AuditEvent


def describe(event: AuditEvent) -> str | None:
    d = event.detail or {}
    if event.action == "exc.nominate":
        return _("申报/推荐：%(name)s", name=d.get("nominee", ""))
    if event.action == "exc.check":
        text = _("形式审查：%(result)s", result=d.get("result", ""))
        return text + ("（" + "；".join(d["failed"]) + "）" if d.get("failed") else "")
    if event.action == "exc.handle_objection":
        text = _("处理异议：%(decision)s", decision=d.get("decision", ""))
        return text + (_("，%(name)s 递补入选", name=d["promoted"]) if d.get("promoted") else "")
    texts = {
        "exc.update_round": _("修改评优方案"),
        "exc.resubmit": _("补正后重新提交申报"),
        "exc.save_scores": _("保存评分草稿"),
        "exc.submit_scores": _("提交评分（已锁定）"),
        "exc.objection": _("收到公示异议"),
        "exc.remind": _("提醒专家按期完成评分"),
        "exc.confirm": _("专家组确认名单"),
    }
    return texts.get(event.action, event.action)


DESCRIBERS["exc"] = describe
