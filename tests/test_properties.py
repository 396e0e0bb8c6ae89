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



def _column(*likely):
    # Mostly plausible values, so that whole files succeed too; now and then anything at all.
    return st.integers(0, 9).flatmap(lambda i: field_text if i == 9 else st.sampled_from(likely))


ORG_CODES = ("N1", "N2", "N3", "YY-C", "YY-T1", "YY-S1")
org_row = st.tuples(_column(*ORG_CODES), _column("新单位", "余姚市阳明小学"),
                    _column("学校", "乡镇教辅室", "师干训中心", "school"), _column("YY-T1", "YY-C", "N1", "N2", "YY"),
                    _column("", "否", "是"), _column("", "简称")).map(list)
user_row = st.tuples(_column("newuser", "other_one", "s1_admin"), _column("新用户", "阳明小学师训站长"),
                     _column("校长", "教师", "乡镇审核员", "评审专家", "teacher"), _column("YY-S1", "YY-T1", "YY-C", "N1"),
                     _column("", "a@b.cn"), _column("", "Abc-12345x", "yanxiu2026")).map(list)


def _directory(app):
    from app.models import OrgUnit, User

    with app.app_context():
        orgs = list(db.session.scalars(select(OrgUnit)))
        by_id = {o.id: o for o in orgs}
        # The tree stays a tree: every path is the parent's path plus the org's own id.
        for org in orgs:
            expected = (by_id[org.parent_id].path if org.parent_id else "/") + f"{org.id}/"
            assert org.path == expected, (org.code, org.path, expected)
        users = {u.username: (u.display_name, tuple(sorted(u.role_pairs()))) for u in db.session.scalars(select(User))}
        snapshot = ({o.code: (o.name, o.path) for o in orgs}, users)
        db.session.remove()
        return snapshot


@SETTINGS
@given(orgs=st.lists(org_row, min_size=1, max_size=4), users=st.lists(user_row, min_size=1, max_size=4))
def test_directory_imports_are_all_or_nothing(app, world, make_browser, orgs, users):
    admin = make_browser("admin")
    for kind, head, rows in (("orgs", ["单位代码", "单位名称", "类型", "上级单位代码", "直属", "简称"], orgs),
                             ("users", ["用户名", "姓名", "角色", "单位代码", "电子邮箱", "初始密码"], users)):
        before = _directory(app)
        text = io.StringIO()
        csv.writer(text).writerows([head, *rows])
        r = admin.post(f"/directory/import/{kind}",
                       data={f"{kind}-file": (io.BytesIO(text.getvalue().encode("utf-8", "surrogatepass")), "d.csv")},
                       content_type="multipart/form-data")
        assert r.status_code in (200, 302, 422)
        after = _directory(app)
        if r.status_code == 422:
            assert after == before
