"""The organisation tree: city bureau / 师干训中心 → township → school, of any depth."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.i18n import N_
from app.models.base import Base, TimestampMixin, intpk

if TYPE_CHECKING:
    from app.models.user import RoleAssignment


class OrgType(enum.StrEnum):
    BUREAU = "bureau"                # 教育局
    CENTER = "center"                # 师干训中心 / 教师进修学校 / 教科所 / 研训院
    TOWNSHIP = "township"            # 乡镇(街道)教辅室 / 师训总站 / 乡镇中心校 / 教研片
    SCHOOL = "school"                # 学校 / 幼儿园

    @property
    def label(self) -> str:
        return ORG_TYPE_LABELS[self]


ORG_TYPE_LABELS = {
    OrgType.BUREAU: N_("教育局"),
    OrgType.CENTER: N_("师干训中心"),
    OrgType.TOWNSHIP: N_("乡镇教辅室"),
    OrgType.SCHOOL: N_("学校"),
}


class OrgUnit(TimestampMixin, Base):
    """A node in the organisation tree.

    The tree follows the professional line (who guides and reviews whom): a township hangs under
    the training centre, a 直属 school hangs directly under the centre. ``path`` is the
    materialised chain of ids (``/1/2/5/``) so that "this org and everything below it" is a
    single indexed prefix match.
    """

    __tablename__ = "org_unit"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(100))
    short_name: Mapped[str | None] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[OrgType] = mapped_column(Enum(OrgType, native_enum=False, length=20,
                                               values_callable=lambda e: [m.value for m in e]))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    path: Mapped[str] = mapped_column(String(255), index=True, default="")
    is_direct: Mapped[bool] = mapped_column(default=False)  # 直属: under the city, no township
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[OrgUnit | None] = relationship(remote_side="OrgUnit.id", back_populates="children")
    children: Mapped[list[OrgUnit]] = relationship(back_populates="parent")
    role_assignments: Mapped[list[RoleAssignment]] = relationship(back_populates="org")

    def ancestor_ids(self) -> list[int]:
        """This org's id followed by its ancestors', nearest first."""
        return [int(p) for p in reversed(self.path.strip("/").split("/")) if p]

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    def __repr__(self) -> str:
        return f"<OrgUnit {self.id} {self.name}>"
