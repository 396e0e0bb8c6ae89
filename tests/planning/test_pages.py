"""Every planning page renders for every kind of user, in Chinese and in English, on the demo data."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.clock import FrozenClock, use_clock
from app.extensions import db
from app.models import ActivityRecord, HumanTask, ProcessInstance, ResearchPlan, TaskStatus, Teacher
from app.plans.demo import seed_planning_demo
from tests.conftest import FAST_HASH

NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)
PAGES = ["/plans", "/activities", "/progress", "/credits", "/teachers", "/policy", "/tasks"]


@pytest.fixture
def demo(app, world):
    with use_clock(FrozenClock(NOW)), app.app_context():
        seed_planning_demo(password_method=FAST_HASH)
        db.session.commit()
        ids = {
            "tasks": list(db.session.scalars(select(HumanTask.id).where(HumanTask.status == TaskStatus.OPEN))),
            "instances": list(db.session.scalars(select(ProcessInstance.id))),
            "plans": list(db.session.scalars(select(ResearchPlan.id))),
            "records": list(db.session.scalars(select(ActivityRecord.id))),
            "teachers": list(db.session.scalars(select(Teacher.id).limit(3))),
        }
        db.session.remove()
    return ids


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_pages_render_for_every_role(app, demo, make_browser, lang):
    with use_clock(FrozenClock(NOW)):
        for username in ("admin", "city", "town1", "s1_admin", "s2_admin", "s2_principal", "s1_teacher", "xa_admin",
                         "pt1_admin"):
            browser = make_browser(username)
            browser.post("/language", data={"lang": lang})
            urls = PAGES + ["/policy/edit", "/plans/open", "/credits/mine"]
            urls += [f"/tasks/{t}" for t in demo["tasks"][:8]] + [f"/instances/{i}" for i in demo["instances"]]
            urls += [f"/activities/{r}" for r in demo["records"]] + [f"/teachers/{t}" for t in demo["teachers"]]
            urls += [f"/credits/teachers/{t}" for t in demo["teachers"]] + ["/policy/versions/1"]
            for url in urls:
                r = browser.get(url)
                assert r.status_code in (200, 302, 403, 404), (username, url, r.status_code)
                if r.status_code == 200 and lang == "en":
                    html = r.get_data(as_text=True)
                    assert 'lang="en"' in html, (username, url)
            for url in PAGES:
                assert browser.get(url).status_code in (200, 302, 404), (username, url)


def test_english_pages_are_in_english(app, demo, make_browser):
    with use_clock(FrozenClock(NOW)):
        admin = make_browser("admin")
        admin.post("/language", data={"lang": "en"})
        page = admin.get("/policy").get_data(as_text=True)
        for text in ("Regional policy", "Minimum activities per term", "Source:", "Default:", "History of changes",
                     "Working-day calendar", "Change the policy"):
            assert text in page, text
        assert "每学期最少研修活动次数" not in page
        s1 = make_browser("s1_admin")
        s1.post("/language", data={"lang": "en"})
        inbox = s1.get("/tasks").get_data(as_text=True)
        task_id = re.search(r'href="/tasks/(\d+)"', inbox).group(1)
        page = s1.get(f"/tasks/{task_id}").get_data(as_text=True)
        for text in ("Regional policy for this term", "Planned activities", "Budget", "Add a row", "Submit for review"):
            assert text in page, text
