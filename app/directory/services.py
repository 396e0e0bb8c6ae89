"""Setting up a region: its first administrator, then the org tree and the users from a file.

Both imports follow the teacher import (``app.teachers.services.import_teachers``): read the table with
:func:`app.tabular.read_table`, validate every row, and write nothing unless every row is good. They are
keyed by org code and username, so running the same file again changes nothing (or only renames).
``actor`` is the region admin on the web page, or None for the ``yanxiu`` command line (the operator
at the server's shell, who may set up any region).
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import BinaryIO

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app import audit
from app.auth.services import generate_password, password_problem, username_problem
from app.errors import Forbidden, InvalidInput
from app.extensions import db
from app.models import ROLE_NAMES, OrgType, OrgUnit, Role, RoleAssignment, Term, User
from app.models.org import ORG_TYPE_LABELS
from app.models.user import ROLE_ORG_TYPES, role_allowed_at
from app.regions import administered_regions, region_id_of
from app.tabular import ImportReport, RowError, read_table

ORG_COLUMNS = {
    "code": ("单位代码", "代码", "编码", "机构代码", "code"),
    "name": ("单位名称", "名称", "name"),
    "short_name": ("简称", "short_name", "short name"),
    "type": ("类型", "单位类型", "type"),
    "parent": ("上级单位代码", "上级代码", "上级", "parent", "parent_code", "parent code"),
    "direct": ("直属", "是否直属", "direct", "is_direct"),
}
USER_COLUMNS = {
    "username": ("用户名", "登录名", "账号", "username", "login"),
    "name": ("姓名", "name", "display_name", "display name"),
    "role": ("角色", "role"),
    "org": ("单位代码", "所在单位代码", "单位", "org", "org_code", "org code"),
    "email": ("电子邮箱", "邮箱", "email", "e-mail"),
    "password": ("初始密码", "密码", "password", "initial_password"),
}
#: What the type column may say for each org type (the label first; 进修学校 etc. are what seeds call a centre).
ORG_TYPE_NAMES: dict[OrgType, tuple[str, ...]] = {
    OrgType.BUREAU: ("市教育局", "教育局", "县教育局", "区教育局"),
    OrgType.CENTER: ("师干训中心", "教师进修学校", "进修学校", "教科所", "研训院", "中心"),
    OrgType.TOWNSHIP: ("乡镇教辅室", "教辅室", "师训总站", "乡镇中心校", "教研片", "乡镇"),
    OrgType.SCHOOL: ("学校", "幼儿园"),
}
#: The parent an org of each type may hang under (a 直属 school hangs under the centre or the bureau).
PARENT_TYPES: dict[OrgType, frozenset[OrgType]] = {
    OrgType.BUREAU: frozenset(),
    OrgType.CENTER: frozenset({OrgType.BUREAU}),
    OrgType.TOWNSHIP: frozenset({OrgType.CENTER, OrgType.BUREAU}),
    OrgType.SCHOOL: frozenset({OrgType.TOWNSHIP, OrgType.CENTER, OrgType.BUREAU}),
}
#: The example files (also shipped as docs/templates/orgs.csv and users.csv, which a test keeps equal).
TEMPLATES: dict[str, list[list[str]]] = {
    "orgs": [
        ["单位代码", "单位名称", "简称", "类型", "上级单位代码", "直属"],
        ["YY-C", "余姚市师干训中心", "师干训中心", "师干训中心", "YY", "否"],
        ["YY-T1", "阳明街道教辅室", "阳明教辅室", "乡镇教辅室", "YY-C", "否"],
        ["YY-S1", "余姚市阳明小学", "阳明小学", "学校", "YY-T1", "否"],
        ["YY-S6", "余姚市实验学校", "实验学校", "学校", "YY-C", "是"],
    ],
    "users": [
        ["用户名", "姓名", "角色", "单位代码", "电子邮箱", "初始密码"],
        ["city", "王立新", "市级审核员", "YY-C", "wanglx@example.edu.cn", ""],
        ["director", "周主任", "中心主任", "YY-C", "", ""],
        ["town1", "赵阳明", "乡镇审核员", "YY-T1", "", ""],
        ["s1_admin", "阳明小学师训站长", "学校管理员", "YY-S1", "", ""],
        ["s1_principal", "阳明小学校长", "校长", "YY-S1", "", ""],
        ["s6_admin", "实验学校师训站长", "学校管理员", "YY-S6", "", ""],
        ["s6_principal", "实验学校校长", "校长", "YY-S6", "", ""],
        ["expert1", "李专家", "评审专家", "YY-C", "", ""],
    ],
}
YES = frozenset({"是", "y", "yes", "true", "1", "直属", "√"})
NO = frozenset({"", "否", "n", "no", "false", "0"})
ORG_CODE = re.compile(r"^[0-9A-Za-z\-_.]{1,40}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _norm(text: str) -> str:
    return "".join(text.split()).lower()


def _lookup(names: dict, text: str):
    return {_norm(n): key for key, values in names.items() for n in (key.value, *values)}.get(_norm(text))


def parse_org_type(text: str) -> OrgType | None:
    return _lookup(ORG_TYPE_NAMES, text)


def parse_role(text: str) -> Role | None:
    """A role from its code (``school_admin``) or any of its Chinese names (校长, 师训站长…)."""
    return _lookup(ROLE_NAMES, text)


def _type_names(types) -> str:
    return _("、").join(_(ORG_TYPE_LABELS[t]) for t in OrgType if t in types)


def _require_region(actor: User | None, org: OrgUnit) -> None:
    if actor is not None and region_id_of(org) not in {r.id for r in administered_regions(actor)}:
        raise Forbidden(_("只有本区域的系统管理员可以导入单位和用户"))


# -- the first administrator -----------------------------------------------------------------------
@dataclass(frozen=True)
class AdminResult:
    user: User
    region: OrgUnit
    region_created: bool


def roots() -> list[OrgUnit]:
    return list(db.session.scalars(select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id)))


def create_admin(*, username: str, display_name: str, password: str, region_code: str | None = None,
                 region_name: str | None = None) -> AdminResult:
    """Create a 系统管理员 at a region's root org, creating the root (a 教育局) when there is none.

    With one region the admin joins it; with several ``region_code`` chooses. Raises
    :class:`InvalidInput` naming the option at fault: an existing username, a weak password, a missing
    region name or code.
    """
    username, display_name = (username or "").strip(), (display_name or "").strip()
    problem = username_problem(username)
    if problem:
        raise InvalidInput(problem, field="username")
    if db.session.scalars(select(User.id).where(User.username == username)).first() is not None:
        raise InvalidInput(_("用户名 %(name)s 已存在，未做任何更改", name=username), field="username")
    if not display_name or len(display_name) > 64:
        raise InvalidInput(_("请填写姓名（不超过 64 字）"), field="display_name")
    problem = password_problem(password, username)
    if problem:
        raise InvalidInput(problem, field="password")
    region_code = (region_code or "").strip() or None
    region_name = (region_name or "").strip() or None
    existing = roots()
    created = False
    if region_code:
        region = next((r for r in existing if r.code == region_code), None)
        if region is None and db.session.scalars(select(OrgUnit.id).where(OrgUnit.code == region_code)).first():
            raise InvalidInput(_("单位代码 %(code)s 已被一个非区域根单位使用", code=region_code), field="region_code")
    elif len(existing) == 1:
        region = existing[0]
    elif existing:
        raise InvalidInput(_("已有多个区域（%(codes)s），请用 --region-code 指定", codes=", ".join(r.code for r in existing)),
                           field="region_code")
    else:
        raise InvalidInput(_("数据库中还没有区域，请用 --region-code 和 --region-name 给出区域根单位（市教育局）"),
                           field="region_code")
    if region is None:
        if not ORG_CODE.match(region_code or ""):
            raise InvalidInput(_("单位代码只能包含字母、数字和 - _ .，最长 40 位"), field="region_code")
        if not region_name or len(region_name) > 100:
            raise InvalidInput(_("新建区域需要 --region-name（如“余姚市教育局”，不超过 100 字）"), field="region_name")
        region = OrgUnit(code=region_code, name=region_name, type=OrgType.BUREAU)
        db.session.add(region)
        db.session.flush()
        region.path = f"/{region.id}/"
        created = True
        audit.record("directory.org_created", actor=None, code=region.code, name=region.name)
    user = User(username=username, display_name=display_name, must_change_password=False)
    user.set_password(password)
    user.roles = [RoleAssignment(role=Role.ADMIN, org_id=region.id)]
    db.session.add(user)
    db.session.flush()
    audit.record("directory.admin_created", actor=None, username=username, region=region.code)
    return AdminResult(user, region, created)


# -- terms ---------------------------------------------------------------------------------------
TERM_CODE = re.compile(r"^[0-9A-Za-z\-_.]{1,20}$")


def define_term(region_code: str, code: str, name: str, start: date, end: date, *,
                actor: User | None = None) -> tuple[Term, str]:
    """Create a region's term (学期), or update the name and dates of the one with this code.

    Returns the term and what happened: ``created``, ``updated`` or ``unchanged``. Terms of a region
    must not overlap (the current term is the one whose dates contain today).
    """
    region = next((r for r in roots() if r.code == (region_code or "").strip()), None)
    if region is None:
        raise InvalidInput(_("区域 %(code)s 不存在（须为组织树的根单位代码）", code=region_code), field="region_code")
    code, name = (code or "").strip(), (name or "").strip()
    if not TERM_CODE.match(code):
        raise InvalidInput(_("学期代码只能包含字母、数字和 - _ .，最长 20 位（如 2026-1）"), field="code")
    if not name or len(name) > 40:
        raise InvalidInput(_("请填写学期名称（不超过 40 字）"), field="name")
    if end <= start:
        raise InvalidInput(_("学期结束日期须晚于开始日期"), field="end")
    terms = list(db.session.scalars(select(Term).where(Term.region_id == region.id)))
    term = next((t for t in terms if t.code == code), None)
    for other in terms:
        if other is not term and other.start_date <= end and start <= other.end_date:
            raise InvalidInput(_("与学期“%(name)s”（%(start)s 至 %(end)s）的日期重叠", name=other.name,
                                 start=other.start_date.isoformat(), end=other.end_date.isoformat()), field="start")
    if term is None:
        term = Term(region_id=region.id, code=code, name=name, start_date=start, end_date=end)
        db.session.add(term)
        outcome = "created"
    elif (term.name, term.start_date, term.end_date) == (name, start, end):
        return term, "unchanged"
    else:
        term.name, term.start_date, term.end_date = name, start, end
        outcome = "updated"
    db.session.flush()
    audit.record(f"directory.term_{outcome}", actor=actor, region=region.code, code=code, name=name,
                 start=start.isoformat(), end=end.isoformat())
    return term, outcome


# -- the org tree ----------------------------------------------------------------------------------
@dataclass
class _OrgRow:
    number: int
    code: str
    name: str
    short_name: str | None
    type: OrgType
    parent: str
    direct: bool


def _org_row_problems(number: int, row: dict[str, str]) -> tuple[_OrgRow | None, list[str]]:
    problems: list[str] = []
    code, name = row.get("code", ""), row.get("name", "")
    if not code:
        problems.append(_("请填写单位代码"))
    elif not ORG_CODE.match(code):
        problems.append(_("单位代码只能包含字母、数字和 - _ .，最长 40 位"))
    if not name:
        problems.append(_("请填写单位名称"))
    elif len(name) > 100:
        problems.append(_("单位名称不能超过 100 字"))
    if len(row.get("short_name") or "") > 40:
        problems.append(_("简称不能超过 40 字"))
    type_ = parse_org_type(row.get("type", ""))
    if type_ is None:
        problems.append(_("类型“%(text)s”无法识别，应为：%(names)s", text=row.get("type", ""),
                          names=_type_names(OrgType)))
    direct_text = (row.get("direct") or "").strip().lower()
    if direct_text not in YES | NO:
        problems.append(_("“直属”一列应填“是”或“否”"))
    if problems:
        return None, problems
    return _OrgRow(number, code, name, row.get("short_name") or None, type_, row.get("parent") or "",
                   direct_text in YES), []


def import_orgs(stream: BinaryIO, filename: str, *, actor: User | None) -> ImportReport:
    """Create or rename orgs from a file (code, name, type, parent code, 直属): all rows or none.

    Rows may come in any order (a parent after its children). Existing orgs, matched by code, get the
    file's name and short name; their type and parent must not change (moving an org would move its
    records to another reviewer). Errors: unreadable rows, a code twice, an unknown parent, a parent of
    the wrong type, a 直属 flag that contradicts the parent, and parents that form a cycle.
    """
    table = read_table(stream, filename, ORG_COLUMNS, required=("code", "name", "type"))
    report = ImportReport()
    existing = {o.code: o for o in db.session.scalars(select(OrgUnit))}
    rows: dict[str, _OrgRow] = {}
    for number, raw in table.rows:
        label = raw.get("code") or raw.get("name") or "—"
        row, problems = _org_row_problems(number, raw)
        report.errors += [RowError(number, label, p) for p in problems]
        if row is None:
            continue
        if row.code in rows:
            report.errors.append(RowError(number, label, _("单位代码 %(code)s 与第 %(row)s 行重复",
                                                           code=row.code, row=rows[row.code].number)))
            continue
        rows[row.code] = row

    def parent_type(row: _OrgRow) -> OrgType | None:
        if row.parent in rows:
            return rows[row.parent].type
        return existing[row.parent].type if row.parent in existing else None

    for row in rows.values():
        bad = lambda message, r=row: report.errors.append(RowError(r.number, r.code, message))  # noqa: E731
        current = existing.get(row.code)
        if current is not None:
            if current.type != row.type:
                bad(_("单位 %(code)s 已存在，类型为“%(type)s”，导入不能改变单位类型", code=row.code,
                      type=_(current.type.label)))
            current_parent = current.parent.code if current.parent else ""
            if current_parent != row.parent:
                bad(_("单位 %(code)s 已挂在“%(parent)s”下，导入不能移动单位", code=row.code,
                      parent=current_parent or _("（无，区域根单位）")))
            if actor is not None:
                _check_actor(actor, current, bad)
            continue
        if not row.parent:
            if row.type != OrgType.BUREAU:
                bad(_("请填写上级单位代码（只有市教育局可以作为区域根单位）"))
            elif actor is not None:
                bad(_("新建区域请在服务器上使用 yanxiu create-admin"))
            continue
        if row.parent == row.code:
            bad(_("上级单位不能是自己"))
            continue
        ptype = parent_type(row)
        if ptype is None:
            bad(_("上级单位代码 %(code)s 不存在（文件和系统中都没有）", code=row.parent))
            continue
        if ptype not in PARENT_TYPES[row.type]:
            bad(_("“%(type)s”的上级应为%(allowed)s，而 %(code)s 是“%(ptype)s”", type=_(row.type.label),
                  allowed=_type_names(PARENT_TYPES[row.type]) or _("（无）"), code=row.parent, ptype=_(ptype.label)))
            continue
        if row.direct and row.type != OrgType.SCHOOL:
            bad(_("只有学校可以标为直属"))
        elif row.type == OrgType.SCHOOL and row.direct != (ptype != OrgType.TOWNSHIP):
            bad(_("直属学校应挂在师干训中心或教育局下，非直属学校应挂在乡镇教辅室下；请核对“直属”一列")
                if row.direct else _("学校挂在%(ptype)s下即为直属学校，请在“直属”一列填“是”", ptype=_(ptype.label)))
    # Cycles: new orgs whose chain of parents inside the file never reaches an existing org.
    for row in rows.values():
        if row.code in existing:
            continue
        chain, code = [row.code], row.parent
        while code in rows and code not in existing and code not in chain:
            chain.append(code)
            code = rows[code].parent
        if code in chain:
            loop = chain[chain.index(code):] + [code]
            report.errors.append(RowError(row.number, row.code, _("上级关系形成循环：%(chain)s",
                                                                  chain=" → ".join(loop))))
        elif actor is not None and code in existing:
            _check_actor(actor, existing[code],
                         lambda m, r=row: report.errors.append(RowError(r.number, r.code, m)))
    if report.errors:
        report.errors.sort(key=lambda e: e.row)
        return report
    orgs = dict(existing)
    pending = list(rows.values())
    while pending:
        ready = [r for r in pending if not r.parent or r.parent in orgs]
        assert ready, "validation lets no unresolved parent through"
        for row in ready:
            current = orgs.get(row.code)
            if current is None:
                parent = orgs.get(row.parent)
                org = OrgUnit(code=row.code, name=row.name, short_name=row.short_name, type=row.type,
                              parent=parent, is_direct=row.direct)
                db.session.add(org)
                db.session.flush()
                org.path = (parent.path if parent else "/") + f"{org.id}/"
                orgs[row.code] = org
                report.created += 1
            elif (current.name, current.short_name) != (row.name, row.short_name or current.short_name):
                current.name, current.short_name = row.name, row.short_name or current.short_name
                report.updated += 1
            else:
                report.unchanged += 1
        pending = [r for r in pending if r not in ready]
    db.session.flush()
    audit.record("directory.orgs_imported", actor=actor, filename=filename, created=report.created,
                 updated=report.updated, unchanged=report.unchanged)
    return report


def _check_actor(actor: User, org: OrgUnit, bad) -> None:
    try:
        _require_region(actor, org)
    except Forbidden as err:
        bad(err.message)


# -- users -----------------------------------------------------------------------------------------
@dataclass
class UserImportReport(ImportReport):
    """An :class:`ImportReport` plus the passwords generated for new users (shown or written once)."""

    roles_added: int = 0
    passwords: list[tuple[str, str, str]] = field(default_factory=list)  # username, name, password


def _hash_all(passwords: list[str]) -> list[str]:
    """Hash the new users' passwords on every core: scrypt costs ~70 ms each, so a region's 900 users
    would take over a minute in one thread (hashlib releases the GIL while it hashes)."""
    if len(passwords) < 8:
        return [generate_password_hash(p) for p in passwords]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return list(pool.map(generate_password_hash, passwords))


def import_users(stream: BinaryIO, filename: str, *, actor: User | None,
                 max_new: int | None = None) -> UserImportReport:
    """Create users with their roles from a file (username, name, role, org code, e-mail, password).

    A user with several roles has one row per role. New users get the file's password (which must
    meet the password rules) or a generated one, and must change it at first login. Existing users,
    matched by username, keep their password; the import updates their name and e-mail and adds
    missing roles (it never removes one). Errors: unreadable rows, an unknown role or org, a role not
    held at that kind of org, the same username with different names, the same role twice.
    """
    table = read_table(stream, filename, USER_COLUMNS, required=("username", "name", "role", "org"))
    report = UserImportReport()
    orgs = {o.code: o for o in db.session.scalars(select(OrgUnit))}
    users = {u.username: u for u in db.session.scalars(select(User))}
    people: dict[str, dict] = {}
    seen_roles: dict[tuple[str, Role, str], int] = {}
    for number, row in table.rows:
        username = row.get("username", "")
        bad = lambda message, u=username or row.get("name") or "—", n=number: report.errors.append(  # noqa: E731
            RowError(n, u, message))
        name_problem = username_problem(username)
        if name_problem:
            bad(name_problem)
        name = row.get("name", "")
        if not name or len(name) > 64:
            bad(_("请填写姓名（不超过 64 字）"))
        email = row.get("email", "")
        if email and (len(email) > 255 or not EMAIL.match(email)):
            bad(_("电子邮箱格式不正确"))
        role = parse_role(row.get("role", ""))
        if role is None:
            bad(_("角色“%(text)s”无法识别，应为：%(names)s", text=row.get("role", ""),
                  names=_("、").join(_(names[0]) for names in ROLE_NAMES.values())))
        org = orgs.get(row.get("org", ""))
        if org is None:
            bad(_("单位代码 %(code)s 不存在，请先导入单位", code=row.get("org", "")))
        elif role == Role.ADMIN and org.parent_id is not None:
            bad(_("系统管理员只能设在区域根单位"))
        elif role is not None and not role_allowed_at(role, org):
            bad(_("“%(role)s”应设在%(allowed)s，不能设在“%(org)s”（%(type)s）", role=_(role.label),
                  allowed=_type_names(ROLE_ORG_TYPES[role]), org=org.name, type=_(org.type.label)))
        elif actor is not None:
            _check_actor(actor, org, bad)
        existing_user = users.get(username)
        if actor is not None and existing_user is not None and existing_user.id != actor.id:
            mine = {r.id for r in administered_regions(actor)}
            if any(region_id_of(ra.org) not in mine for ra in existing_user.roles):
                bad(_("用户名 %(name)s 已被其他区域的用户使用", name=username))
        password = row.get("password", "")
        if password and username not in users:
            problem = password_problem(password, username)
            if problem:
                bad(_("初始密码不合要求：%(problem)s", problem=problem))
        if name_problem is None:
            person = people.setdefault(username, {"row": number, "name": name, "email": email, "password": password,
                                                  "roles": []})
            if person["name"] != name:
                bad(_("用户名 %(name)s 在第 %(row)s 行的姓名不同", name=username, row=person["row"]))
            if role is not None and org is not None:
                key = (username, role, org.code)
                if key in seen_roles:
                    bad(_("与第 %(row)s 行重复（同一用户、角色和单位）", row=seen_roles[key]))
                seen_roles[key] = number
                person["roles"].append((role, org))
            person["email"] = person["email"] or email
            person["password"] = person["password"] or password
    if report.errors:
        report.errors.sort(key=lambda e: e.row)
        return report
    new_people = [u for u in people if u not in users]
    if max_new is not None and len(new_people) > max_new:
        raise InvalidInput(_("网页上一次最多新建 %(n)s 个用户（本文件有 %(m)s 个新用户）：请拆分文件，或在服务器上使用 "
                             "yanxiu import-users", n=max_new, m=len(new_people)), field="file")
    passwords = {u: people[u]["password"] or generate_password() for u in new_people}
    hashes = dict(zip(new_people, _hash_all([passwords[u] for u in new_people]), strict=True))
    for username, person in people.items():
        user = users.get(username)
        if user is None:
            password = passwords[username]
            user = User(username=username, display_name=person["name"], email=person["email"] or None,
                        must_change_password=True, password_hash=hashes[username])
            user.roles = [RoleAssignment(role=r, org_id=o.id) for r, o in person["roles"]]
            db.session.add(user)
            report.created += 1
            report.roles_added += len(person["roles"])
            if not person["password"]:
                report.passwords.append((username, person["name"], password))
            continue
        changed = False
        if user.display_name != person["name"] or (person["email"] and user.email != person["email"]):
            user.display_name, user.email = person["name"], person["email"] or user.email
            changed = True
        have = set(user.role_pairs())
        for role, org in person["roles"]:
            if (role.value, org.id) not in have:
                user.roles.append(RoleAssignment(role=role, org_id=org.id))
                report.roles_added += 1
                changed = True
        if changed:
            report.updated += 1
        else:
            report.unchanged += 1
    db.session.flush()
    # Never the passwords: the audit log is read by every region admin.
    audit.record("directory.users_imported", actor=actor, filename=filename, created=report.created,
                 updated=report.updated, unchanged=report.unchanged, roles_added=report.roles_added)
    return report
