"""项目申报 end to end over HTTP: draft → principal → township → city (立项), with returns and rejects."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, HumanTask, Opinion, ProcessInstance, ProjectStatus, TaskStatus
from tests.helpers import field_errors, open_task, project, start_application, valid_application


def _decide(browser, task_id, decision, comment=""):
    return browser.post(f"/tasks/{task_id}", data={"decision": decision, "comment": comment, "action": "submit"})


def test_full_path_with_one_return_reaches_立项(app, world, make_browser):
    drafter = make_browser("s1_admin")
    pid = start_application(app, drafter, world.orgs["YY-S1"])
    draft = open_task(app, pid)
    assert draft.bpmn_id == "Task_draft" and draft.assignee_id == world.users["s1_admin"]

    # The drafter saves an incomplete draft, then submits the full application.
    r = drafter.post(f"/tasks/{draft.id}", data={"title": "草稿标题", "action": "save"})
    assert r.status_code == 302
    assert project(app, pid).title == "草稿标题"
    assert open_task(app, pid).id == draft.id
    r = drafter.post(f"/tasks/{draft.id}", data=valid_application(app, submit_comment="请审核"))
    assert r.status_code == 302
    assert project(app, pid).status == ProjectStatus.PRINCIPAL_REVIEW

    principal = make_browser("s1_principal")
    assert "基于课堂观察的青年教师成长研究" in principal.get("/tasks").get_data(as_text=True)
    task = open_task(app, pid)
    assert _decide(principal, task.id, "approve").status_code == 302

    township = make_browser("town1")
    task = open_task(app, pid)
    assert task.bpmn_id == "Task_township" and task.org_id == world.orgs["YY-T1"]
    r = _decide(township, task.id, "return", "请补充经费测算依据")
    assert r.status_code == 302
    assert project(app, pid).status == ProjectStatus.RETURNED

    # Back to the drafter, who sees the opinion, edits and resubmits.
    redo = open_task(app, pid)
    assert redo.bpmn_id == "Task_draft" and redo.assignee_id == world.users["s1_admin"]
    page = drafter.get(f"/tasks/{redo.id}").get_data(as_text=True)
    assert "请补充经费测算依据" in page
    r = drafter.post(f"/tasks/{redo.id}", data=valid_application(app, budget="15000"))
    assert r.status_code == 302
    assert _decide(principal, open_task(app, pid).id, "approve").status_code == 302
    assert _decide(township, open_task(app, pid).id, "approve").status_code == 302

    city = make_browser("city")
    task = open_task(app, pid)
    assert task.bpmn_id == "Task_city"
    assert _decide(city, task.id, "approve", "同意立项").status_code == 302

    done = project(app, pid)
    assert done.status == ProjectStatus.APPROVED
    assert done.code is not None and done.code.startswith("XM") and str(done.budget) == "15000.00"
    assert done.round == 2
    with app.app_context():
        instance = db.session.get(ProcessInstance, done.instance_id)
        assert instance.status.value == "completed" and instance.outcome == "End_approved"
        actions = [o.action for o in db.session.scalars(
            select(Opinion).where(Opinion.instance_id == instance.id).order_by(Opinion.id))]
        assert actions == ["submit", "approve", "return", "submit", "approve", "approve", "approve"]
        rounds = [o.round for o in db.session.scalars(
            select(Opinion).where(Opinion.instance_id == instance.id).order_by(Opinion.id))]
        assert rounds == [1, 1, 1, 2, 2, 2, 2]
        assert db.session.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.instance_id == instance.id, HumanTask.status == TaskStatus.OPEN)) == 0
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "project.register")) == 1

    # Every round stays in the history shown on the instance page, in the order things happened.
    page = drafter.get(f"/instances/{done.instance_id}").get_data(as_text=True)
    assert "请补充经费测算依据" in page and "第 2 轮" in page and done.code in page
    timeline = page[page.index('id="timeline"'):]
    assert timeline.index("办理「市级审核」") < timeline.index("立项，项目编号") < timeline.index("流程结束")


def test_rejection_by_the_township_ends_the_application(app, world, make_browser):
    drafter = make_browser("s3_admin")
    pid = start_application(app, drafter, world.orgs["YY-S3"])
    drafter.post(f"/tasks/{open_task(app, pid).id}", data=valid_application(app))
    _decide(make_browser("s3_principal"), open_task(app, pid).id, "approve")
    r = _decide(make_browser("town2"), open_task(app, pid).id, "reject", "与学校发展规划无关")
    assert r.status_code == 302
    done = project(app, pid)
    assert done.status == ProjectStatus.REJECTED and done.code is None
    assert open_task(app, pid) is None


def test_direct_school_skips_the_township(app, world, make_browser):
    drafter = make_browser("s6_admin")
    pid = start_application(app, drafter, world.orgs["YY-S6"])
    drafter.post(f"/tasks/{open_task(app, pid).id}", data=valid_application(app))
    _decide(make_browser("s6_principal"), open_task(app, pid).id, "approve")
    task = open_task(app, pid)
    assert task.bpmn_id == "Task_city" and task.org_id == world.orgs["YY-C"]
    assert project(app, pid).status == ProjectStatus.CITY_REVIEW


def test_submit_with_missing_fields_shows_errors_beside_fields_and_keeps_input(app, world, make_browser):
    drafter = make_browser("s1_admin")
    pid = start_application(app, drafter, world.orgs["YY-S1"])
    task = open_task(app, pid)
    data = valid_application(app, goals="", planned_hours="abc", leader="", title="保留我输入的标题")
    r = drafter.post(f"/tasks/{task.id}", data=data)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert field_errors(html, "goals") == ["此项为必填项"]
    assert field_errors(html, "leader") == ["此项为必填项"]
    assert field_errors(html, "planned_hours")  # not a number
    assert 'value="保留我输入的标题"' in html
    assert open_task(app, pid).id == task.id and project(app, pid).title == ""


def test_cross_field_rules_are_checked_on_the_server(app, world, make_browser):
    drafter = make_browser("s1_admin")
    pid = start_application(app, drafter, world.orgs["YY-S1"])
    task = open_task(app, pid)
    r = drafter.post(f"/tasks/{task.id}", data=valid_application(app, modules=["学业指导"]))
    assert r.status_code == 422
    assert "不属于「教师发展」领域" in " ".join(field_errors(r.get_data(as_text=True), "modules"))
    data = valid_application(app)
    data["start_term_id"], data["end_term_id"] = data["end_term_id"], data["start_term_id"]
    r = drafter.post(f"/tasks/{task.id}", data=data)
    assert r.status_code == 422
    assert field_errors(r.get_data(as_text=True), "end_term_id") == ["结束学期不能早于开始学期"]
    r = drafter.post(f"/tasks/{task.id}", data=valid_application(app, budget="-1"))
    assert r.status_code == 422 and field_errors(r.get_data(as_text=True), "budget")
    assert project(app, pid).status == ProjectStatus.DRAFT


def test_return_requires_an_opinion(app, world, make_browser):
    drafter = make_browser("s1_admin")
    pid = start_application(app, drafter, world.orgs["YY-S1"])
    drafter.post(f"/tasks/{open_task(app, pid).id}", data=valid_application(app))
    principal = make_browser("s1_principal")
    task = open_task(app, pid)
    r = _decide(principal, task.id, "return", "   ")
    assert r.status_code == 422
    assert field_errors(r.get_data(as_text=True), "comment") == ["退回或不通过时必须填写审核意见"]
    r = _decide(principal, task.id, "reject", "x")  # not offered at the principal step
    assert r.status_code == 422 and field_errors(r.get_data(as_text=True), "decision")
    assert open_task(app, pid).id == task.id


def test_a_completed_task_answers_409_with_who_handled_it(app, world, make_browser):
    drafter = make_browser("s1_admin")
    pid = start_application(app, drafter, world.orgs["YY-S1"])
    task = open_task(app, pid)
    assert drafter.post(f"/tasks/{task.id}", data=valid_application(app)).status_code == 302
    r = drafter.post(f"/tasks/{task.id}", data=valid_application(app))
    assert r.status_code == 409
    assert "已由 阳明小学师训站长" in r.get_data(as_text=True)
    page = drafter.get(f"/tasks/{task.id}")
    assert page.status_code == 200 and "无需重复办理" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Opinion)) == 1


def test_unknown_ids_answer_404(app, world, make_browser):
    user = make_browser("city")
    assert user.get("/tasks/999999").status_code == 404
    assert user.get("/instances/999999").status_code == 404
    assert user.get("/projects/999999").status_code == 404
    assert user.get("/attachments/999999").status_code == 404
    assert user.post("/tasks/999999", data={"decision": "approve"}).status_code == 404
    assert user.post("/tasks/999999/claim").status_code == 404


def test_lists_show_status_and_filter(app, world, make_browser):
    a = make_browser("s1_admin")
    p1 = start_application(app, a, world.orgs["YY-S1"])
    a.post(f"/tasks/{open_task(app, p1).id}", data=valid_application(app, title="甲项目"))
    b = make_browser("s3_admin")
    p3 = start_application(app, b, world.orgs["YY-S3"])
    b.post(f"/tasks/{open_task(app, p3).id}", data=valid_application(app, title="乙项目", action="save"))
    city = make_browser("city")
    html = city.get("/projects").get_data(as_text=True)
    assert "甲项目" in html and "乙项目" in html
    html = city.get("/projects?status=principal_review").get_data(as_text=True)
    assert "甲项目" in html and "乙项目" not in html
    html = city.get(f"/projects?school={world.orgs['YY-S3']}").get_data(as_text=True)
    assert "乙项目" in html and "甲项目" not in html
    assert "甲项目" in a.get("/instances/mine").get_data(as_text=True)
    assert "提交" in a.get("/tasks/done").get_data(as_text=True) or "填写申报书" in a.get("/tasks/done").get_data(as_text=True)
