"""Users and their role assignments, each scoped to an organisation."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.i18n import N_
from app.models.base import Base, TimestampMixin, intpk
from app.models.org import OrgType, OrgUnit


class Role(enum.StrEnum):
    SCHOOL_ADMIN = "school_admin"            # 师训站长 / 校本研修管理员
    PRINCIPAL = "principal"                  # 校长
    TOWNSHIP_REVIEWER = "township_reviewer"  # 教辅室 / 师训总站
    CITY_REVIEWER = "city_reviewer"          # 师干训中心
    INSPECTOR = "inspector"                  # 督导 / 检查员
    CENTER_HEAD = "center_head"              # 中心主任: approves inspection reports and 整改通知书
    FINANCE = "finance"                      # 财务人员 (教育支付中心): checks funding on inspection teams
    EXPERT = "expert"                        # 评审专家
    TEACHER = "teacher"                      # 教师
    ADMIN = "admin"                          # 系统管理员

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


#: Display names. The first is shown in the UI (translated there with ``_``); all of them may name a
#: BPMN lane, so they stay plain Chinese strings here.
ROLE_NAMES: dict[Role, tuple[str, ...]] = {
    Role.SCHOOL_ADMIN: (N_("学校管理员"), "师训站长", "校本研修管理员"),
    Role.PRINCIPAL: (N_("校长"),),
    Role.TOWNSHIP_REVIEWER: (N_("乡镇审核员"), "教辅室", "师训总站"),
    Role.CITY_REVIEWER: (N_("市级审核员"), "师干训中心"),
    Role.INSPECTOR: (N_("督导检查员"), "检查员"),
    Role.CENTER_HEAD: (N_("中心主任"), "师干训中心主任"),
    Role.FINANCE: (N_("财务人员"), "教育支付中心"),
    Role.EXPERT: (N_("评审专家"), "专家"),
    Role.TEACHER: (N_("教师"),),
    Role.ADMIN: (N_("系统管理员"),),
}
ROLE_LABELS = {role: names[0] for role, names in ROLE_NAMES.items()}

#: Where each role may be held (by org type). Lanes resolve a role by walking up from the school
#: (``resolve_candidate_org``), so a role held at the wrong kind of org is never found or sees the wrong
#: scope: school roles at a school, 教辅室 reviewers at a township, the centre's staff at a centre (or the
#: bureau), 财务 at the bureau or centre, experts anywhere (their org is also their 回避 home).
#: 系统管理员 is further limited to a region's root org (``app.regions.is_region_admin``).
ROLE_ORG_TYPES: dict[Role, frozenset[OrgType]] = {
    Role.SCHOOL_ADMIN: frozenset({OrgType.SCHOOL}),
    Role.PRINCIPAL: frozenset({OrgType.SCHOOL}),
    Role.TEACHER: frozenset({OrgType.SCHOOL}),
    Role.TOWNSHIP_REVIEWER: frozenset({OrgType.TOWNSHIP}),
    Role.CITY_REVIEWER: frozenset({OrgType.CENTER, OrgType.BUREAU}),
    Role.INSPECTOR: frozenset({OrgType.CENTER, OrgType.BUREAU}),
    Role.CENTER_HEAD: frozenset({OrgType.CENTER}),
    Role.FINANCE: frozenset({OrgType.BUREAU, OrgType.CENTER}),
    Role.EXPERT: frozenset(OrgType),
    Role.ADMIN: frozenset({OrgType.BUREAU, OrgType.CENTER}),
}


def role_allowed_at(role: Role, org: OrgUnit) -> bool:
    """Whether ``role`` may be held at ``org`` (see :data:`ROLE_ORG_TYPES`)."""
    if role == Role.ADMIN and org.parent_id is not None:
        return False
    return org.type in ROLE_ORG_TYPES[role]


#: Roles whose holders may see the workflow records of the orgs under their scope.
OVERSIGHT_ROLES = frozenset({Role.SCHOOL_ADMIN, Role.PRINCIPAL, Role.TOWNSHIP_REVIEWER,
                             Role.CITY_REVIEWER, Role.INSPECTOR, Role.CENTER_HEAD, Role.ADMIN})


class User(UserMixin, TimestampMixin, Base):
    __tablename__ = "user_account"

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str | None] = mapped_column(String(10))
    last_login_at: Mapped[datetime | None]

    roles: Mapped[list[RoleAssignment]] = relationship(back_populates="user", cascade="all, delete-orphan",
                                                       lazy="selectin")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def has_role(self, role: Role, org_id: int | None = None) -> bool:
        return any(r.role == role and (org_id is None or r.org_id == org_id) for r in self.roles)

    def role_pairs(self) -> list[tuple[str, int]]:
        return [(r.role.value, r.org_id) for r in self.roles]

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class RoleAssignment(Base):
    """A user holds ``role`` at ``org`` (and, for oversight, everything below it)."""

    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("user_id", "role", "org_id"),
                      Index("ix_role_assignment_role_org", "role", "org_id"))

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=30,
                                            values_callable=lambda e: [m.value for m in e]))
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)

    user: Mapped[User] = relationship(back_populates="roles")
    org: Mapped[OrgUnit] = relationship(back_populates="role_assignments", lazy="joined")
