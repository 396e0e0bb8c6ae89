"""Demo teachers: a staff list per demo school, with each school's demo teacher login linked."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import OrgType, OrgUnit, Role, RoleAssignment, Teacher

SURNAMES = "张李王赵陈刘杨黄周吴徐孙"
GIVEN = ("敏", "华", "芳", "强", "丽", "军", "静", "磊", "燕", "涛", "婷", "伟")
SUBJECTS = ("语文", "数学", "英语", "科学", "道德与法治", "音乐", "体育", "美术")
TITLES = ("二级教师", "一级教师", "高级教师")


def seed_teachers(per_school: int = 10) -> int:
    """Give every school without teachers a staff list; link the school's 教师 login to the first
    teacher. Returns the number of teachers created."""
    created = 0
    schools = list(db.session.scalars(select(OrgUnit).where(OrgUnit.type == OrgType.SCHOOL).order_by(OrgUnit.id)))
    for school in schools:
        if db.session.scalars(select(Teacher.id).where(Teacher.school_id == school.id)).first() is not None:
            continue
        login = db.session.scalars(select(RoleAssignment).where(
            RoleAssignment.org_id == school.id, RoleAssignment.role == Role.TEACHER)).first()
        for n in range(per_school):
            teacher = Teacher(school_id=school.id, name=SURNAMES[n % len(SURNAMES)] + GIVEN[(n + school.id) % len(GIVEN)],
                              employee_no=f"{school.code.replace('-', '')}{n + 1:03d}", gender="女" if n % 2 else "男",
                              subject=SUBJECTS[n % len(SUBJECTS)], title=TITLES[n % len(TITLES)])
            if n == 0 and login is not None:
                teacher.user_id = login.user_id
                teacher.name = login.user.display_name
            db.session.add(teacher)
            created += 1
    db.session.flush()
    return created
