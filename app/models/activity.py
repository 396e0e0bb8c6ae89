"""Activity records and attendance (W2b, domain.md §2.3, §3.6)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Enum, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.i18n import N_
from app.models.base import Base, TimestampMixin, intpk, utcnow
from app.models.org import OrgUnit
from app.models.plan import ResearchPlan
from app.models.teacher import Teacher
from app.models.term import Term


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"
    LATE = "late"
    LEAVE = "leave"
    ABSENT = "absent"
    SELF_STUDY = "self_study"   # 发放学习资料自学 / 网络学习 in place of attending (seed 001)

    @property
    def label(self) -> str:
        return ATTENDANCE_LABELS[self]


ATTENDANCE_LABELS = {
    AttendanceStatus.PRESENT: N_("出勤"),
    AttendanceStatus.LATE: N_("迟到"),
    AttendanceStatus.LEAVE: N_("请假"),
    AttendanceStatus.ABSENT: N_("缺勤"),
    AttendanceStatus.SELF_STUDY: N_("自学替代"),
}


class ActivityRecord(TimestampMixin, Base):
    """A held activity, recorded by the school against its approved plan."""

    __tablename__ = "activity_record"
    __table_args__ = (Index("ix_activity_record_school_term", "school_id", "term_id", "held_on"),)

    id: Mapped[intpk]
    school_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"))
    plan_id: Mapped[int] = mapped_column(ForeignKey("research_plan.id"))
    planned_key: Mapped[str | None] = mapped_column(String(12))
    held_on: Mapped[date]
    period: Mapped[int | None]
    form: Mapped[str] = mapped_column(String(20))
    topic: Mapped[str] = mapped_column(String(100))
    presenter: Mapped[str] = mapped_column(String(50))
    location: Mapped[str] = mapped_column(String(100), default="")
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    mode: Mapped[str] = mapped_column(String(10), default="集中")
    summary: Mapped[str] = mapped_column(Text, default="")
    reflection: Mapped[str] = mapped_column(Text, default="")
    cost: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    school: Mapped[OrgUnit] = relationship()
    term: Mapped[Term] = relationship()
    plan: Mapped[ResearchPlan] = relationship()
    attendance: Mapped[list[Attendance]] = relationship(back_populates="activity", cascade="all, delete-orphan")


class Attendance(Base):
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("activity_id", "teacher_id"),
                      Index("ix_attendance_teacher", "teacher_id"))

    id: Mapped[intpk]
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity_record.id", ondelete="CASCADE"))
    teacher_id: Mapped[int] = mapped_column(ForeignKey("teacher.id"))
    status: Mapped[AttendanceStatus] = mapped_column(
        Enum(AttendanceStatus, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]))
    note: Mapped[str] = mapped_column(String(100), default="")
    method: Mapped[str] = mapped_column(String(10), default="manual")   # manual / import
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    activity: Mapped[ActivityRecord] = relationship(back_populates="attendance")
    teacher: Mapped[Teacher] = relationship()
