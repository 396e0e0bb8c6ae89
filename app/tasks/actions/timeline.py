"""How the actions read in an instance's timeline (流转记录)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from app.instances.services import register_describer
from app.models import SignKind


def _step(d: dict[str, Any]) -> str:
    return d.get("step_name") or ""


def _kind(d: dict[str, Any]) -> str:
    try:
        return _(SignKind(d.get("kind") or "").label)
    except ValueError:
        return ""


def _return_to(d: dict[str, Any]) -> str:
    rolled = [r.get("step", "") + (f"（{r['by']}）" if r.get("by") else "") for r in d.get("rolled_back") or []]
    text = _("在「%(step)s」退回至「%(to)s」", step=_step(d), to=d.get("to_step", ""))
    if rolled:
        text += _("；以下环节的办理结果不再有效（记录保留）：%(steps)s", steps=_("、").join(rolled))
    return text


DESCRIPTIONS = {
    "task.transfer": lambda d: _("将「%(step)s」转办给 %(name)s", step=_step(d), name=d.get("target") or ""),
    "task.delegate": lambda d: _("将「%(step)s」委派给 %(name)s", step=_step(d), name=d.get("target") or ""),
    "task.resolve": lambda d: _("处理完委派的「%(step)s」，交还 %(name)s", step=_step(d), name=d.get("target") or ""),
    "task.reclaim": lambda d: _("收回委派的「%(step)s」", step=_step(d)),
    "task.return_to": _return_to,
    "task.withdraw": lambda d: _("撤回「%(step)s」的办理；已取消：%(steps)s", step=_step(d),
                                 steps=_("、").join(d.get("cancelled") or [])),
    "task.add_sign": lambda d: _("在「%(step)s」%(kind)s：%(name)s", step=_step(d), kind=_kind(d),
                                 name=d.get("target") or ""),
    "task.remove_sign": lambda d: _("在「%(step)s」减签：%(name)s", step=_step(d), name=d.get("target") or ""),
    "task.cc": lambda d: _("抄送给 %(names)s", names=_("、").join(d.get("users") or [])),
    "task.urge": lambda d: _("催办「%(step)s」", step=_step(d)),
    "task.comment": lambda d: _("评论「%(step)s」", step=_step(d)),
    "task.attach": lambda d: None,  # the upload itself is already in the timeline
}

for _action, _fn in DESCRIPTIONS.items():
    register_describer(_action, _fn)
