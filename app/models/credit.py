"""学分认定与登记 (W2c, domain.md §2.4, §3.6): credit batches and credit records."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Enum, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.i18n import N_
from app.models.base import Base, TimestampMixin, intpk
from app.models.org import OrgUnit
from app.models.teacher import Teacher
from app.models.term import Term

if TYPE_CHECKING:
    from app.models.process import ProcessInstance


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class BatchStatus(enum.StrEnum):
    COLLECTING = "collecting"
    SCHOOL_REVIEW = "school_review"
    TOWNSHIP_REVIEW = "township_review"
    CITY_REVIEW = "city_review"
    REGISTERED = "registered"

    @property
    def label(self) -> str:
        return {
            "collecting": N_("汇总中"), "school_review": N_("待学校认定"), "township_review": N_("待乡镇审核"),
            "city_review": N_("待登记"), "registered": N_("已登记"),
        }[self.value]


class CreditStatus(enum.StrEnum):
    COLLECTED = "collected"     # in a batch still being put together
    SCHOOL = "school"           # 待学校认定
    TOWNSHIP = "township"       # 待乡镇审核
    CITY = "city"               # 待登记
    REGISTERED = "registered"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return CREDIT_STATUS_LABELS[self]


CREDIT_STATUS_LABELS = {
    CreditStatus.COLLECTED: N_("待提交"),
    CreditStatus.SCHOOL: N_("待学校认定"),
    CreditStatus.TOWNSHIP: N_("待乡镇审核"),
    CreditStatus.CITY: N_("待登记"),
    CreditStatus.REGISTERED: N_("已登记"),
    CreditStatus.REJECTED: N_("未通过"),
}


class CreditBatch(TimestampMixin, Base):
    """One school's credit recognition for one term: the business record of a
    credit_registration instance."""

    __tablename__ = "credit_batch"
    __table_args__ = (UniqueConstraint("school_id", "term_id"),)

    id: Mapped[intpk]
    school_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), unique=True)
    status: Mapped[BatchStatus] = mapped_column(_enum(BatchStatus), default=BatchStatus.COLLECTING)
    policy_version_id: Mapped[int | None] = mapped_column(ForeignKey("policy_version.id"))
    generated_at: Mapped[datetime | None]
    registered_at: Mapped[datetime | None]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    school: Mapped[OrgUnit] = relationship()
    term: Mapped[Term] = relationship()
    instance: Mapped[ProcessInstance | None] = relationship()
    records: Mapped[list[CreditRecord]] = relationship(back_populates="batch", order_by="CreditRecord.id")


class CreditRecord(TimestampMixin, Base):
    """One credit line of one teacher: from attendance (``source=activity``) or declared by the
    teacher with evidence (``source=declared``). ``raw_credits`` is before the annual cap."""

    __tablename__ = "credit_record"
    __table_args__ = (Index("ix_credit_record_teacher_year", "teacher_id", "academic_year"),
                      Index("ix_credit_record_batch_status", "batch_id", "status"))

    id: Mapped[intpk]
    batch_id: Mapped[int] = mapped_column(ForeignKey("credit_batch.id"))
    teacher_id: Mapped[int] = mapped_column(ForeignKey("teacher.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    academic_year: Mapped[int]
    source: Mapped[str] = mapped_column(String(10))             # activity / declared
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity_record.id"))
    category: Mapped[str] = mapped_column(String(30))
    item_code: Mapped[str | None] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    mode: Mapped[str | None] = mapped_column(String(10))
    raw_credits: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    credits: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    cap_note: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[CreditStatus] = mapped_column(_enum(CreditStatus), default=CreditStatus.COLLECTED)
    rejected_level: Mapped[str | None] = mapped_column(String(20))
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    rejected_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    registered_at: Mapped[datetime | None]

    batch: Mapped[CreditBatch] = relationship(back_populates="records")
    teacher: Mapped[Teacher] = relationship()
