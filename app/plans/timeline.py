"""How plan, activity and credit events read in an instance's timeline."""

from __future__ import annotations

from flask_babel import gettext as _

from app.instances.services import register_describer


def _yes_no(value: object) -> str:
    return _("是") if value else _("否")


def _levels(d: dict) -> str:
    names = {"organizer": _("师训站长审核"), "township": _("乡镇审核"), "city": _("市级审核")}
    chosen = [names[k] for k in ("organizer", "township", "city") if d.get(k)]
    return "、".join(chosen) if chosen else _("无")


DESCRIBERS = {
    "plan.create": lambda d: None,          # told by instance.start
    "plan.save_draft": lambda d: _("保存计划草稿"),
    "plan.check": lambda d: _("按区域政策检查：%(blocking)s 项阻断、%(warnings)s 项提示", blocking=d.get("blocking", 0),
                              warnings=d.get("warnings", 0)),
    "plan.route": lambda d: _("按区域政策确定审批层级：%(levels)s", levels=_levels(d)),
    "plan.freeze": lambda d: _("计划定稿为第 %(v)s 版", v=d.get("version", "?")),
    "plan.change_request": lambda d: _("申请计划变更"),
    "activity.record": lambda d: _("记录活动「%(topic)s」（%(day)s）", topic=d.get("topic", ""), day=d.get("held_on", "")),
    "activity.update": lambda d: _("修改活动记录"),
    "activity.attendance": lambda d: _("登记考勤 %(n)s 人（%(how)s）", n=d.get("count", 0),
                                       how=_("导入") if d.get("method") == "import" else _("手工")),
    "credit.batch_start": lambda d: None,
    "credit.generate": lambda d: _("按考勤生成学分记录 %(n)s 条", n=d.get("records", 0)),
    "credit.submit": lambda d: _("提交学分记录 %(n)s 条", n=d.get("records", 0)),
    "credit.review": lambda d: _("审核通过 %(passed)s 条，不予通过 %(rejected)s 条", passed=d.get("passed", 0),
                                 rejected=len(d.get("rejected", []))),
    "credit.return": lambda d: _("整批退回学校管理员"),
    "credit.route": lambda d: _("按区域政策确定审核层级：乡镇审核 %(township)s，市级登记 %(city)s",
                                township=_yes_no(d.get("township")), city=_yes_no(d.get("city"))),
    "credit.register": lambda d: _("登记学分 %(n)s 条", n=d.get("registered", 0)),
    "credit.declare": lambda d: _("教师申报学分项目"),
    "credit.withdraw": lambda d: _("教师撤回申报的学分项目"),
}

for action, describe in DESCRIBERS.items():
    register_describer(action, describe)
