"""待办: what is in it, in which order, and how it pages."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import HumanTask, OrgUnit, TaskStatus, User
from app.models.base import utcnow
from app.projects.services import create_application
from app.tasks.services import inbox, inbox_count


def _new_drafts(app, world, n: int) -> list[int]:
    with app.app_context():
        admin = db.session.get(User, world.users["s1_admin"])
        ids = []
        for _ in range(n):
            project = create_application(actor=admin, school_id=world.orgs["YY-S1"])
            ids.append(db.session.scalars(select(HumanTask.id).where(
                HumanTask.instance_id == project.instance_id)).one())
        db.session.commit()
        return ids


def test_pages_through_a_long_inbox(app, world, make_browser):
    _new_drafts(app, world, 33)
    admin = make_browser("s1_admin")
    first = admin.get("/tasks").get_data(as_text=True)
    assert "共 33 项" in first and "第 1 / 2 页" in first
    assert first.count('class="btn small primary"') == 30
    assert 'href="/tasks?page=2"' in first
    second = admin.get("/tasks?page=2").get_data(as_text=True)
    assert second.count('class="btn small primary"') == 3 and "上一页" in second
    assert admin.get("/tasks?page=99").status_code == 200


def test_queue_order_is_due_first_then_oldest_across_assigned_and_group_tasks(app, world):
    ids = _new_drafts(app, world, 4)
    now = utcnow()
    with app.app_context():
        tasks = [db.session.get(HumanTask, i) for i in ids]
        # Two are still assigned to the drafter; two go back to the group queue of S1's admins.
        tasks[1].assignee_id = None
        tasks[3].assignee_id = None
        for task, due, age in zip(tasks, [None, now + timedelta(days=1), now + timedelta(days=3), None],
                                  [4, 3, 2, 1], strict=True):
            task.set_due(due)
            task.created_at = now - timedelta(hours=age)
        db.session.commit()
        admin = db.session.get(User, world.users["s1_admin"])
        page = inbox(admin, page=1, per_page=30)
        assert [t.id for t in page.items] == [ids[1], ids[2], ids[0], ids[3]]
        assert page.total == inbox_count(admin) == 4
        two = inbox(admin, page=2, per_page=3)
        assert [t.id for t in two.items] == [ids[3]]


def test_inbox_holds_only_open_tasks_for_the_users_roles(app, world, make_browser):
    ids = _new_drafts(app, world, 2)
    with app.app_context():
        db.session.get(HumanTask, ids[0]).status = TaskStatus.CANCELLED
        db.session.commit()
        other = db.session.get(User, world.users["s3_admin"])
        assert inbox(other).total == 0
        s1 = db.session.get(OrgUnit, world.orgs["YY-S1"])
        assert s1 is not None
    html = make_browser("s1_admin").get("/tasks").get_data(as_text=True)
    assert "共 1 项" in html
    assert re.search(r'<span class="badge"[^>]*>1</span>', html)


def test_filters_by_process_and_title(app, world, make_browser):
    _new_drafts(app, world, 2)
    admin = make_browser("s1_admin")
    assert "共 2 项" in admin.get("/tasks?process=project_application").get_data(as_text=True)
    assert "共 0 项" in admin.get("/tasks?process=nothing_like_this").get_data(as_text=True)
    assert "共 0 项" in admin.get("/tasks?q=不存在的标题").get_data(as_text=True)
    assert "共 2 项" in admin.get("/tasks?q=未命名").get_data(as_text=True)
