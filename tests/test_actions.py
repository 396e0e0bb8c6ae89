"""Each approval action's effect, and its refusals, through the pages a user clicks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.clock import FrozenClock, use_clock
from app.demo import create_user
from app.extensions import db
from app.models import (
    AuditEvent,
    HumanTask,
    Notification,
    Opinion,
    OrgUnit,
    ProjectApplication,
    ProjectStatus,
    Role,
    TaskStatus,
    User,
)
from tests.conftest import FAST_HASH
from tests.helpers import field_errors, open_task, start_application, valid_application


def _submitted(app, world, make_browser) -> int:
    drafter = make_browser("s1_admin")
    pid = start_application(app, drafter, world.orgs["YY-S1"])
    r = drafter.post(f"/tasks/{open_task(app, pid).id}", data=valid_application(app))
    assert r.status_code == 302
    return pid


def _approve(app, browser, pid: int) -> None:
    r = browser.post(f"/tasks/{open_task(app, pid).id}", data={"decision": "approve", "action": "submit"})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]


def _uid(app, username: str) -> int:
    with app.app_context():
        return db.session.scalars(select(User.id).where(User.username == username)).one()


def _opinions(app, pid: int) -> list[tuple[str, str | None, str | None]]:
    with app.app_context():
        project = db.session.get(ProjectApplication, pid)
        rows = db.session.scalars(select(Opinion).where(Opinion.instance_id == project.instance_id)
                                  .order_by(Opinion.id))
        return [(o.action, o.actor.username, o.target.username if o.target else None) for o in rows]


def _audit_actions(app, pid: int) -> list[str]:
    with app.app_context():
        project = db.session.get(ProjectApplication, pid)
        return list(db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.instance_id == project.instance_id).order_by(AuditEvent.id)))


def _notified(app, username: str, event: str) -> int:
    with app.app_context():
        return len(list(db.session.scalars(select(Notification).where(
            Notification.recipient_id == _uid(app, username), Notification.event == event))))


@pytest.fixture
def at_township(app, world, make_browser):
    """An application waiting at 乡镇审核 for township T1, which has a second reviewer."""
    with app.app_context():
        create_user("town1b", "孙阳明", [(Role.TOWNSHIP_REVIEWER, db.session.get(OrgUnit, world.orgs["YY-T1"]))],
                    password_method=FAST_HASH)
        db.session.commit()
    pid = _submitted(app, world, make_browser)
    _approve(app, make_browser("s1_principal"), pid)
    assert open_task(app, pid).bpmn_id == "Task_township"
    return pid


# -- 转办 ------------------------------------------------------------------------------------------
def test_transfer_hands_the_task_over_for_good(app, at_township, make_browser):
    pid = at_township
    task = open_task(app, pid)
    town1 = make_browser("town1")
    page = town1.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "永久交给对方办理" in page  # the button says what it does
    r = town1.post(f"/tasks/{task.id}/transfer", data={"transfer-user_id": str(_uid(app, "town1b")),
                                                        "transfer-comment": "出差，请孙老师办理"})
    assert r.status_code == 302
    assert open_task(app, pid).assignee_id == _uid(app, "town1b")
    assert ("transfer", "town1", "town1b") in _opinions(app, pid)
    assert "task.transfer" in _audit_actions(app, pid)
    assert _notified(app, "town1b", "transferred") == 1
    # The original reviewer has left the loop.
    assert town1.post(f"/tasks/{task.id}", data={"decision": "approve", "action": "submit"}).status_code == 403
    _approve(app, make_browser("town1b"), pid)
    assert open_task(app, pid).bpmn_id == "Task_city"


def test_transfer_to_someone_without_the_role_is_refused_beside_the_field(app, at_township, make_browser):
    pid = at_township
    task = open_task(app, pid)
    r = make_browser("town1").post(f"/tasks/{task.id}/transfer", data={
        "transfer-user_id": str(_uid(app, "s1_principal")), "transfer-comment": "请校长办理"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert any("乡镇审核员" in e for e in field_errors(html, "transfer-user_id")), html[:2000]
    assert "请校长办理" in html  # what was typed is kept
    assert open_task(app, pid).assignee_id is None
    assert "transfer" not in [o[0] for o in _opinions(app, pid)]


def test_transfer_by_someone_who_cannot_act_is_forbidden(app, at_township, make_browser):
    task = open_task(app, at_township)
    r = make_browser("city").post(f"/tasks/{task.id}/transfer", data={"transfer-user_id": str(_uid(app, "town1b"))})
    assert r.status_code == 403


# -- 委派 ------------------------------------------------------------------------------------------
def test_delegate_returns_the_task_to_its_owner_who_finishes_it(app, world, make_browser):
    pid = _submitted(app, world, make_browser)
    task = open_task(app, pid)
    principal, admin = make_browser("s1_principal"), make_browser("s1_admin")
    r = principal.post(f"/tasks/{task.id}/delegate", data={"delegate-user_id": str(_uid(app, "s1_teacher")),
                                                             "delegate-comment": "请先核对经费预算"})
    assert r.status_code == 302
    teacher = make_browser("s1_teacher")
    page = teacher.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "办理完毕，交还委派人" in page and 'name="decision"' not in page
    # The delegate cannot complete the task …
    assert teacher.post(f"/tasks/{task.id}", data={"decision": "approve", "action": "submit"}).status_code == 403
    # … and neither can the owner while it is lent out.
    assert principal.post(f"/tasks/{task.id}", data={"decision": "approve", "action": "submit"}).status_code == 403
    assert admin.get(f"/tasks/{task.id}").status_code == 200
    r = teacher.post(f"/tasks/{task.id}/resolve", data={"resolve-comment": ""})
    assert r.status_code == 422
    r = teacher.post(f"/tasks/{task.id}/resolve", data={"resolve-comment": "预算合理"})
    assert r.status_code == 302
    current = open_task(app, pid)
    assert current.id == task.id and current.assignee_id == _uid(app, "s1_principal") and current.owner_id is None
    assert _notified(app, "s1_principal", "resolved") == 1
    _approve(app, principal, pid)
    assert open_task(app, pid).bpmn_id == "Task_township"
    actions = [o[0] for o in _opinions(app, pid)]
    assert actions[-3:] == ["delegate", "resolve", "approve"]


def test_delegate_only_to_a_colleague_of_the_tasks_org(app, world, make_browser):
    pid = _submitted(app, world, make_browser)
    task = open_task(app, pid)
    r = make_browser("s1_principal").post(f"/tasks/{task.id}/delegate",
                                          data={"delegate-user_id": str(_uid(app, "s2_teacher"))})
    assert r.status_code == 422
    assert field_errors(r.get_data(as_text=True), "delegate-user_id")


# -- 退回 ------------------------------------------------------------------------------------------
def test_return_to_an_earlier_step_keeps_the_data_and_records_what_was_rolled_back(app, at_township, make_browser):
    pid = at_township
    _approve(app, make_browser("town1"), pid)
    city_task = open_task(app, pid)
    city = make_browser("city")
    page = city.get(f"/tasks/{city_task.id}").get_data(as_text=True)
    assert "填写申报书" in page and "乡镇审核" in page and "不会终止" in page
    with app.app_context():
        draft_row = db.session.scalars(select(HumanTask).where(
            HumanTask.instance_id == city_task.instance_id, HumanTask.bpmn_id == "Task_draft")).one()
    r = city.post(f"/tasks/{city_task.id}/return", data={"return_to-target_id": str(draft_row.id),
                                                          "return_to-comment": "经费预算需细化"})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    reopened = open_task(app, pid)
    assert reopened.bpmn_id == "Task_draft" and reopened.assignee_id == _uid(app, "s1_admin")
    with app.app_context():
        project = db.session.get(ProjectApplication, pid)
        assert project.title == "基于课堂观察的青年教师成长研究"  # business data kept
        assert project.status.value == "returned"
        opinion = db.session.scalars(select(Opinion).where(Opinion.action == "return_to")).one()
        assert opinion.detail["to_step"] == "填写申报书"
        assert [s["step"] for s in opinion.detail["rolled_back"]] == ["校长审核签字", "乡镇审核"]
        assert db.session.get(HumanTask, city_task.id).status == TaskStatus.COMPLETED
    assert "task.return_to" in _audit_actions(app, pid)
    # The drafter sees the reason and resubmits; the principal gets round 2.
    admin = make_browser("s1_admin")
    page = admin.get(f"/tasks/{reopened.id}").get_data(as_text=True)
    assert "经费预算需细化" in page and "不再有效" in page
    assert admin.post(f"/tasks/{reopened.id}", data=valid_application(app)).status_code == 302
    assert open_task(app, pid).bpmn_id == "Task_principal"
    assert project_round(app, pid) == 2


def project_round(app, pid: int) -> int:
    with app.app_context():
        return db.session.get(ProjectApplication, pid).round


def test_return_needs_a_reason_and_a_valid_step(app, at_township, make_browser):
    task = open_task(app, at_township)
    town1 = make_browser("town1")
    r = town1.post(f"/tasks/{task.id}/return", data={"return_to-target_id": "", "return_to-comment": ""})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert field_errors(html, "return_to-target_id") and field_errors(html, "return_to-comment")
    r = town1.post(f"/tasks/{task.id}/return", data={"return_to-target_id": str(task.id),
                                                      "return_to-comment": "原因"})
    assert r.status_code == 422
    assert open_task(app, at_township).id == task.id


# -- 撤回 ------------------------------------------------------------------------------------------
def test_withdraw_takes_back_a_submission_while_the_next_step_is_untouched(app, world, make_browser):
    pid = _submitted(app, world, make_browser)
    principal_task = open_task(app, pid)
    admin = make_browser("s1_admin")
    page = admin.get(f"/instances/{principal_task.instance_id}").get_data(as_text=True)
    assert "撤回「填写申报书」" in page
    r = admin.post(f"/instances/{principal_task.instance_id}/withdraw", data={"withdraw-comment": "还要补充材料"})
    assert r.status_code == 302
    reopened = open_task(app, pid)
    assert reopened.bpmn_id == "Task_draft" and reopened.assignee_id == _uid(app, "s1_admin")
    with app.app_context():
        assert db.session.get(HumanTask, principal_task.id).status == TaskStatus.CANCELLED
    assert _notified(app, "s1_principal", "withdrawn") == 1
    assert [o[0] for o in _opinions(app, pid)][-1] == "withdraw"
    assert "task.withdraw" in _audit_actions(app, pid)
    with app.app_context():  # taken back by the applicant: a draft again, not 已退回修改
        assert db.session.get(ProjectApplication, pid).status == ProjectStatus.DRAFT


@pytest.mark.parametrize("touch", ["claim", "comment", "approve"])
def test_withdraw_after_the_next_step_acted_is_refused(app, world, make_browser, touch):
    pid = _submitted(app, world, make_browser)
    task = open_task(app, pid)
    principal = make_browser("s1_principal")
    if touch == "claim":
        assert principal.post(f"/tasks/{task.id}/claim").status_code == 302
    elif touch == "comment":
        assert principal.post(f"/tasks/{task.id}/comment", data={"comment-text": "我看一下"}).status_code == 302
    else:
        _approve(app, principal, pid)
    admin = make_browser("s1_admin")
    page = admin.get(f"/instances/{task.instance_id}").get_data(as_text=True)
    assert "不能撤回" in page
    r = admin.post(f"/instances/{task.instance_id}/withdraw", data={})
    assert r.status_code in (403, 409)
    assert open_task(app, pid).bpmn_id == ("Task_township" if touch == "approve" else "Task_principal")
    assert "withdraw" not in [o[0] for o in _opinions(app, pid)]


# -- 抄送 ------------------------------------------------------------------------------------------
def test_cc_gives_read_only_access_and_a_notification(app, at_township, make_browser):
    pid = at_township
    task = open_task(app, pid)
    expert = make_browser("expert")
    assert expert.get(f"/instances/{task.instance_id}").status_code == 404  # not before the copy
    r = make_browser("town1").post(f"/instances/{task.instance_id}/cc", data={
        "cc-user_ids": [str(_uid(app, "expert"))], "cc-note": "请了解", "next_task": str(task.id)})
    assert r.status_code == 302
    assert _notified(app, "expert", "cc") == 1
    listing = expert.get("/tasks/cc").get_data(as_text=True)
    unread = '<span class="tag tag-return">未读</span>'
    assert "基于课堂观察的青年教师成长研究" in listing and unread in listing
    page = expert.get(f"/instances/{task.instance_id}")
    assert page.status_code == 200 and "此流程抄送给您：您可以查看，但不能办理。" in page.get_data(as_text=True)
    assert unread not in expert.get("/tasks/cc").get_data(as_text=True)
    task_page = expert.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'name="decision"' not in task_page and "/transfer" not in task_page
    # Read-only: every action is refused.
    assert expert.post(f"/tasks/{task.id}", data={"decision": "approve", "action": "submit"}).status_code == 403
    assert expert.post(f"/tasks/{task.id}/comment", data={"comment-text": "x"}).status_code == 403
    assert expert.post(f"/tasks/{task.id}/claim").status_code == 403
    assert expert.post(f"/tasks/{task.id}/transfer", data={"transfer-user_id": "1"}).status_code == 403
    assert expert.post(f"/instances/{task.instance_id}/urge", data={}).status_code == 403
    assert expert.post(f"/instances/{task.instance_id}/cc", data={"cc-user_ids": [str(_uid(app, "inspector"))]}
                       ).status_code == 403
    assert open_task(app, pid).status == TaskStatus.OPEN


def test_cc_refuses_people_outside_the_schools_chain(app, at_township, make_browser):
    task = open_task(app, at_township)
    r = make_browser("town1").post(f"/instances/{task.instance_id}/cc",
                                   data={"cc-user_ids": [str(_uid(app, "s3_principal"))]})
    assert r.status_code == 422
    assert field_errors(r.get_data(as_text=True), "cc-user_ids")


# -- 催办 ------------------------------------------------------------------------------------------
def test_urge_is_rate_limited_per_task_and_urger(app, world, make_browser):
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    with use_clock(FrozenClock(start)) as clock:
        pid = _submitted(app, world, make_browser)
        task = open_task(app, pid)
        admin = make_browser("s1_admin")
        assert admin.post(f"/instances/{task.instance_id}/urge", data={"urge-comment": "请尽快"}).status_code == 302
        assert _notified(app, "s1_principal", "urged") == 1
        clock.advance(timedelta(minutes=30))
        r = admin.post(f"/instances/{task.instance_id}/urge", data={})
        assert r.status_code == 409
        assert "每小时只能催办一次" in r.get_data(as_text=True) and "10:00" in r.get_data(as_text=True)
        assert _notified(app, "s1_principal", "urged") == 1
        clock.advance(timedelta(minutes=31))
        assert admin.post(f"/instances/{task.instance_id}/urge", data={}).status_code == 302
        assert _notified(app, "s1_principal", "urged") == 2
    # Someone unrelated to the instance may not urge.
    assert make_browser("town1").post(f"/instances/{task.instance_id}/urge", data={}).status_code == 403


# -- comments and attachments -------------------------------------------------------------------
def test_comment_and_attachment_on_a_task(app, world, make_browser):
    import io

    pid = _submitted(app, world, make_browser)
    task = open_task(app, pid)
    principal = make_browser("s1_principal")
    assert principal.post(f"/tasks/{task.id}/comment", data={"comment-text": ""}).status_code == 422
    assert principal.post(f"/tasks/{task.id}/comment", data={"comment-text": "预算表请再核对"}).status_code == 302
    assert _notified(app, "s1_admin", "commented") == 1
    r = principal.client.post(f"/tasks/{task.id}/attach", data={
        "csrf_token": principal.token, "attach-file": (io.BytesIO("审核要点\n".encode()), "要点.txt")},
        content_type="multipart/form-data")
    assert r.status_code == 302
    page = make_browser("s1_admin").get(f"/instances/{task.instance_id}").get_data(as_text=True)
    assert "预算表请再核对" in page and "要点.txt" in page
    assert [o[0] for o in _opinions(app, pid)][-2:] == ["comment", "attach"]
    assert open_task(app, pid).status == TaskStatus.OPEN  # nothing moved
