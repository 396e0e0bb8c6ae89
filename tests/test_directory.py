"""Setting up a fresh install from the command line: the first admin, the org tree, the users."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.cli import main
from app.extensions import db
from app.models import AuditEvent, OrgType, OrgUnit, Role, User
from tests.conftest import ROOT, Browser
from tests.helpers import field_errors

TEMPLATES = ROOT / "docs" / "templates"
ADMIN_PASSWORD = "Qd7#river-2026"


def run(app, *args, env=None, input=None):
    return app.test_cli_runner().invoke(main, list(args), env=env, input=input)


def output(result) -> str:
    """What the operator sees: standard output and the error messages on standard error."""
    return result.output


def create_admin(app, *extra, password=ADMIN_PASSWORD):
    return run(app, "create-admin", "--username", "yyadmin", "--display-name", "区域管理员",
               "--region-code", "YY", "--region-name", "余姚市教育局", *extra,
               env={"YANXIU_ADMIN_PASSWORD": password})


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)
    return path


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(OrgUnit)),
                db.session.scalar(select(func.count()).select_from(User)))


def login(app, username: str, password: str):
    browser = Browser(app.test_client())
    return browser, browser.post("/login", data={"username": username, "password": password})


# -- create-admin ------------------------------------------------------------------------------------
def test_create_admin_makes_the_region_root_and_a_working_login(app):
    result = create_admin(app)
    assert result.exit_code == 0, output(result)
    assert "余姚市教育局" in result.output and "yyadmin" in result.output
    with app.app_context():
        root = db.session.scalars(select(OrgUnit)).one()
        assert (root.code, root.type, root.parent_id, root.path) == ("YY", OrgType.BUREAU, None, f"/{root.id}/")
        admin = db.session.scalars(select(User)).one()
        assert admin.has_role(Role.ADMIN, root.id) and not admin.must_change_password
    browser, response = login(app, "yyadmin", ADMIN_PASSWORD)
    assert response.status_code == 302 and "/account/password" not in response.headers["Location"]
    assert browser.get("/policy").status_code == 200   # the region admin's own page


def test_create_admin_reads_the_password_from_stdin(app):
    result = run(app, "create-admin", "--username", "yyadmin", "--display-name", "管理员", "--region-code", "YY",
                 "--region-name", "余姚市教育局", "--password-stdin", input=ADMIN_PASSWORD + "\n")
    assert result.exit_code == 0, output(result)
    assert login(app, "yyadmin", ADMIN_PASSWORD)[1].status_code == 302


@pytest.mark.parametrize(("password", "message"), [
    ("yanxiu2026", "过于常见"), ("short1", "至少 8 位"), ("onlyletters", "字母和数字"), ("yyadmin2026x", "用户名"),
    ("", "没有密码"),
])
def test_weak_or_missing_admin_password_is_refused(app, password, message):
    result = create_admin(app, password=password)
    assert result.exit_code == 1
    assert message in output(result)
    assert counts(app) == (0, 0)


def test_existing_username_is_refused_and_the_second_admin_joins_the_region(app):
    assert create_admin(app).exit_code == 0
    again = create_admin(app)
    assert again.exit_code == 1 and "yyadmin 已存在" in output(again)
    second = run(app, "create-admin", "--username", "deputy", "--display-name", "副管理员",
                 env={"YANXIU_ADMIN_PASSWORD": ADMIN_PASSWORD})
    assert second.exit_code == 0, output(second)
    assert counts(app) == (1, 2)


def test_first_admin_needs_a_region(app):
    result = run(app, "create-admin", "--username", "yyadmin", "--display-name", "管理员",
                 env={"YANXIU_ADMIN_PASSWORD": ADMIN_PASSWORD})
    assert result.exit_code == 1 and "--region-code" in output(result)
    result = run(app, "create-admin", "--username", "yyadmin", "--display-name", "管理员", "--region-code", "YY",
                 env={"YANXIU_ADMIN_PASSWORD": ADMIN_PASSWORD})
    assert result.exit_code == 1 and "--region-name" in output(result)
    assert counts(app) == (0, 0)


# -- import-orgs -------------------------------------------------------------------------------------
def test_template_files_import_and_reimport_is_a_no_op(app, tmp_path):
    assert create_admin(app).exit_code == 0
    result = run(app, "import-orgs", str(TEMPLATES / "orgs.csv"))
    assert result.exit_code == 0, output(result)
    assert "新增 4" in result.output
    with app.app_context():
        orgs = {o.code: o for o in db.session.scalars(select(OrgUnit))}
        assert orgs["YY-S1"].path == f"/{orgs['YY'].id}/{orgs['YY-C'].id}/{orgs['YY-T1'].id}/{orgs['YY-S1'].id}/"
        assert orgs["YY-S6"].is_direct and orgs["YY-S6"].parent_id == orgs["YY-C"].id
        assert (orgs["YY-T1"].type, orgs["YY-T1"].short_name) == (OrgType.TOWNSHIP, "阳明教辅室")
    again = run(app, "import-orgs", str(TEMPLATES / "orgs.csv"))
    assert again.exit_code == 0 and "新增 0，更名 0，无变化 4" in again.output
    assert counts(app) == (5, 1)
    renamed = write_csv(tmp_path / "rename.csv", [["code", "name", "type", "parent"],
                                                  ["YY-S1", "余姚市阳明实验小学", "school", "YY-T1"]])
    assert "更名 1" in run(app, "import-orgs", str(renamed)).output
    with app.app_context():
        assert db.session.scalars(select(OrgUnit.name).where(OrgUnit.code == "YY-S1")).one() == "余姚市阳明实验小学"
    assert counts(app) == (5, 1)


def test_bad_org_file_lists_every_bad_row_and_writes_nothing(app, tmp_path):
    assert create_admin(app).exit_code == 0
    path = write_csv(tmp_path / "orgs.csv", [
        ["单位代码", "单位名称", "类型", "上级单位代码", "直属"],
        ["YY-C", "师干训中心", "师干训中心", "YY", ""],           # 2 good
        ["YY-T1", "阳明教辅室", "乡镇教辅室", "YY-C", ""],        # 3 good
        ["YY-S1", "阳明小学", "学校", "YY-T9", ""],               # 4 unknown parent
        ["YY-T1", "又一个教辅室", "乡镇教辅室", "YY-C", ""],       # 5 duplicate code
        ["YY-A", "甲", "学校", "YY-B", ""],                       # 6 cycle A → B → A
        ["YY-B", "乙", "学校", "YY-A", ""],                       # 7 (a school under a school too)
        ["YY-X", "某单位", "研究所", "YY-C", ""],                 # 8 unknown type
        ["YY-S2", "阳明中学", "学校", "YY-T1", "是"],             # 9 直属 under a township
        ["YY-T2", "梨洲教辅室", "乡镇教辅室", "YY-S1", ""],       # 10 township under a school
        ["YY-P", "环甲", "乡镇教辅室", "YY-Q", ""],               # 11 cycle P → Q → P
        ["YY-Q", "环乙", "乡镇教辅室", "YY-P", ""],               # 12
    ])
    result = run(app, "import-orgs", str(path))
    assert result.exit_code == 1
    text = output(result)
    assert "未导入任何内容" in text
    for row, fragment in [(4, "YY-T9 不存在"), (5, "与第 3 行重复"), (6, "YY-A → YY-B → YY-A"), (8, "研究所"),
                          (9, "直属"), (10, "上级应为"), (11, "循环"), (12, "循环")]:
        assert any(line.strip().startswith(f"第 {row} 行") and fragment in line for line in text.splitlines()), \
            (row, fragment, text)
    assert not any(line.strip().startswith(("第 2 行", "第 3 行")) for line in text.splitlines())
    assert counts(app) == (1, 1)


def test_existing_orgs_cannot_move_or_change_type(app, tmp_path):
    assert create_admin(app).exit_code == 0
    assert run(app, "import-orgs", str(TEMPLATES / "orgs.csv")).exit_code == 0
    path = write_csv(tmp_path / "move.csv", [["code", "name", "type", "parent", "direct"],
                                             ["YY-S1", "阳明小学", "学校", "YY-C", "是"],
                                             ["YY-T1", "阳明教辅室", "学校", "YY-C", ""]])
    result = run(app, "import-orgs", str(path))
    assert result.exit_code == 1
    assert "不能移动" in output(result) and "不能改变单位类型" in output(result)


def test_orgs_from_an_excel_file_with_english_headers(app, tmp_path):
    assert create_admin(app).exit_code == 0
    book = Workbook()
    sheet = book.active
    sheet.append(["Code", "Name", "Type", "Parent Code", "Direct"])
    sheet.append(["YY-C", "余姚市师干训中心", "center", "YY", "no"])
    sheet.append(["YY-S9", "余姚市第九中学", "学校", "YY-C", "yes"])
    book.save(tmp_path / "orgs.xlsx")
    result = run(app, "import-orgs", str(tmp_path / "orgs.xlsx"))
    assert result.exit_code == 0, output(result)
    assert counts(app) == (3, 1)


# -- import-users ------------------------------------------------------------------------------------
@pytest.fixture
def tree(app):
    assert create_admin(app).exit_code == 0
    assert run(app, "import-orgs", str(TEMPLATES / "orgs.csv")).exit_code == 0


def test_template_users_are_created_and_must_change_their_password(app, tree, tmp_path):
    out = tmp_path / "passwords.csv"
    result = run(app, "import-users", str(TEMPLATES / "users.csv"), "--passwords-out", str(out))
    assert result.exit_code == 0, output(result)
    assert "新增 8" in result.output and "写入" in result.output
    assert out.stat().st_mode & 0o777 == 0o600
    passwords = {row["用户名"]: row["初始密码"] for row in csv.DictReader(io.StringIO(out.read_text("utf-8-sig")))}
    assert len(passwords) == 8 and passwords["s1_principal"] not in result.output
    with app.app_context():
        principal = db.session.scalars(select(User).where(User.username == "s1_principal")).one()
        school = db.session.scalars(select(OrgUnit).where(OrgUnit.code == "YY-S1")).one()
        assert principal.has_role(Role.PRINCIPAL, school.id) and principal.must_change_password
        assert db.session.scalars(select(User.email).where(User.username == "city")).one() == "wanglx@example.edu.cn"
        # The audit event counts the users but never holds a password.
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "directory.users_imported")).one()
        assert event.detail["created"] == 8 and passwords["city"] not in str(event.detail)
    browser, response = login(app, "s1_principal", passwords["s1_principal"])
    assert response.status_code == 302 and "/account/password" in response.headers["Location"]
    assert browser.get("/tasks").status_code == 302   # nothing else until the password is changed
    changed = browser.post("/account/password", data={"current_password": passwords["s1_principal"],
                                                      "new_password": "Fresh-start-77",
                                                      "confirm": "Fresh-start-77"})
    assert changed.status_code == 302, changed.get_data(as_text=True)[:300]
    assert browser.get("/tasks").status_code == 200
    # Re-running the file creates nobody and keeps the changed password.
    again = run(app, "import-users", str(TEMPLATES / "users.csv"))
    assert again.exit_code == 0 and "新增 0，更新 0，无变化 8" in again.output and "初始密码" not in again.output
    assert counts(app)[1] == 9
    assert login(app, "s1_principal", "Fresh-start-77")[1].status_code == 302


def test_generated_passwords_are_printed_once_and_given_ones_are_used(app, tree, tmp_path):
    path = write_csv(tmp_path / "users.csv", [
        ["username", "name", "role", "org", "email", "password"],
        ["tch1", "张老师", "教师", "YY-S1", "", "Chalk-and-88"],
        ["tch2", "李老师", "teacher", "YY-S1", "", ""],
        ["tch2", "李老师", "评审专家", "YY-C", "", ""],            # a second role for the same person
    ])
    result = run(app, "import-users", str(path))
    assert result.exit_code == 0, output(result)
    assert "新增 2" in result.output and "新增角色 3" in result.output
    printed = [line.split() for line in result.output.splitlines() if line.strip().startswith("tch2 ")]
    assert len(printed) == 1 and "tch1 " not in result.output
    assert login(app, "tch2", printed[0][-1])[1].status_code == 302
    assert login(app, "tch1", "Chalk-and-88")[1].status_code == 302
    with app.app_context():
        t2 = db.session.scalars(select(User).where(User.username == "tch2")).one()
        assert sorted(role for role, _org in t2.role_pairs()) == ["expert", "teacher"]


def test_bad_user_file_lists_every_bad_row_and_writes_nothing(app, tree, tmp_path):
    path = write_csv(tmp_path / "users.csv", [
        ["用户名", "姓名", "角色", "单位代码", "电子邮箱", "初始密码"],
        ["ok_user", "正常", "校长", "YY-S1", "", ""],             # 2 good
        ["x", "太短", "校长", "YY-S1", "", ""],                   # 3 bad username
        ["usr4", "某人", "园丁", "YY-S1", "", ""],                  # 4 unknown role
        ["usr5", "某人", "校长", "YY-S99", "", ""],                 # 5 unknown org
        ["usr6", "某人", "校长", "YY-T1", "", ""],                  # 6 principal at a township
        ["usr7", "某人", "乡镇审核员", "YY-S1", "", ""],            # 7 township reviewer at a school
        ["usr8", "某人", "系统管理员", "YY-C", "", ""],             # 8 admin below the root
        ["usr9", "某人", "教师", "YY-S1", "not-an-email", ""],      # 9 e-mail
        ["usr10", "某人", "教师", "YY-S1", "", "yanxiu2026"],       # 10 demo password
        ["ok_user", "正常", "校长", "YY-S1", "", ""],             # 11 same role twice
        ["ok_user", "别名", "教师", "YY-S1", "", ""],             # 12 other name for the same user
    ])
    result = run(app, "import-users", str(path))
    assert result.exit_code == 1
    text = output(result)
    bad_rows = {int(line.split()[1]) for line in text.splitlines() if line.strip().startswith("第 ")}
    assert bad_rows == set(range(3, 13))
    for fragment in ("园丁", "YY-S99", "学校", "区域根单位", "邮箱", "过于常见", "与第 2 行重复", "姓名不同"):
        assert fragment in text, fragment
    assert counts(app) == (5, 1)


def test_missing_column_and_unreadable_file_are_refused(app, tree, tmp_path):
    path = write_csv(tmp_path / "users.csv", [["用户名", "姓名", "单位代码"], ["a1", "甲", "YY-S1"]])
    result = run(app, "import-users", str(path))
    assert result.exit_code == 1 and "缺少列" in output(result) and "角色" in output(result)
    (tmp_path / "users.txt").write_text("hello")
    result = run(app, "import-users", str(tmp_path / "users.txt"))
    assert result.exit_code == 1 and "CSV" in output(result)
    assert counts(app) == (5, 1)


# -- the region admin's page -------------------------------------------------------------------------
def _upload(browser, kind: str, rows: list[list[str]], name: str = "file.csv"):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return browser.post(f"/directory/import/{kind}",
                        data={f"{kind}-file": (io.BytesIO(buffer.getvalue().encode("utf-8")), name)},
                        content_type="multipart/form-data")


def test_shipped_templates_match_the_downloads(app, world, make_browser):
    admin = make_browser("admin")
    for kind in ("orgs", "users"):
        download = admin.get(f"/directory/template/{kind}.csv")
        assert download.status_code == 200
        shipped = (TEMPLATES / f"{kind}.csv").read_text(encoding="utf-8")
        assert download.get_data(as_text=True).lstrip("\ufeff") == shipped


def test_page_import_lists_bad_rows_then_creates_users_once(app, world, make_browser):
    admin = make_browser("admin")
    page = admin.get("/directory")
    assert page.status_code == 200 and "导入单位" in page.get_data(as_text=True)
    bad = _upload(admin, "users", [["用户名", "姓名", "角色", "单位代码"],
                                   ["newhead", "新校长", "校长", "YY-S1"],
                                   ["newtown", "新审核员", "乡镇审核员", "YY-S1"],
                                   ["city", "王立新", "校长", "YY-NOPE"]])
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "第 3 行" in html and "第 4 行" in html and "第 2 行" not in html
    with app.app_context():
        assert db.session.scalars(select(User).where(User.username == "newhead")).first() is None
    good = _upload(admin, "users", [["username", "name", "role", "org"], ["newhead", "新校长", "principal", "YY-S1"]])
    html = good.get_data(as_text=True)
    assert good.status_code == 200 and good.headers["Cache-Control"] == "no-store"
    assert "newhead" in html and "只显示这一次" in html
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == "newhead")).one()
        assert user.must_change_password and user.has_role(Role.PRINCIPAL, world.orgs["YY-S1"])
    again = _upload(admin, "users", [["username", "name", "role", "org"], ["newhead", "新校长", "principal", "YY-S1"]])
    assert again.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User).where(User.username == "newhead")) == 1


def test_page_import_of_orgs_stays_inside_the_admins_region(app, world, make_browser):
    admin = make_browser("admin")
    header = ["单位代码", "单位名称", "类型", "上级单位代码"]
    refused = _upload(admin, "orgs", [header, ["NB", "宁波市教育局", "市教育局", ""]])
    assert refused.status_code == 422 and "create-admin" in refused.get_data(as_text=True)
    created = _upload(admin, "orgs", [header, ["YY-T3", "凤山街道教辅室", "乡镇教辅室", "YY-C"],
                                      ["YY-S7", "凤山小学", "学校", "YY-T3"]])
    assert created.status_code == 302
    with app.app_context():
        school = db.session.scalars(select(OrgUnit).where(OrgUnit.code == "YY-S7")).one()
        assert school.path.startswith(f"/{world.orgs['YY']}/{world.orgs['YY-C']}/")


def test_page_import_refuses_an_unreadable_file(app, world, make_browser):
    admin = make_browser("admin")
    response = admin.post("/directory/import/orgs", data={"orgs-file": (io.BytesIO(b"PK\x03\x04junk"), "orgs.xlsx")},
                          content_type="multipart/form-data")
    assert response.status_code == 422 and "无法读取" in response.get_data(as_text=True)


# -- terms -------------------------------------------------------------------------------------------
def test_create_term_is_idempotent_and_refuses_overlaps(app):
    assert create_admin(app).exit_code == 0
    args = ["create-term", "--region-code", "YY", "--code", "2026-1", "--name", "2026学年第一学期",
            "--start", "2026-09-01", "--end", "2027-01-29"]
    first = run(app, *args)
    assert first.exit_code == 0 and "已创建" in first.output, output(first)
    assert "无变化" in run(app, *args).output
    overlap = run(app, "create-term", "--region-code", "YY", "--code", "2026-2", "--name", "2026学年第二学期",
                  "--start", "2027-01-20", "--end", "2027-07-09")
    assert overlap.exit_code == 1 and "重叠" in output(overlap)
    unknown = run(app, "create-term", "--region-code", "NOPE", "--code", "2026-2", "--name", "第二学期",
                  "--start", "2027-02-22", "--end", "2027-07-09")
    assert unknown.exit_code == 1 and "NOPE" in output(unknown)
    with app.app_context():
        from app.models import Term
        from app.regions import current_term

        terms = list(db.session.scalars(select(Term)))
        assert [(t.code, t.start_date.isoformat()) for t in terms] == [("2026-1", "2026-09-01")]
        assert current_term(terms[0].region_id, terms[0].start_date) == terms[0]


# -- an install that is not a checkout -----------------------------------------------------------------
def test_commands_that_need_the_checkout_say_how_to_install(app, monkeypatch, tmp_path):
    import app as package

    monkeypatch.setattr(package, "MIGRATIONS_DIR", str(tmp_path / "site-packages" / "migrations"))
    result = run(app, "db", "current")
    assert result.exit_code == 1 and "pip install -e ." in output(result)
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "BPMN_DIR", str(tmp_path))   # migrations found, no BPMN files
    result = run(app, "deploy")
    assert result.exit_code == 1 and "pip install -e ." in output(result)
    with app.app_context():
        from app.models import ProcessDefinition

        assert db.session.scalar(select(func.count()).select_from(ProcessDefinition)) == 0


def test_page_import_cannot_touch_users_of_another_region(app, world, make_browser):
    with app.app_context():
        from app.demo import create_org, create_user

        other = create_org("NB", "宁波市教育局", None, OrgType.BUREAU, None)
        create_user("nb_staff", "宁波职员", [(Role.FINANCE, other)], password_method="pbkdf2:sha256:1")
        db.session.commit()
    admin = make_browser("admin")
    response = _upload(admin, "users", [["用户名", "姓名", "角色", "单位代码"], ["nb_staff", "改名", "教师", "YY-S1"]])
    assert response.status_code == 422 and "其他区域" in response.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == "nb_staff")).one()
        assert user.display_name == "宁波职员" and len(user.roles) == 1


def test_too_many_new_users_for_one_request_are_refused_whole(app, tree):
    from app.directory.services import import_users
    from app.errors import InvalidInput

    rows = [["用户名", "姓名", "角色", "单位代码"], ["city", "王立新", "市级审核员", "YY-C"],
            ["new_one", "甲", "教师", "YY-S1"], ["new_two", "乙", "教师", "YY-S1"]]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    with app.app_context():
        with pytest.raises(InvalidInput, match="yanxiu import-users"):
            import_users(io.BytesIO(buffer.getvalue().encode()), "u.csv", actor=None, max_new=1)
        db.session.rollback()
        report = import_users(io.BytesIO(buffer.getvalue().encode()), "u.csv", actor=None, max_new=3)
        db.session.commit()
        assert report.created == 3 and len(report.passwords) == 3
    for username, _name, password in report.passwords:
        assert login(app, username, password)[1].status_code == 302


def test_region_admin_adds_and_corrects_terms_on_the_page(app, world, make_browser):
    from app.models import Term

    admin = make_browser("admin")
    page = admin.get("/directory/terms").get_data(as_text=True)
    assert "添加或更正学期" in page
    with app.app_context():
        existing = db.session.scalars(select(Term).where(Term.region_id == world.orgs["YY"])
                                      .order_by(Term.end_date.desc())).first()
        last_day, count = existing.end_date, db.session.scalar(select(func.count(Term.id)))
    # Overlapping an existing term: refused beside the start date, with what was typed kept.
    overlap = admin.post("/directory/terms", data={"region": "YY", "code": "2099-1", "name": "重叠学期",
                                                   "start": existing.start_date.isoformat(),
                                                   "end": last_day.isoformat()})
    html = overlap.get_data(as_text=True)
    assert overlap.status_code == 422
    assert any("日期重叠" in e for e in field_errors(html, "start")) and 'value="重叠学期"' in html
    missing = admin.post("/directory/terms", data={"region": "YY", "code": "", "name": "", "start": "", "end": ""})
    assert missing.status_code == 422 and field_errors(missing.get_data(as_text=True), "code") == ["请填写学期代码"]
    start, end = last_day + timedelta(days=1), last_day + timedelta(days=120)
    r = admin.post("/directory/terms", data={"region": "YY", "code": "2099-1", "name": "下一学期",
                                             "start": start.isoformat(), "end": end.isoformat()})
    assert r.status_code == 302
    r = admin.post("/directory/terms", data={"region": "YY", "code": "2099-1", "name": "下一学期（更正）",
                                             "start": start.isoformat(), "end": (end - timedelta(days=5)).isoformat()})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(Term.id))) == count + 1
        term = db.session.scalars(select(Term).where(Term.code == "2099-1")).one()
        assert (term.name, term.end_date) == ("下一学期（更正）", end - timedelta(days=5))
        actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("directory.term_%"))
                                          .order_by(AuditEvent.id)))
        assert actions == ["directory.term_created", "directory.term_updated"]
    assert "下一学期（更正）" in admin.get("/directory/terms").get_data(as_text=True)
    # A region the admin does not administer is refused.
    assert admin.post("/directory/terms", data={"region": "XA", "code": "2099-2", "name": "别的区域",
                                                "start": start.isoformat(), "end": end.isoformat()}).status_code == 422
