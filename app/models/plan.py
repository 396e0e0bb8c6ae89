"""研修计划 (term plans, domain.md §2.3, §3.2): planned activities, budget lines, versions."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.i18n import N_
from app.models.base import Base, TimestampMixin, intpk
from app.models.org import OrgUnit
from app.models.term import Term

if TYPE_CHECKING:
    from app.models.process import ProcessInstance


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"
    ORGANIZER_REVIEW = "organizer_review"
    PRINCIPAL_REVIEW = "principal_review"
    TOWNSHIP_REVIEW = "township_review"
    CITY_REVIEW = "city_review"
    RETURNED = "returned"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        return PLAN_STATUS_LABELS[self]


PLAN_STATUS_LABELS = {
    PlanStatus.DRAFT: N_("编制中"),
    PlanStatus.ORGANIZER_REVIEW: N_("待师训站长审核"),
    PlanStatus.PRINCIPAL_REVIEW: N_("待校长审核"),
    PlanStatus.TOWNSHIP_REVIEW: N_("待乡镇审核"),
    PlanStatus.CITY_REVIEW: N_("待市级审核"),
    PlanStatus.RETURNED: N_("已退回修改"),
    PlanStatus.APPROVED: N_("已批准"),
    PlanStatus.REJECTED: N_("未通过"),
    PlanStatus.SUPERSEDED: N_("已被新版本替代"),
}


class PlanKind(enum.StrEnum):
    TERM = "term"        # 学期研修计划
    CHANGE = "change"    # 计划变更

    @property
    def label(self) -> str:
        return {"term": N_("学期计划"), "change": N_("计划变更")}[self.value]


def _enum(cls: type[enum.Enum], length: int = 30) -> Enum:
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class ResearchPlan(TimestampMixin, Base):
    """A school's plan for one term. An approved plan is frozen as version ``version_no``; a
    change request is a new row (``kind=change``) based on it that, once approved, becomes the
    next version and supersedes it."""

    __tablename__ = "research_plan"
    __table_args__ = (Index("ix_research_plan_school_term", "school_id", "term_id"),)

    id: Mapped[intpk]
    school_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), unique=True)
    kind: Mapped[PlanKind] = mapped_column(_enum(PlanKind, 10), default=PlanKind.TERM)
    #: ``"<school id>:<term id>"`` on a school's one term plan until it is rejected: the unique
    #: index is what keeps two concurrent "open the term" commands from creating two plans.
    open_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    status: Mapped[PlanStatus] = mapped_column(_enum(PlanStatus), default=PlanStatus.DRAFT, index=True)
    version_no: Mapped[int | None]
    base_plan_id: Mapped[int | None] = mapped_column(ForeignKey("research_plan.id"))
    goals: Mapped[str] = mapped_column(Text, default="")
    project_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    declared_funds: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    change_reason: Mapped[str] = mapped_column(Text, default="")
    #: The last policy check: a list of {rule, status, field, row, message}.
    check_result: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    policy_version_id: Mapped[int | None] = mapped_column(ForeignKey("policy_version.id"))
    round: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    school: Mapped[OrgUnit] = relationship()
    term: Mapped[Term] = relationship()
    instance: Mapped[ProcessInstance | None] = relationship()
    base_plan: Mapped[ResearchPlan | None] = relationship(remote_side="ResearchPlan.id")
    activities: Mapped[list[PlannedActivity]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlannedActivity.seq")
    budget_lines: Mapped[list[BudgetLine]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="BudgetLine.seq")

    @property
    def is_frozen(self) -> bool:
        return self.status in (PlanStatus.APPROVED, PlanStatus.SUPERSEDED, PlanStatus.REJECTED)

    def __repr__(self) -> str:
        return f"<ResearchPlan {self.id} school={self.school_id} term={self.term_id} {self.status}>"


class PlannedActivity(Base):
    """One planned activity. ``key`` survives plan changes, so records stay linked across versions.

    ``alt_date`` is the second session with the same content where the region fixes two weekly
    slots (seed 001: 周二和周四上午第三节, 两天的培训内容一致).
    """

    __tablename__ = "planned_activity"

    id: Mapped[intpk]
    plan_id: Mapped[int] = mapped_column(ForeignKey("research_plan.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int]
    key: Mapped[str] = mapped_column(String(12))
    planned_date: Mapped[date | None]
    period: Mapped[int | None]
    alt_date: Mapped[date | None]
    form: Mapped[str] = mapped_column(String(20), default="")
    topic: Mapped[str] = mapped_column(String(100), default="")
    presenter: Mapped[str] = mapped_column(String(50), default="")
    target_group: Mapped[str] = mapped_column(String(20), default="")
    hours: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    mode: Mapped[str] = mapped_column(String(10), default="集中")   # 集中 / 非集中, for credits

    plan: Mapped[ResearchPlan] = relationship(back_populates="activities")


class BudgetLine(Base):
    """A budget line of a plan; ``scope`` says whether it is 校本研修 or other training."""

    __tablename__ = "budget_line"

    id: Mapped[intpk]
    plan_id: Mapped[int] = mapped_column(ForeignKey("research_plan.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int]
    category: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str] = mapped_column(String(20), default="school_based")
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    note: Mapped[str] = mapped_column(String(100), default="")

    plan: Mapped[ResearchPlan] = relationship(back_populates="budget_lines")
