"""`yanxiu demo` prepares a usable demo: organisation, users for every role, deployed BPMN, samples."""

from __future__ import annotations

from sqlalchemy import func, select

from app.cli import demo_command
from app.extensions import db
from app.models import (
    HumanTask,
    OrgType,
    OrgUnit,
    PolicyVersion,
    ProcessInstance,
    ProjectApplication,
    ProjectStatus,
    Role,
    RoleAssignment,
    RoundStatus,
    SelectionRound,
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
        yuyao = db.session.scalars(select(OrgUnit).where(OrgUnit.code == "YY")).one()
        in_yuyao = OrgUnit.path.startswith(yuyao.path)
        schools = list(db.session.scalars(select(OrgUnit).where(OrgUnit.type == OrgType.SCHOOL, in_yuyao)))
        assert len(schools) == 6 and sum(s.is_direct for s in schools) == 1
        assert db.session.scalar(select(func.count()).select_from(OrgUnit).where(
            OrgUnit.type == OrgType.TOWNSHIP, in_yuyao)) == 2
        roles = set(db.session.scalars(select(RoleAssignment.role)))
        assert roles == set(Role)
        assert db.session.scalar(select(func.count()).select_from(User).join(RoleAssignment).join(OrgUnit).where(
            in_yuyao)) == 27  # incl. 中心主任 and 财务人员 (issue 4), a second expert (issue 5)
        # One region per seed document; every region has its policy.
        assert db.session.scalar(select(func.count()).select_from(OrgUnit).where(OrgUnit.parent_id.is_(None))) == 5
        assert db.session.scalar(select(func.count(func.distinct(PolicyVersion.region_id)))) == 5
        statuses = sorted(p.status for p in db.session.scalars(select(ProjectApplication)))
        assert statuses == sorted([ProjectStatus.APPROVED, ProjectStatus.TOWNSHIP_REVIEW, ProjectStatus.CITY_REVIEW])
        waiting = {t.role for t in db.session.scalars(select(HumanTask).join(ProcessInstance).where(
            HumanTask.status == TaskStatus.OPEN, ProcessInstance.process_key == "project_application"))}
        assert waiting == {Role.TOWNSHIP_REVIEWER.value, Role.CITY_REVIEWER.value}
        # The term's planning is open: a draft for every 余姚 school but 阳明中学, whose plan is approved.
        drafts = {t.instance.school.code for t in db.session.scalars(select(HumanTask).where(
            HumanTask.status == TaskStatus.OPEN, HumanTask.bpmn_id == "Task_draft"))}
        assert drafts == {f"YY-S{n}" for n in (1, 3, 4, 5, 6)}
        # A 示范学校 round is open for applications, with an application and a township's nomination.
        round_ = db.session.scalars(select(SelectionRound)).one()
        assert round_.status == RoundStatus.OPEN
        assert sorted((n.school.code, n.recommend_rank) for n in round_.nominations) == [("YY-S1", None), ("YY-S4", 1)]


def test_every_demo_login_works(app, make_browser):
    app.test_cli_runner().invoke(demo_command, ["--no-serve"])
    for username in ("admin", "city", "inspector", "expert", "town1", "town2", "s1_admin", "s1_principal",
                     "s1_teacher", "s6_admin"):
        browser = make_browser(username)
        assert browser.get("/tasks").status_code == 200
