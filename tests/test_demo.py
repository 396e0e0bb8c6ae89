"""`yanxiu demo` prepares a usable demo: organisation, users for every role, deployed BPMN, samples."""

from __future__ import annotations

from sqlalchemy import func, select

from app.cli import demo_command
from app.extensions import db
from app.models import (
    HumanTask,
    OrgType,
    OrgUnit,
    ProjectApplication,
    ProjectStatus,
    Role,
    RoleAssignment,
    TaskStatus,
    User,
)


def test_demo_prepares_everything_and_is_idempotent(app):
    runner = app.test_cli_runner()
    result = runner.invoke(demo_command, ["--no-serve"])
    assert result.exit_code == 0, result.output
    assert "yanxiu2026" in result.output and "s1_admin" in result.output
    again = runner.invoke(demo_command, ["--no-serve"])
    assert again.exit_code == 0, again.output
    with app.app_context():
        schools = list(db.session.scalars(select(OrgUnit).where(OrgUnit.type == OrgType.SCHOOL)))
        assert len(schools) == 6 and sum(s.is_direct for s in schools) == 1
        assert db.session.scalar(select(func.count()).select_from(OrgUnit).where(
            OrgUnit.type == OrgType.TOWNSHIP)) == 2
        roles = set(db.session.scalars(select(RoleAssignment.role)))
        assert roles == set(Role)
        assert db.session.scalar(select(func.count()).select_from(User)) == 26
        statuses = sorted(p.status for p in db.session.scalars(select(ProjectApplication)))
        assert statuses == sorted([ProjectStatus.APPROVED, ProjectStatus.TOWNSHIP_REVIEW, ProjectStatus.CITY_REVIEW])
        waiting = {t.role for t in db.session.scalars(select(HumanTask).where(HumanTask.status == TaskStatus.OPEN))}
        assert waiting == {Role.TOWNSHIP_REVIEWER.value, Role.CITY_REVIEWER.value,  # 项目申报 samples
                           Role.SCHOOL_ADMIN.value,   # 学期检查: the schools' self-checks
                           Role.PRINCIPAL.value}      # 整改: the issued order waits for 签收


def test_every_demo_login_works(app, make_browser):
    app.test_cli_runner().invoke(demo_command, ["--no-serve"])
    for username in ("admin", "city", "inspector", "expert", "town1", "town2", "s1_admin", "s1_principal",
                     "s1_teacher", "s6_admin"):
        browser = make_browser(username)
        assert browser.get("/tasks").status_code == 200
