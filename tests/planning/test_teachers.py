"""Teachers: bulk import with validation and de-duplication (all or nothing), editing, logins."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Role, Teacher, User
from tests.helpers import field_errors
from tests.planning.helpers import TEACHER_ROWS, csv_upload, import_teachers, xlsx_upload


def _teachers(app, school_id):
    with app.app_context():
        rows = list(db.session.scalars(select(Teacher).where(Teacher.school_id == school_id).order_by(Teacher.id)))
        db.session.expunge_all()
        return rows


def _post(browser, school_id, upload):
    return browser.post("/teachers/import", data={"school_id": str(school_id), "file": upload},
                        content_type="multipart/form-data")


def test_import_creates_then_updates_without_duplicates(app, regions, make_browser):
    admin = make_browser("s1_admin")
    school = regions.orgs["YY-S1"]
    import_teachers(admin, school)
    assert [t.name for t in _teachers(app, school)] == ["张敏", "李华", "王芳", "赵强"]
    # The same file again adds nobody; changed details update the existing teacher.
    rows = [r[:] for r in TEACHER_ROWS]
    rows[2][5] = "一级教师"
    rows.append(["孙丽", "T005", "女", "", "音乐", ""])
    import_teachers(admin, school, rows)
    teachers = _teachers(app, school)
    assert len(teachers) == 5 and next(t for t in teachers if t.employee_no == "T002").title == "一级教师"
    # An empty cell does not erase what is on file; a row without 工号 matches by name.
    import_teachers(admin, school, [["姓名", "手机"], ["赵强", "13900000004"]])
    zhao = next(t for t in _teachers(app, school) if t.name == "赵强")
    assert zhao.phone == "13900000004" and zhao.employee_no == "T004" and zhao.subject == "体育"
    with app.app_context():
        imports = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "teacher.import")))
        assert [(e.detail["created"], e.detail["updated"]) for e in imports] == [(4, 0), (1, 1), (0, 1)]


def test_an_import_with_bad_rows_imports_nothing_and_lists_every_bad_row(app, regions, make_browser):
    admin = make_browser("s1_admin")
    school = regions.orgs["YY-S1"]
    rows = [["姓名", "工号", "性别", "手机"],
            ["张敏", "T001", "女", "13800000001"],
            ["", "T002", "男", ""],                   # row 3: no name
            ["王芳", "T001", "女", ""],               # row 4: duplicate 工号
            ["赵强", "T004", "未知", "abc"]]          # row 5: gender and phone
    r = _post(admin, school, csv_upload(rows))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    for expected in ("第 3 行", "请填写姓名", "第 4 行", "与第 2 行重复", "第 5 行", "性别须为", "手机号格式不正确"):
        assert expected in html, expected
    assert _teachers(app, school) == []


def test_excel_and_gbk_files_are_read_and_headers_may_move(app, regions, make_browser):
    admin = make_browser("s1_admin")
    school = regions.orgs["YY-S1"]
    r = _post(admin, school, xlsx_upload([["学科", "教师姓名", "工号"], ["语文", "张敏", 2023001]]))
    assert r.status_code == 302
    assert [(t.name, t.employee_no) for t in _teachers(app, school)] == [("张敏", "2023001")]
    r = _post(admin, school, csv_upload([["姓名", "工号"], ["李华", "2023002"]], encoding="gb18030"))
    assert r.status_code == 302 and len(_teachers(app, school)) == 2
    r = _post(admin, school, csv_upload([["名字", "工号"], ["李华", "1"]]))
    assert r.status_code == 422 and "缺少列：姓名" in " ".join(field_errors(r.get_data(as_text=True), "file"))
    r = _post(admin, school, (__import__("io").BytesIO(b"%PDF-1.4"), "x.pdf"))
    assert r.status_code == 422 and field_errors(r.get_data(as_text=True), "file") == ["请上传 CSV 或 Excel (.xlsx) 文件"]


def test_only_the_schools_admin_imports_and_other_schools_are_hidden(app, regions, make_browser):
    import_teachers(make_browser("s1_admin"), regions.orgs["YY-S1"])
    zhang = next(t for t in _teachers(app, regions.orgs["YY-S1"]) if t.name == "张敏")
    r = _post(make_browser("s2_admin"), regions.orgs["YY-S1"], csv_upload(TEACHER_ROWS))
    assert r.status_code == 422   # S1 is not among the schools s2_admin may import into
    assert make_browser("s2_admin").get(f"/teachers/{zhang.id}").status_code == 404
    assert make_browser("town1").get(f"/teachers/{zhang.id}").status_code == 200
    assert make_browser("town1").post(f"/teachers/{zhang.id}", data={"name": "x"}).status_code == 403
    listing = make_browser("s2_admin").get("/teachers").get_data(as_text=True)
    assert "张敏" not in listing


def test_edit_validates_marks_the_ethics_veto_and_opens_a_login(app, regions, make_browser):
    admin = make_browser("s1_admin")
    import_teachers(admin, regions.orgs["YY-S1"])
    li = next(t for t in _teachers(app, regions.orgs["YY-S1"]) if t.name == "李华")
    r = admin.post(f"/teachers/{li.id}", data={"name": "李华", "employee_no": "T001", "gender": "男"})
    assert r.status_code == 422 and "已属于本校教师 张敏" in " ".join(field_errors(r.get_data(as_text=True), "employee_no"))
    r = admin.post(f"/teachers/{li.id}", data={"name": "李华", "employee_no": "T002", "gender": "男", "active": "y",
                                               "ethics_veto": "y", "ethics_note": "2026年师德考核不合格"})
    assert r.status_code == 302
    with app.app_context():
        teacher = db.session.get(Teacher, li.id)
        assert teacher.ethics_veto and teacher.ethics_note == "2026年师德考核不合格"
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "teacher.ethics_flag")).one()
    r = admin.post(f"/teachers/{li.id}/account", data={"username": "s1_admin"})
    assert r.status_code == 422 and "已被使用" in r.get_data(as_text=True)
    r = admin.post(f"/teachers/{li.id}/account", data={"username": "lihua"})
    assert r.status_code == 302
    flash = admin.get(f"/teachers/{li.id}").get_data(as_text=True)
    password = flash.split("初始密码：")[1].split("（")[0]
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == "lihua")).one()
        assert user.must_change_password and user.has_role(Role.TEACHER, regions.orgs["YY-S1"])
        assert db.session.get(Teacher, li.id).user_id == user.id
    teacher_browser = make_browser()
    r = teacher_browser.post("/login", data={"username": "lihua", "password": password})
    assert r.status_code == 302
