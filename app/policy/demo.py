"""Demo data for region policies: the four other seed regions, each with its centre, a township
level where the seed has one, a couple of schools (one 直属/县直 where that applies) and users for
every role; and every region bound to its seed profile. 余姚 (created by app.demo) is left as it is."""

from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.demo import DEMO_PASSWORD, TERMS, create_org, create_user
from app.extensions import db
from app.models import OrgType, OrgUnit, PolicyVersion, Role, Term
from app.policy.services import bind_profile

#: code prefix, login prefix, profile, orgs: (suffix, name, short, type, parent suffix, direct)
REGIONS = [
    ("XA", "xa", "county", [
        ("", "某县教育局", "县教育局", OrgType.BUREAU, None, False),
        ("-C", "某县教科所", "县教科所", OrgType.CENTER, "", False),
        ("-T1", "城关镇中心校", "城关中心校", OrgType.TOWNSHIP, "-C", False),
        ("-S1", "城关镇第一小学", "城关一小", OrgType.SCHOOL, "-T1", False),
        ("-S2", "城关镇幼儿园", "城关幼儿园", OrgType.SCHOOL, "-T1", False),
        ("-S3", "县直实验小学", "县直实验小学", OrgType.SCHOOL, "-C", True),
    ]),
    ("PT", "pt", "putuo", [
        ("", "上海市普陀区教育局", "普陀区教育局", OrgType.BUREAU, None, False),
        ("-C", "普陀区教育学院", "区教育学院", OrgType.CENTER, "", False),
        ("-S1", "普陀区第一中心小学", "第一中心小学", OrgType.SCHOOL, "-C", True),
        ("-S2", "普陀区实验中学", "实验中学", OrgType.SCHOOL, "-C", True),
    ]),
    ("YQ", "yq", "yueqing", [
        ("", "乐清市教育局", "乐清市教育局", OrgType.BUREAU, None, False),
        ("-C", "乐清市教育研究培训院", "研训院", OrgType.CENTER, "", False),
        ("-T1", "乐成学区", "乐成学区", OrgType.TOWNSHIP, "-C", False),
        ("-S1", "乐清市乐成第一小学", "乐成一小", OrgType.SCHOOL, "-T1", False),
        ("-S2", "乐清市实验中学", "乐清实验中学", OrgType.SCHOOL, "-C", True),
    ]),
    ("QL", "ql", "qingliu", [
        ("", "清流县教育局", "清流县教育局", OrgType.BUREAU, None, False),
        ("-C", "清流县教师进修学校", "进修学校", OrgType.CENTER, "", False),
        ("-T1", "城区教研片", "城区教研片", OrgType.TOWNSHIP, "-C", False),
        ("-S1", "清流县城关小学", "城关小学", OrgType.SCHOOL, "-T1", False),
        ("-S2", "清流县第一中学", "清流一中", OrgType.SCHOOL, "-C", True),
    ]),
]

YUYAO = ("YY", "yuyao")
SCHOOL_ROLES = (("admin", Role.SCHOOL_ADMIN, "{short}管理员"), ("principal", Role.PRINCIPAL, "{short}校长"),
                ("teacher", Role.TEACHER, "{short}教师"))


def seed_regions(password_method: str | None = None) -> list[str]:
    """Create the four other regions (if missing) and bind every region to its profile.

    Returns the logins created. Idempotent: an existing region or policy is left alone.
    """
    created: list[str] = []
    existing = {o.code for o in db.session.scalars(select(OrgUnit).where(OrgUnit.parent_id.is_(None)))}
    for code, login, _profile, orgs in REGIONS:
        if code in existing:
            continue
        made: dict[str, OrgUnit] = {}
        for suffix, name, short, type_, parent, direct in orgs:
            made[suffix] = create_org(code + suffix, name, short, type_, made[parent] if parent is not None else None,
                                      direct)
        root = made[""]
        for term_code, name, start, end in TERMS:
            db.session.add(Term(region_id=root.id, code=term_code, name=name, start_date=start, end_date=end))
        people = [(f"{login}_admin", f"{root.short_name}管理员", Role.ADMIN, root),
                  (f"{login}_center", f"{made['-C'].short_name}审核员", Role.CITY_REVIEWER, made["-C"])]
        if "-T1" in made:
            people.append((f"{login}_town", f"{made['-T1'].short_name}审核员", Role.TOWNSHIP_REVIEWER, made["-T1"]))
        for suffix, org in made.items():
            if org.type != OrgType.SCHOOL:
                continue
            number = suffix.removeprefix("-S")
            for role_suffix, role, pattern in SCHOOL_ROLES:
                people.append((f"{login}{number}_{role_suffix}", pattern.format(short=org.short_name), role, org))
        # Every demo login shares the published demo password, so one hash serves them all (a
        # strong hash per user would cost seconds for nothing).
        shared = generate_password_hash(DEMO_PASSWORD, **({"method": password_method} if password_method else {}))
        for username, display, role, org in people:
            user = create_user(username, display, [(role, org)], password_method="pbkdf2:sha256:1")
            user.password_hash = shared
            created.append(username)
        db.session.flush()
    bind_all_profiles()
    return created


def bind_all_profiles() -> None:
    """Bind each demo region that has no policy yet to its seed profile."""
    bindings = [YUYAO] + [(code, profile) for code, _login, profile, _orgs in REGIONS]
    for code, profile in bindings:
        region = db.session.scalars(select(OrgUnit).where(OrgUnit.code == code, OrgUnit.parent_id.is_(None))).first()
        if region is None:
            continue
        has_policy = db.session.scalars(select(PolicyVersion.id).where(PolicyVersion.region_id == region.id)).first()
        if has_policy is None:
            bind_profile(region.id, profile, actor=None)
    db.session.flush()
