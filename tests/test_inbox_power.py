"""待办 power: filters, saved filters (personal and shared), bulk approval, the 抄送我的 tab."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import HumanTask, ProjectApplication, SavedFilter, TaskStatus
from app.models.base import utcnow
from tests.helpers import field_errors, open_task, start_application, valid_application


def _submitted(app, make_browser, school: str, world) -> int:
    n = school[-1]
    drafter = make_browser(f"s{n}_admin")
    pid = start_application(app, drafter, world.orgs[school])
    assert drafter.post(f"/tasks/{open_task(app, pid).id}", data=valid_application(app)).status_code == 302
    return pid


def _to_township(app, make_browser, school: str, world) -> int:
    pid = _submitted(app, make_browser, school, world)
    principal = make_browser(f"s{school[-1]}_principal")
    assert principal.post(f"/tasks/{open_task(app, pid).id}", data={"decision": "approve", "action": "submit"}
                          ).status_code == 302
    return pid


def _count(html: str) -> str:
    import re

    return re.search(r"共 (\d+) 项", html).group(1)


def test_filters_by_school_township_status_and_due(app, world, make_browser):
    p1 = _to_township(app, make_browser, "YY-S1", world)
    p2 = _to_township(app, make_browser, "YY-S2", world)
    town1 = make_browser("town1")
    assert _count(town1.get("/tasks").get_data(as_text=True)) == "2"
    assert _count(town1.get(f"/tasks?school={world.orgs['YY-S2']}").get_data(as_text=True)) == "1"
    assert _count(town1.get(f"/tasks?township={world.orgs['YY-T1']}").get_data(as_text=True)) == "2"
    assert _count(town1.get(f"/tasks?township={world.orgs['YY-T2']}").get_data(as_text=True)) == "0"
    assert _count(town1.get("/tasks?status=unclaimed").get_data(as_text=True)) == "2"
    task = open_task(app, p1)
    assert town1.post(f"/tasks/{task.id}/claim").status_code == 302
    assert _count(town1.get("/tasks?status=mine").get_data(as_text=True)) == "1"
    with app.app_context():
        row = db.session.get(HumanTask, open_task(app, p2).id)
        row.set_due(utcnow() - timedelta(hours=1))
        mine = db.session.get(HumanTask, task.id)
        mine.set_due(utcnow() + timedelta(hours=20))
        db.session.commit()
    overdue = town1.get("/tasks?due=overdue").get_data(as_text=True)
    assert _count(overdue) == "1" and "已逾期" in overdue
    soon = town1.get("/tasks?due=soon").get_data(as_text=True)
    assert _count(soon) == "1" and 'class="due-soon"' in soon
    assert _count(town1.get("/tasks?school=abc&status=bogus").get_data(as_text=True)) == "2"  # ignored


def test_saved_filters_personal_and_shared_to_a_role(app, world, make_browser):
    _to_township(app, make_browser, "YY-S2", world)
    town1 = make_browser("town1")
    r = town1.post("/tasks/filters", data={"school": str(world.orgs["YY-S2"]), "name": ""})
    assert r.status_code == 422 and field_errors(r.get_data(as_text=True), "name")
    r = town1.post("/tasks/filters", data={"school": str(world.orgs["YY-S2"]), "name": "阳明中学",
                                           "share_role": "township_reviewer"})
    assert r.status_code == 302 and f"school={world.orgs['YY-S2']}" in r.headers["Location"]
    assert "阳明中学" in town1.get("/tasks").get_data(as_text=True)
    # Shared with the role in the same region: town2 sees it; a principal does not.
    assert "阳明中学" in make_browser("town2").get("/tasks").get_data(as_text=True)
    assert "阳明中学</a>" not in make_browser("s1_principal").get("/tasks").get_data(as_text=True)
    r = town1.post("/tasks/filters", data={"status": "mine", "name": "我的", "share_role": "city_reviewer"})
    assert r.status_code == 422  # only a role one holds
    with app.app_context():
        saved = db.session.scalars(select(SavedFilter)).one()
        assert saved.criteria == {"school": world.orgs["YY-S2"]}
    assert make_browser("town2").post(f"/tasks/filters/{saved.id}/delete").status_code == 404
    assert town1.post(f"/tasks/filters/{saved.id}/delete").status_code == 302
    with app.app_context():
        assert db.session.scalars(select(SavedFilter)).all() == []


def test_bulk_approve_completes_each_bulk_safe_item_and_reports_the_others(app, world, make_browser):
    p1 = _submitted(app, make_browser, "YY-S1", world)
    p2 = _submitted(app, make_browser, "YY-S1", world)
    p3 = _submitted(app, make_browser, "YY-S1", world)
    principal = make_browser("s1_principal")
    page = principal.get("/tasks").get_data(as_text=True)
    assert page.count('name="task_ids"') == 3 and "批量通过所选" in page
    done_already = open_task(app, p3)
    assert principal.post(f"/tasks/{done_already.id}", data={"decision": "approve", "action": "submit"}
                          ).status_code == 302
    drafter_task = None
    with app.app_context():
        # Not bulk-safe: the drafting step of a fourth application.
        drafter_task = db.session.scalars(select(HumanTask).where(HumanTask.bpmn_id == "Task_draft",
                                                                  HumanTask.status == TaskStatus.COMPLETED)).first()
    ids = [open_task(app, p1).id, open_task(app, p2).id, done_already.id, drafter_task.id]
    r = principal.post("/tasks/bulk-approve", data={"task_ids": [str(i) for i in ids], "comment": "同意"})
    assert r.status_code == 302
    flashes = principal.get("/tasks").get_data(as_text=True)
    assert "已批量通过 2 项" in flashes
    assert flashes.count("未通过：") == 2
    for pid in (p1, p2):
        assert open_task(app, pid).bpmn_id == "Task_township"
    with app.app_context():
        assert {p.status.value for p in db.session.scalars(select(ProjectApplication))} == {"township_review"}


def test_bulk_approve_of_someone_elses_task_changes_nothing(app, world, make_browser):
    pid = _submitted(app, make_browser, "YY-S1", world)
    task = open_task(app, pid)
    r = make_browser("s2_principal").post("/tasks/bulk-approve", data={"task_ids": [str(task.id)]})
    assert r.status_code == 302
    assert open_task(app, pid).id == task.id


def test_cc_tab_lists_copies_newest_first(app, world, make_browser):
    pid = _to_township(app, make_browser, "YY-S1", world)
    task = open_task(app, pid)
    with app.app_context():
        from app.models import User

        expert = db.session.scalars(select(User.id).where(User.username == "expert")).one()
    make_browser("town1").post(f"/instances/{task.instance_id}/cc", data={"cc-user_ids": [str(expert)]})
    html = make_browser("expert").get("/tasks/cc").get_data(as_text=True)
    assert "共 1 项" in html and "赵阳明" in html
