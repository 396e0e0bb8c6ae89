"""Teacher profiles: listing, editing, bulk import (all or nothing), and teacher logins."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, BinaryIO

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from app import audit
from app.access import org_scope_clause, oversees
from app.auth.services import generate_password, username_problem
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.models import OrgType, OrgUnit, Role, RoleAssignment, Teacher, User
from app.pagination import Page, paginate
from app.tabular import ImportReport, RowError, read_table

IMPORT_COLUMNS = {
    "name": ("姓名", "教师姓名", "name"),
    "employee_no": ("工号", "教师编号", "编号", "employee_no"),
    "gender": ("性别", "gender"),
    "phone": ("手机", "手机号", "电话", "联系电话", "phone"),
    "subject": ("学科", "任教学科", "subject"),
    "title": ("职称", "title"),
}
GENDERS = ("男", "女")
PHONE = re.compile(r"^[0-9+\-]{7,20}$")
EMPLOYEE_NO = re.compile(r"^[0-9A-Za-z\-_]{1,30}$")


def get_school(school_id: int) -> OrgUnit:
    school = db.session.get(OrgUnit, school_id)
    if school is None or school.type != OrgType.SCHOOL:
        raise NotFound(_("学校不存在"))
    return school


def can_manage(user: User, school: OrgUnit) -> bool:
    """The school's admins keep its teacher records."""
    return user.has_role(Role.SCHOOL_ADMIN, school.id)


def require_manage(user: User, school: OrgUnit) -> None:
    if not can_manage(user, school):
        raise Forbidden(_("只有本校的学校管理员可以维护教师信息"))


def require_view(user: User, school: OrgUnit) -> None:
    if not oversees(user, school):
        raise NotFound(_("找不到该学校，或您没有查看权限"))


def list_teachers(user: User, *, school_id: int | None, q: str | None, page: int, per_page: int) -> Page:
    where = [org_scope_clause(user, OrgUnit.path)]
    if school_id:
        where.append(Teacher.school_id == school_id)
    if q:
        where.append(or_(Teacher.name.contains(q, autoescape=True), Teacher.employee_no == q))
    stmt = select(Teacher).join(OrgUnit, Teacher.school_id == OrgUnit.id).where(*where)
    count = select(func.count()).select_from(stmt.with_only_columns(Teacher.id).subquery())
    return paginate(stmt.order_by(OrgUnit.code, Teacher.active.desc(), Teacher.employee_no, Teacher.name),
                    count, page, per_page)


def school_teachers(school_id: int, *, active_only: bool = True) -> list[Teacher]:
    stmt = select(Teacher).where(Teacher.school_id == school_id)
    if active_only:
        stmt = stmt.where(Teacher.active.is_(True))
    return list(db.session.scalars(stmt.order_by(Teacher.employee_no, Teacher.name)))


def get_teacher(teacher_id: int, user: User) -> Teacher:
    teacher = db.session.get(Teacher, teacher_id)
    if teacher is None or not (oversees(user, teacher.school) or teacher.user_id == user.id):
        raise NotFound(_("找不到该教师，或您没有查看权限"))
    return teacher


def teacher_of_user(user: User) -> Teacher | None:
    return db.session.scalars(select(Teacher).where(Teacher.user_id == user.id)).first()


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (str(v).strip() if v is not None else "") for k, v in values.items()}


def validate_fields(values: Mapping[str, Any]) -> dict[str, str]:
    """Field → message for one teacher's data (shared by the form and the import)."""
    v = _clean(values)
    errors: dict[str, str] = {}
    if not v.get("name"):
        errors["name"] = _("请填写姓名")
    elif len(v["name"]) > 50:
        errors["name"] = _("姓名不能超过 50 字")
    if v.get("employee_no") and not EMPLOYEE_NO.match(v["employee_no"]):
        errors["employee_no"] = _("工号只能包含字母、数字、- 和 _，最长 30 位")
    if v.get("gender") and v["gender"] not in GENDERS:
        errors["gender"] = _("性别须为“男”或“女”")
    if v.get("phone") and not PHONE.match(v["phone"]):
        errors["phone"] = _("手机号格式不正确")
    for name, label in (("subject", _("学科")), ("title", _("职称"))):
        if len(v.get(name) or "") > 30:
            errors[name] = _("%(field)s不能超过 30 字", field=label)
    return errors


def _duplicate(school_id: int, employee_no: str | None, exclude: int | None) -> Teacher | None:
    if not employee_no:
        return None
    stmt = select(Teacher).where(Teacher.school_id == school_id, Teacher.employee_no == employee_no)
    if exclude:
        stmt = stmt.where(Teacher.id != exclude)
    return db.session.scalars(stmt).first()


def save_teacher(school: OrgUnit, values: Mapping[str, Any], *, actor: User, teacher: Teacher | None = None) -> Teacher:
    """Create or update one teacher. Raises :class:`InvalidInput` naming the field."""
    require_manage(actor, school)
    errors = validate_fields(values)
    if errors:
        name, message = next(iter(errors.items()))
        raise InvalidInput(message, field=name)
    v = _clean(values)
    other = _duplicate(school.id, v.get("employee_no") or None, teacher.id if teacher else None)
    if other is not None:
        raise InvalidInput(_("工号 %(no)s 已属于本校教师 %(name)s", no=v["employee_no"], name=other.name),
                           field="employee_no")
    creating = teacher is None
    if teacher is None:
        teacher = Teacher(school_id=school.id)
        db.session.add(teacher)
    for name in ("name", "employee_no", "gender", "phone", "subject", "title"):
        setattr(teacher, name, v.get(name) or None if name != "name" else v["name"])
    if "active" in values:
        teacher.active = bool(values["active"])
    if "ethics_veto" in values:
        changed = teacher.ethics_veto != bool(values["ethics_veto"])
        teacher.ethics_veto = bool(values["ethics_veto"])
        teacher.ethics_note = (values.get("ethics_note") or "").strip()
        if changed and not creating:
            audit.record("teacher.ethics_flag", actor=actor, school_id=school.id, teacher_id=teacher.id,
                         veto=teacher.ethics_veto, note=teacher.ethics_note)
    db.session.flush()
    audit.record("teacher.create" if creating else "teacher.update", actor=actor, school_id=school.id,
                 teacher_id=teacher.id, name=teacher.name)
    return teacher


def import_teachers(school: OrgUnit, stream: BinaryIO, filename: str, *, actor: User) -> ImportReport:
    """Import teachers from a CSV/Excel file: all rows or none.

    Every row is validated and matched first: by 工号 where given, otherwise by name and phone
    (or by name alone when exactly one teacher of that name exists). Duplicates inside the file
    are errors. If any row has an error, nothing is written and the report lists every bad row.
    """
    require_manage(actor, school)
    table = read_table(stream, filename, IMPORT_COLUMNS, required=("name",))
    report = ImportReport()
    existing = school_teachers(school.id, active_only=False)
    by_no = {t.employee_no: t for t in existing if t.employee_no}
    seen_no: dict[str, int] = {}
    seen_name_phone: dict[tuple[str, str], int] = {}
    plan: list[tuple[Teacher | None, dict[str, str]]] = []
    for number, row in table.rows:
        label = row.get("name") or "—"
        problems = validate_fields(row)
        for message in problems.values():
            report.errors.append(RowError(number, label, message))
        if problems:
            continue
        no, phone, name = row.get("employee_no") or "", row.get("phone") or "", row["name"]
        if no:
            if no in seen_no:
                report.errors.append(RowError(number, label, _("工号 %(no)s 与第 %(row)s 行重复", no=no, row=seen_no[no])))
                continue
            seen_no[no] = number
            match = by_no.get(no)
        else:
            key = (name, phone)
            if key in seen_name_phone:
                report.errors.append(RowError(number, label, _("与第 %(row)s 行是同一位教师（姓名和手机号相同）",
                                                               row=seen_name_phone[key])))
                continue
            seen_name_phone[key] = number
            same = [t for t in existing if t.name == name]
            if phone:
                # Same name and phone is the same person; a namesake with another phone is not.
                same = [t for t in same if t.phone == phone] or [t for t in same if not t.phone]
            if len(same) > 1:
                report.errors.append(RowError(number, label, _("本校有 %(n)s 位同名教师，请填写工号以区分", n=len(same))))
                continue
            match = same[0] if same else None
        plan.append((match, row))
    if report.errors:
        return report
    for match, row in plan:
        values = {k: row.get(k, "") for k in IMPORT_COLUMNS}
        if match is not None:
            if not values["employee_no"]:
                values["employee_no"] = match.employee_no or ""
            current = {k: getattr(match, k) or "" for k in IMPORT_COLUMNS}
            # Empty cells keep what is on file: an import adds information, it does not erase it.
            merged = {k: values[k] or current[k] for k in IMPORT_COLUMNS}
            if merged == current and match.active:
                report.unchanged += 1
                continue
            save_teacher(school, {**merged, "active": True}, actor=actor, teacher=match)
            report.updated += 1
        else:
            save_teacher(school, values, actor=actor)
            report.created += 1
    audit.record("teacher.import", actor=actor, school_id=school.id, filename=filename, created=report.created,
                 updated=report.updated, unchanged=report.unchanged)
    return report


def create_login(teacher: Teacher, username: str, *, actor: User) -> str:
    """Give a teacher a login with the 教师 role at their school; return the one-time password."""
    require_manage(actor, teacher.school)
    username = (username or "").strip()
    problem = username_problem(username)
    if problem:
        raise InvalidInput(problem, field="username")
    if teacher.user_id is not None:
        raise Conflict(_("该教师已有账号"))
    if db.session.scalars(select(User.id).where(User.username == username)).first() is not None:
        raise InvalidInput(_("用户名 %(name)s 已被使用", name=username), field="username")
    password = generate_password()
    user = User(username=username, display_name=teacher.name, must_change_password=True)
    user.set_password(password)
    user.roles = [RoleAssignment(role=Role.TEACHER, org_id=teacher.school_id)]
    db.session.add(user)
    db.session.flush()
    teacher.user_id = user.id
    audit.record("teacher.login_created", actor=actor, school_id=teacher.school_id, teacher_id=teacher.id,
                 username=username)
    return password


def managed_schools(user: User) -> list[OrgUnit]:
    return [ra.org for ra in user.roles if ra.role == Role.SCHOOL_ADMIN and ra.org.type == OrgType.SCHOOL]
