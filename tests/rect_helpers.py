"""Driving a 整改 order through its steps over HTTP, as the users would."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import HumanTask, RectificationOrder, TaskStatus, User


def order(app, order_id: int) -> RectificationOrder:
    with app.app_context():
        o = db.session.get(RectificationOrder, order_id)
        _ = [(i.responsible, i.verifications) for i in o.items]
        db.session.expunge_all()
        return o


def task_of(app, order_id: int, bpmn_id: str | None = None) -> HumanTask | None:
    with app.app_context():
        o = db.session.get(RectificationOrder, order_id)
        stmt = select(HumanTask).where(HumanTask.instance_id == o.instance_id, HumanTask.status == TaskStatus.OPEN)
        if bpmn_id:
            stmt = stmt.where(HumanTask.bpmn_id == bpmn_id)
        t = db.session.scalars(stmt).first()
        db.session.expunge_all()
        return t


def user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalars(select(User.id).where(User.username == username)).one()


def draft_data(items: list[tuple[str, str, str]], **overrides) -> dict:
    data = {"title": "关于阳明小学校本研修专项检查问题的整改通知", "basis": "根据2025学年第二学期专项检查结果",
            "cc": "阳明街道教辅室\n余姚市教育局督导科", "ack_working_days": "3", "remind_working_days": "2",
            "max_rounds": "3", "action": "submit"}
    for index, (problem, requirement, deadline) in enumerate(items):
        data[f"items-{index}-problem"] = problem
        data[f"items-{index}-requirement"] = requirement
        data[f"items-{index}-deadline"] = deadline
        data[f"items-{index}-area"] = ""
    data.update(overrides)
    return data


ITEMS = [("研修活动记录不完整，缺少签到表", "补齐本学期全部活动的签到表与过程记录", "2026-03-20"),
         ("经费使用未公示", "按规定公示研修经费使用情况", "2026-03-20")]


def create(app, school_id: int, browser) -> int:
    r = browser.post("/rectification/new", data={"school_id": str(school_id)})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    with app.app_context():
        return db.session.scalars(select(RectificationOrder.id).order_by(RectificationOrder.id.desc())).first()


def issue(app, world, make_browser, items=ITEMS) -> int:
    """Draft (by `inspector`) and approve (by `director`) an order for 阳明小学; return its id."""
    inspector = make_browser("inspector")
    order_id = create(app, world.orgs["YY-S1"], inspector)
    r = inspector.post(f"/tasks/{task_of(app, order_id).id}", data=draft_data(items))
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    r = make_browser("director").post(f"/tasks/{task_of(app, order_id, 'Task_approve').id}",
                                      data={"decision": "approve", "action": "submit"})
    assert r.status_code == 302
    return order_id


def acknowledge_and_assign(app, order_id: int, principal, assignees: list[str]) -> None:
    r = principal.post(f"/tasks/{task_of(app, order_id, 'Task_ack').id}", data={"confirm": "y", "action": "submit"})
    assert r.status_code == 302, r.get_data(as_text=True)[:1000]
    o = order(app, order_id)
    data = {"action": "submit"}
    for item, username in zip(o.items, assignees, strict=True):
        data[f"item_{item.id}"] = str(user_id(app, username))
    r = principal.post(f"/tasks/{task_of(app, order_id, 'Task_assign').id}", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)[:1000]


def respond(browser, item_id: int, measures: str = "已补齐签到表并归档", on: str = "2026-03-02"):
    return browser.post(f"/rectification/items/{item_id}/respond",
                        data={f"r{item_id}-measures": measures, f"r{item_id}-completed_on": on})


def report(app, order_id: int, principal, text: str = "已按要求完成整改。"):
    return principal.post(f"/tasks/{task_of(app, order_id, 'Task_report').id}", data={"report": text, "action": "submit"})
