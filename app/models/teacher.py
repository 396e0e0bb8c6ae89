"""Teachers (教师档案): the people who attend activities and earn credits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, intpk
from app.models.org import OrgUnit

if TYPE_CHECKING:
    from app.models.user import User


class Teacher(TimestampMixin, Base):
    """A teacher's profile at a school; ``user`` is their login, if they have one.

    ``employee_no`` (工号) identifies a teacher within a school; where a school has no numbers the
    name plus phone does (the import de-duplicates on both). ``ethics_veto`` is the 师德一票否决
    flag that selections must honour (seed 004).
    """

    __tablename__ = "teacher"
    __table_args__ = (UniqueConstraint("school_id", "employee_no"),
                      Index("ix_teacher_school_name", "school_id", "name"))

    id: Mapped[intpk]
    school_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    name: Mapped[str] = mapped_column(String(50))
    employee_no: Mapped[str | None] = mapped_column(String(30))
    gender: Mapped[str | None] = mapped_column(String(4))
    phone: Mapped[str | None] = mapped_column(String(20))
    subject: Mapped[str | None] = mapped_column(String(30))
    title: Mapped[str | None] = mapped_column(String(30))       # 职称
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    ethics_veto: Mapped[bool] = mapped_column(default=False)
    ethics_note: Mapped[str] = mapped_column(String(200), default="")

    school: Mapped[OrgUnit] = relationship()
    user: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Teacher {self.id} {self.name}>"
