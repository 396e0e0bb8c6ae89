"""Demo data: one city with two townships and six schools (one 直属), users for every role."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import HumanTask, OrgType, OrgUnit, Role, RoleAssignment, TaskStatus, Term, User

DEMO_PASSWORD = "yanxiu2026"

ORGS = [
    # code, name, short name, type, parent code, 直属
    ("YY", "余姚市教育局", "市教育局", OrgType.BUREAU, None, False),
    ("YY-C", "余姚市师干训中心", "师干训中心", OrgType.CENTER, "YY", False),
    ("YY-T1", "阳明街道教辅室", "阳明教辅室", OrgType.TOWNSHIP, "YY-C", False),
    ("YY-T2", "梨洲街道教辅室", "梨洲教辅室", OrgType.TOWNSHIP, "YY-C", False),
    ("YY-S1", "余姚市阳明小学", "阳明小学", OrgType.SCHOOL, "YY-T1", False),
    ("YY-S2", "余姚市阳明中学", "阳明中学", OrgType.SCHOOL, "YY-T1", False),
    ("YY-S3", "余姚市梨洲小学", "梨洲小学", OrgType.SCHOOL, "YY-T2", False),
    ("YY-S4", "余姚市梨洲中学", "梨洲中学", OrgType.SCHOOL, "YY-T2", False),
    ("YY-S5", "余姚市梨洲幼儿园", "梨洲幼儿园", OrgType.SCHOOL, "YY-T2", False),
    ("YY-S6", "余姚市实验学校", "实验学校", OrgType.SCHOOL, "YY-C", True),
]

USERS = [
    # username, display name, role, org code
    ("admin", "系统管理员", Role.ADMIN, "YY"),
    ("city", "王立新", Role.CITY_REVIEWER, "YY-C"),
    ("inspector", "陈督导", Role.INSPECTOR, "YY-C"),
    ("director", "周主任", Role.CENTER_HEAD, "YY-C"),
    ("finance", "吴会计", Role.FINANCE, "YY"),
    ("expert", "李专家", Role.EXPERT, "YY-C"),
    ("town1", "赵阳明", Role.TOWNSHIP_REVIEWER, "YY-T1"),
    ("town2", "钱梨洲", Role.TOWNSHIP_REVIEWER, "YY-T2"),
]
SCHOOL_PEOPLE = [
    # suffix, role, name pattern
    ("admin", Role.SCHOOL_ADMIN, "{short}师训站长"),
    ("principal", Role.PRINCIPAL, "{short}校长"),
    ("teacher", Role.TEACHER, "{short}教师"),
]

TERMS = [
    ("2025-2", "2025学年第二学期", date(2026, 2, 23), date(2026, 7, 10)),
    ("2026-1", "2026学年第一学期", date(2026, 9, 1), date(2027, 1, 29)),
    ("2026-2", "2026学年第二学期", date(2027, 2, 22), date(2027, 7, 9)),
]


def create_org(code: str, name: str, short_name: str | None, type_: OrgType, parent: OrgUnit | None,
               is_direct: bool = False) -> OrgUnit:
    """Create an org and fill in its materialised path."""
    org = OrgUnit(code=code, name=name, short_name=short_name, type=type_, parent=parent, is_direct=is_direct)
    db.session.add(org)
    db.session.flush()
    org.path = (parent.path if parent else "/") + f"{org.id}/"
    return org


def create_user(username: str, display_name: str, roles: list[tuple[Role, OrgUnit]], *,
                password: str = DEMO_PASSWORD, password_method: str | None = None) -> User:
    user = User(username=username, display_name=display_name)
    if password_method:
        from werkzeug.security import generate_password_hash

        user.password_hash = generate_password_hash(password, method=password_method)
    else:
        user.set_password(password)
    user.roles = [RoleAssignment(role=role, org=org) for role, org in roles]
    db.session.add(user)
    return user


def seed_demo(password_method: str | None = None) -> list[tuple[str, str, str]]:
    """Create the demo data if it is not there yet; return (username, name, role text) rows."""
    orgs: dict[str, OrgUnit] = {o.code: o for o in db.session.scalars(select(OrgUnit))}
    if "YY" not in orgs:
        for code, name, short, type_, parent, direct in ORGS:
            orgs[code] = create_org(code, name, short, type_, orgs.get(parent) if parent else None, direct)
        for code, name, start, end in TERMS:
            db.session.add(Term(region_id=orgs["YY"].id, code=code, name=name, start_date=start, end_date=end))
        for username, name, role, org_code in USERS:
            create_user(username, name, [(role, orgs[org_code])], password_method=password_method)
        for index in range(1, 7):
            school = orgs[f"YY-S{index}"]
            for suffix, role, pattern in SCHOOL_PEOPLE:
                create_user(f"s{index}_{suffix}", pattern.format(short=school.short_name), [(role, school)],
                            password_method=password_method)
        db.session.flush()
    rows = []
    for user in db.session.scalars(select(User).order_by(User.id)):
        roles = "，".join(f"{ra.role.label}·{ra.org.display_name}" for ra in user.roles)
        rows.append((user.username, user.display_name, roles))
    return rows


SAMPLES = [
    # school code, title, how far it has gone: list of (username, decision) after the draft
    ("YY-S4", "“双减”背景下初中作业设计的校本研修", [("s4_principal", "approve"), ("town2", "approve"),
                                                ("city", "approve")]),
    ("YY-S2", "青年教师课堂观察与诊断能力提升", [("s2_principal", "approve")]),
    ("YY-S6", "信息技术与学科教学深度融合实践", [("s6_principal", "approve")]),
]


def seed_sample_applications() -> int:
    """A few applications at different stages, so every reviewer finds something in 待办.

    Runs through the real services, exactly as the pages would. Does nothing if any application
    exists already. Returns the number created.
    """
    from app.models import ProjectApplication
    from app.processes.registry import Completion
    from app.processes.runtime import complete_task
    from app.projects.services import create_application, terms_for
    from app.vocab import RESEARCH_DOMAINS

    if db.session.scalars(select(ProjectApplication.id).limit(1)).first() is not None:
        return 0
    users = {u.username: u for u in db.session.scalars(select(User))}
    created = 0
    for school_code, title, steps in SAMPLES:
        school = db.session.scalars(select(OrgUnit).where(OrgUnit.code == school_code)).one()
        drafter = users[f"s{school_code[-1]}_admin"]
        project = create_application(actor=drafter, school_id=school.id)
        terms = terms_for(school)
        project.title = title
        project.domain = "教师发展"
        project.modules = list(RESEARCH_DOMAINS["教师发展"][:2])
        project.forms = ["同伴互助", "专家引领"]
        project.problem = "青年教师占比高，课堂组织与作业设计能力参差不齐。"
        project.goals = "两个学期内形成可推广的课例与作业设计案例。"
        project.target_group = "青年教师"
        project.start_term_id, project.end_term_id = terms[1].id, terms[-1].id
        project.leader = drafter.display_name
        project.team = ["语文教研组长", "数学教研组长"]
        project.planned_hours = 36
        project.budget = 12000
        project.expected_outcomes = "课例集一册，研修报告一份。"
        project.instance.title = title
        project.round = 1
        submit = _open_task(project.instance_id)
        complete_task(submit, actor=drafter, apply=lambda t, r: Completion({}, "submit", "请审核"))
        for username, decision in steps:
            task_id = _open_task(project.instance_id)
            variable = db.session.get(HumanTask, task_id).properties["decisionVariable"]
            complete_task(task_id, actor=users[username],
                          apply=lambda t, r, v=variable, d=decision: Completion({v: d}, d, "同意"))
        created += 1
    return created


def _open_task(instance_id: int) -> int:
    return db.session.scalars(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                         HumanTask.status == TaskStatus.OPEN)).one()


def reset_demo_storage(app: Flask) -> None:
    """Remove the SQLite database and attachment folder named by the configuration."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("sqlite:///"):
        raise SystemExit("--reset only works with the SQLite demo database")
    db.engine.dispose()
    path = Path(uri.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    shutil.rmtree(app.config["ATTACHMENT_ROOT"], ignore_errors=True)
