"""Property-based tests (hypothesis): no input to the forms and imports gives a 500 or a partial write.

A 500 would raise in the test (the app re-raises unexpected errors when testing), so each property
only has to say what a refused input must leave behind: nothing.
"""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.extensions import db
from app.models import ProjectApplication, Teacher
from tests.helpers import open_task, start_application, valid_application

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Any text a browser can send, including control characters, NUL and characters outside the BMP.
_text = st.text(st.characters(codec="utf-8"), max_size=300)
any_text = st.one_of(_text, _text.map(lambda s: s + "\x00" + s))
field_text = st.one_of(any_text, st.sampled_from(["", " ", "0", "-1", "1e309", "NaN", "９９", "2026-02-30",
                                                  "<script>alert(1)</script>", "' OR 1=1 --", "\x00", "a" * 5000]))


@SETTINGS
@given(username=any_text, password=any_text)
def test_login_never_fails_on_any_input(world, browser, username, password):
    r = browser.post("/login", data={"username": username, "password": password})
    assert r.status_code in (302, 400, 422, 429)


APPLICATION_FIELDS = ["title", "domain", "modules", "forms", "problem", "goals", "target_group", "start_term_id",
                      "end_term_id", "leader", "team", "planned_hours", "budget", "expected_outcomes"]


def _snapshot(app, project_id):
    with app.app_context():
        p = db.session.get(ProjectApplication, project_id)
        snap = (p.status, p.title, p.domain, p.problem, p.planned_hours, p.budget, p.start_term_id, p.instance.version
                if hasattr(p.instance, "version") else None)
        db.session.remove()
        return snap


@SETTINGS
@given(changes=st.dictionaries(st.sampled_from(APPLICATION_FIELDS), field_text, min_size=1, max_size=6))
def test_application_form_refuses_bad_input_without_writing(app, world, make_browser, changes):
    admin = make_browser("s1_admin")
    project_id = start_application(app, admin, world.orgs["YY-S1"])
    task = open_task(app, project_id)
    before = _snapshot(app, project_id)
    r = admin.post(f"/tasks/{task.id}", data=valid_application(app, **changes))
    assert r.status_code in (302, 400, 422)
    if r.status_code != 302:
        assert _snapshot(app, project_id) == before
        assert open_task(app, project_id).id == task.id


cell = st.one_of(field_text, st.integers(-10**12, 10**12).map(str), st.just(""))
header = st.lists(st.sampled_from(["姓名", "工号", "性别", "手机", "学科", "职称", "备注", "", "姓名 "]),
                  min_size=1, max_size=7)


def _teachers(app, school_id):
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(Teacher).where(Teacher.school_id == school_id))
        db.session.remove()
        return n


@SETTINGS
@given(head=header, rows=st.lists(st.lists(cell, max_size=8), max_size=8),
       encoding=st.sampled_from(["utf-8-sig", "gb18030", "utf-16"]))
def test_teacher_import_is_all_or_nothing(app, world, make_browser, head, rows, encoding):
    admin = make_browser("s1_admin")
    school = world.orgs["YY-S1"]
    before = _teachers(app, school)
    text = io.StringIO()
    csv.writer(text).writerows([head, *rows])
    try:
        payload = text.getvalue().encode(encoding)
    except UnicodeEncodeError:
        payload = text.getvalue().encode("utf-8", "surrogatepass")
    r = admin.post("/teachers/import", data={"school_id": str(school), "file": (io.BytesIO(payload), "t.csv")},
                   content_type="multipart/form-data")
    assert r.status_code in (302, 422)
    after = _teachers(app, school)
    if r.status_code == 422:
        assert after == before
    else:
        # Every data row named a teacher; nothing else was written.
        assert after <= before + len([row for row in rows if any(c.strip() for c in row)])


@SETTINGS
@given(payload=st.binary(max_size=2000), name=st.sampled_from(["t.csv", "t.xlsx", "t.xls", "t", "../../etc/passwd.csv"]))
def test_teacher_import_survives_any_file(app, world, make_browser, payload, name):
    admin = make_browser("s1_admin")
    school = world.orgs["YY-S1"]
    before = _teachers(app, school)
    r = admin.post("/teachers/import", data={"school_id": str(school), "file": (io.BytesIO(payload), name)},
                   content_type="multipart/form-data")
    assert r.status_code in (302, 422)
    if r.status_code == 422:
        assert _teachers(app, school) == before

