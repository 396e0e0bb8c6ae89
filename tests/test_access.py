"""Who sees and acts on what: school A's people never reach school B's records."""

from __future__ import annotations

import io

import pytest

from tests.helpers import open_task, start_application, valid_application

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def two_applications(app, world, make_browser):
    """S1 (阳明, township T1) submitted to its principal; S3 (梨洲, township T2) submitted too."""
    ids = {}
    for school, user in (("YY-S1", "s1_admin"), ("YY-S3", "s3_admin")):
        b = make_browser(user)
        pid = start_application(app, b, world.orgs[school])
        task = open_task(app, pid)
        b.post(f"/projects/{pid}/attachments", data={"file": (io.BytesIO(PDF), "方案.pdf")},
               content_type="multipart/form-data")
        b.post(f"/tasks/{task.id}", data=valid_application(app, title=f"{school}的项目"))
        ids[school] = pid
    return ids


def _attachment_id(app, project_id):
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Attachment

    with app.app_context():
        return db.session.scalars(select(Attachment.id).where(Attachment.owner_id == project_id)).one()


def test_principal_of_another_school_can_neither_see_nor_act(app, world, make_browser, two_applications):
    s1_task = open_task(app, two_applications["YY-S1"])
    other = make_browser("s3_principal")
    inbox = other.get("/tasks").get_data(as_text=True)
    assert "YY-S1的项目" not in inbox and "YY-S3的项目" in inbox
    assert other.get(f"/tasks/{s1_task.id}").status_code == 404
    assert other.post(f"/tasks/{s1_task.id}", data={"decision": "approve", "action": "submit"}).status_code == 404
    assert other.post(f"/tasks/{s1_task.id}/claim").status_code == 404
    assert other.get(f"/attachments/{_attachment_id(app, two_applications['YY-S1'])}").status_code == 404
    assert "YY-S1的项目" not in other.get("/projects").get_data(as_text=True)
    assert open_task(app, two_applications["YY-S1"]).id == s1_task.id  # nothing changed


def test_school_staff_without_the_role_can_view_but_not_act(app, world, make_browser, two_applications):
    s1_task = open_task(app, two_applications["YY-S1"])  # waiting for s1_principal
    drafter = make_browser("s1_admin")
    assert drafter.get(f"/tasks/{s1_task.id}").status_code == 200
    r = drafter.post(f"/tasks/{s1_task.id}", data={"decision": "approve", "action": "submit"})
    assert r.status_code == 403
    assert open_task(app, two_applications["YY-S1"]).id == s1_task.id


def test_township_reviewer_sees_only_its_schools(app, world, make_browser, two_applications):
    for pid in two_applications.values():
        make_browser_user = {"YY-S1": "s1_principal", "YY-S3": "s3_principal"}
        school = next(k for k, v in two_applications.items() if v == pid)
        make_browser(make_browser_user[school]).post(
            f"/tasks/{open_task(app, pid).id}", data={"decision": "approve", "action": "submit"})
    town1 = make_browser("town1")
    inbox = town1.get("/tasks").get_data(as_text=True)
    assert "YY-S1的项目" in inbox and "YY-S3的项目" not in inbox
    projects = town1.get("/projects").get_data(as_text=True)
    assert "YY-S1的项目" in projects and "YY-S3的项目" not in projects
    s3_task = open_task(app, two_applications["YY-S3"])
    assert town1.get(f"/tasks/{s3_task.id}").status_code == 404
    assert town1.post(f"/tasks/{s3_task.id}", data={"decision": "approve", "action": "submit"}).status_code == 404
    assert town1.get(f"/attachments/{_attachment_id(app, two_applications['YY-S1'])}").status_code == 200
    assert town1.get(f"/attachments/{_attachment_id(app, two_applications['YY-S3'])}").status_code == 404


def test_teacher_sees_no_applications(app, world, make_browser, two_applications):
    teacher = make_browser("s1_teacher")
    assert "YY-S1的项目" not in teacher.get("/projects").get_data(as_text=True)
    pid = two_applications["YY-S1"]
    from tests.helpers import project

    assert teacher.get(f"/instances/{project(app, pid).instance_id}").status_code == 404
    assert teacher.post("/projects/new", data={"school_id": str(world.orgs["YY-S1"])}).status_code == 302
    # ...which is refused: only school admins may apply (the redirect carries the flash message).
    assert "YY-S1" not in teacher.get("/instances/mine").get_data(as_text=True)


def test_only_school_admins_of_that_school_may_start(app, world, make_browser):
    other_school_admin = make_browser("s3_admin")
    r = other_school_admin.post("/projects/new", data={"school_id": str(world.orgs["YY-S1"])})
    assert r.status_code in (302, 403)
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import ProjectApplication

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ProjectApplication)) == 0


def test_city_reviewer_sees_everything(app, world, make_browser, two_applications):
    city = make_browser("city")
    html = city.get("/projects").get_data(as_text=True)
    assert "YY-S1的项目" in html and "YY-S3的项目" in html
    assert city.get(f"/attachments/{_attachment_id(app, two_applications['YY-S3'])}").status_code == 200


def test_pages_need_login(app, world, browser):
    for url in ("/tasks", "/tasks/done", "/instances/mine", "/projects", "/tasks/1", "/attachments/1"):
        r = browser.get(url)
        assert r.status_code == 302 and "/login" in r.headers["Location"], url
