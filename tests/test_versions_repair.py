"""Process versions (upload, diff, migration) and admin repair tools, through the admin pages."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, HumanTask, InstanceStatus, ProcessDefinition, ProcessInstance, TaskStatus
from tests.conftest import BPMN_DIR
from tests.helpers import field_errors, open_task, project, start_application, valid_application

APPROVE = {"decision": "approve", "action": "submit"}
SOURCE = (BPMN_DIR / "project_application.bpmn").read_text(encoding="utf-8")


def _upload(admin, text: str, filename: str = "project_application.bpmn"):
    return admin.post("/admin/processes/project_application/upload",
                      data={"file": (io.BytesIO(text.encode("utf-8")), filename)},
                      content_type="multipart/form-data")


def _instance(app, pid: int) -> ProcessInstance:
    with app.app_context():
        p = project(app, pid)
        instance = db.session.get(ProcessInstance, p.instance_id)
        db.session.expunge_all()
        return instance


def _submitted(app, make_browser, world, school="YY-S1", drafter="s1_admin") -> int:
    browser = make_browser(drafter)
    pid = start_application(app, browser, world.orgs[school])
    browser.post(f"/tasks/{open_task(app, pid).id}", data=valid_application(app))
    return pid


def _audit(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        db.session.expunge_all()
        return events


def test_admin_pages_are_admin_only(app, world, make_browser):
    pid = _submitted(app, make_browser, world)
    instance = _instance(app, pid)
    city = make_browser("city")
    for url in ("/admin/processes/project_application", "/admin/processes/project_application/v1",
                f"/admin/instances/{instance.id}", "/admin/audit", "/admin/audit/export"):
        assert city.get(url).status_code == 403, url
    response = city.post(f"/admin/instances/{instance.id}/terminate",
                         data={"terminate-reason": "x", "terminate-confirm": "y"})
    assert response.status_code == 403
    assert _instance(app, pid).status == InstanceStatus.RUNNING
    admin = make_browser("admin")
    assert admin.get("/admin/processes/nope").status_code == 404
    assert admin.get("/admin/processes/project_application/v9").status_code == 404
    assert admin.get("/admin/instances/999999").status_code == 404


def test_versions_list_counts_instances_and_the_instance_page_shows_the_live_diagram(app, world, make_browser):
    pid = _submitted(app, make_browser, world)
    admin = make_browser("admin")
    page = admin.get("/admin/processes/project_application").get_data(as_text=True)
    assert 'data-version="1"' in page and '<td class="count-running">1</td>' in page
    instance = _instance(app, pid)
    html = make_browser("s1_admin").get(f"/instances/{instance.id}").get_data(as_text=True)
    assert 'data-element-id="Task_principal"' in html
    style = html[html.index(f'id="diagram-{instance.id}"'):]
    assert f'#diagram-{instance.id} [data-element-id="Task_draft"] > .shape' in style      # completed
    assert f'#diagram-{instance.id} [data-element-id="Flow_to_principal"] > .line' in style  # path taken
    active_rules = [line for line in style.splitlines() if "stroke-width:3.5" in line]
    assert active_rules and "Task_principal" in active_rules[0] and "Task_draft" not in active_rules[0]


def test_upload_refuses_a_broken_file_beside_the_field_and_stores_nothing(app, world, make_browser):
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(ProcessDefinition))
    admin = make_browser("admin")
    response = _upload(admin, SOURCE.replace("</bpmn:process>", "</bpmn:proces>"))
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True), "file")
    assert errors and "project_application.bpmn:" in errors[0] and "XML" in errors[0]
    bad_lane = _upload(admin, SOURCE.replace('name="校长">', 'name="副县长">', 1))
    assert bad_lane.status_code == 422 and "副县长" in " ".join(field_errors(bad_lane.get_data(as_text=True), "file"))
    same = _upload(admin, SOURCE)
    assert same.status_code == 422 and "v1" in field_errors(same.get_data(as_text=True), "file")[0]
    other = _upload(admin, SOURCE, filename="notes.txt")
    assert other.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ProcessDefinition)) == before


def test_safe_change_migrates_a_running_instance_which_then_completes(app, world, make_browser):
    pid = _submitted(app, make_browser, world)           # at 校长审核签字; 填写申报书 done
    admin = make_browser("admin")
    renamed = SOURCE.replace('<bpmn:userTask id="Task_city" name="市级审核">',
                             '<bpmn:userTask id="Task_city" name="市级终审">')
    response = _upload(admin, renamed)
    assert response.status_code == 303, response.get_data(as_text=True)[:400]
    diff = admin.get("/admin/processes/project_application/v2").get_data(as_text=True)
    assert "Task_city" in diff and "名称" in diff and "可以迁移" in diff
    instance = _instance(app, pid)
    refused = admin.post("/admin/processes/project_application/v2/migrate", data={})
    assert refused.status_code == 303 and _instance(app, pid).definition_id == instance.definition_id
    done = admin.post("/admin/processes/project_application/v2/migrate", data={"confirm": "y"})
    assert done.status_code == 303
    migrated = _instance(app, pid)
    with app.app_context():
        assert db.session.get(ProcessDefinition, migrated.definition_id).version == 2
    events = _audit(app, "instance.migrate")
    assert [(e.detail["from_version"], e.detail["to_version"]) for e in events] == [(1, 2)]
    # The migrated case goes on under the new version and completes.
    make_browser("s1_principal").post(f"/tasks/{open_task(app, pid).id}", data=APPROVE)
    make_browser("town1").post(f"/tasks/{open_task(app, pid).id}", data=APPROVE)
    assert open_task(app, pid).name == "市级终审"
    make_browser("city").post(f"/tasks/{open_task(app, pid).id}", data=APPROVE)
    assert _instance(app, pid).status == InstanceStatus.COMPLETED and project(app, pid).code
    assert "流程版本由 v1 迁移到 v2" in admin.get(f"/instances/{migrated.id}").get_data(as_text=True)


def test_unsafe_change_is_refused_with_the_reason(app, world, make_browser):
    pid = _submitted(app, make_browser, world)
    admin = make_browser("admin")
    changed = SOURCE.replace('name="dueDays" value="10"', 'name="dueDays" value="7"')  # 填写申报书, completed
    assert _upload(admin, changed).status_code == 303
    instance = _instance(app, pid)
    page = admin.get(f"/admin/instances/{instance.id}").get_data(as_text=True)
    assert "不能迁移" in page and "填写申报书" in page and "扩展属性" in page
    response = admin.post(f"/admin/instances/{instance.id}/migrate", data={"migrate-confirm": "y"})
    assert response.status_code == 409 and "填写申报书" in response.get_data(as_text=True)
    assert _instance(app, pid).definition_id == instance.definition_id
    assert not _audit(app, "instance.migrate")


def test_suspend_blocks_completion_until_resumed(app, world, make_browser):
    pid = _submitted(app, make_browser, world)
    instance = _instance(app, pid)
    admin = make_browser("admin")
    missing = admin.post(f"/admin/instances/{instance.id}/suspend", data={"suspend-reason": "  "})
    assert missing.status_code == 422
    body = missing.get_data(as_text=True)
    assert field_errors(body, "suspend-reason") and field_errors(body, "suspend-confirm")
    ok = admin.post(f"/admin/instances/{instance.id}/suspend",
                    data={"suspend-reason": "材料待核实", "suspend-confirm": "y"})
    assert ok.status_code == 303 and _instance(app, pid).status == InstanceStatus.SUSPENDED
    principal = make_browser("s1_principal")
    task_id = open_task(app, pid).id
    assert principal.post(f"/tasks/{task_id}", data=APPROVE).status_code == 409
    assert open_task(app, pid).id == task_id
    assert admin.post(f"/admin/instances/{instance.id}/resume",
                      data={"resume-reason": "已核实", "resume-confirm": "y"}).status_code == 303
    assert principal.post(f"/tasks/{task_id}", data=APPROVE).status_code == 302
    assert [e.detail["reason"] for e in _audit(app, "instance.suspend")] == ["材料待核实"]
    page = admin.get(f"/instances/{instance.id}").get_data(as_text=True)
    assert "挂起流程，原因：材料待核实" in page and "恢复流程，原因：已核实" in page


def test_terminate_cancels_open_tasks(app, world, make_browser):
    pid = _submitted(app, make_browser, world)
    instance = _instance(app, pid)
    admin = make_browser("admin")
    assert admin.post(f"/admin/instances/{instance.id}/terminate",
                      data={"terminate-reason": "重复申报", "terminate-confirm": "y"}).status_code == 303
    ended = _instance(app, pid)
    assert ended.status == InstanceStatus.TERMINATED and ended.completed_at is not None
    assert open_task(app, pid) is None
    assert project(app, pid).status.value == "terminated"
    with app.app_context():
        statuses = set(db.session.scalars(select(HumanTask.status).where(HumanTask.instance_id == instance.id)))
    assert TaskStatus.CANCELLED in statuses
    again = admin.post(f"/admin/instances/{instance.id}/terminate",
                       data={"terminate-reason": "再次", "terminate-confirm": "y"})
    assert again.status_code == 409
    assert len(_audit(app, "instance.terminate")) == 1


def test_rewind_reopens_an_earlier_step_and_keeps_business_data(app, world, make_browser):
    pid = _submitted(app, make_browser, world)
    make_browser("s1_principal").post(f"/tasks/{open_task(app, pid).id}", data=APPROVE)
    assert open_task(app, pid).bpmn_id == "Task_township"
    title = project(app, pid).title
    instance = _instance(app, pid)
    admin = make_browser("admin")
    page = admin.get(f"/admin/instances/{instance.id}").get_data(as_text=True)
    with app.app_context():
        principal_row = db.session.scalars(select(HumanTask).where(
            HumanTask.instance_id == instance.id, HumanTask.bpmn_id == "Task_principal")).one()
        spiff_id = principal_row.spiff_task_id
    assert spiff_id in page
    bad = admin.post(f"/admin/instances/{instance.id}/rewind",
                     data={"task_id": "not-a-step", "reason": "x", "confirm": "y"})
    assert bad.status_code == 422 and field_errors(bad.get_data(as_text=True), "task_id")
    ok = admin.post(f"/admin/instances/{instance.id}/rewind",
                    data={"task_id": spiff_id, "reason": "校长误签", "confirm": "y"})
    assert ok.status_code == 303, ok.get_data(as_text=True)[:300]
    reopened = open_task(app, pid)
    assert reopened.bpmn_id == "Task_principal" and reopened.spiff_task_id == spiff_id
    assert project(app, pid).title == title and project(app, pid).status.value == "principal_review"
    with app.app_context():
        rows = list(db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)
                                       .order_by(HumanTask.id)))
        assert [(r.bpmn_id, r.status) for r in rows] == [
            ("Task_draft", TaskStatus.COMPLETED), ("Task_principal", TaskStatus.COMPLETED),
            ("Task_township", TaskStatus.CANCELLED), ("Task_principal", TaskStatus.OPEN)]
    assert "回退到「校长审核签字」，原因：校长误签" in admin.get(f"/instances/{instance.id}").get_data(as_text=True)
    # The case goes on from the reopened step.
    make_browser("s1_principal").post(f"/tasks/{reopened.id}", data=APPROVE)
    assert open_task(app, pid).bpmn_id == "Task_township"


def _table(response) -> str:
    html = response.get_data(as_text=True)
    return html[html.index('id="audit-events"'):html.index("</table>")]


def test_audit_log_filters_and_exports(app, world, make_browser):
    pid1 = _submitted(app, make_browser, world, "YY-S1", "s1_admin")
    _submitted(app, make_browser, world, "YY-S3", "s3_admin")
    admin = make_browser("admin")
    instance = _instance(app, pid1)
    admin.post(f"/admin/instances/{instance.id}/suspend", data={"suspend-reason": "核查", "suspend-confirm": "y"})
    page = _table(admin.get(f"/admin/audit?school={world.orgs['YY-S1']}"))
    assert "阳明小学" in page and "梨洲小学" not in page
    by_action = _table(admin.get("/admin/audit?action=instance.suspend"))
    assert by_action.count("<tr>") == 2 and "挂起流程" in by_action  # header row + one event
    by_actor = _table(admin.get("/admin/audit?actor=s3_admin"))
    assert "梨洲小学" in by_actor and "阳明小学" not in by_actor
    bad = admin.get("/admin/audit?date_from=2026-05-02&date_to=2026-05-01")
    assert bad.status_code == 422 and field_errors(bad.get_data(as_text=True), "date_to")
    future = admin.get("/admin/audit?date_from=2099-01-01").get_data(as_text=True)
    assert "没有符合条件的记录" in future
    export = admin.get("/admin/audit/export?action=instance.suspend")
    assert export.status_code == 200 and export.headers["Content-Type"].startswith("text/csv")
    text = export.get_data(as_text=True)
    assert text.startswith("\ufeff") and len(text.strip().splitlines()) == 2 and "reason=核查" in text
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.instance_id.is_not(None)))
        total += sum(1 for detail in db.session.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "process.deploy")) if detail.get("key") == "project_application")
        logins = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "auth.login"))
    process = admin.get("/admin/audit/export?process_key=project_application").get_data(as_text=True)
    # Every case event and the deploy belong to 项目申报; logins belong to no process.
    assert len(process.strip().splitlines()) - 1 == total and logins and "auth.login" not in process
