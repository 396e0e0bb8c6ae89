"""项目申报: a school's application for a school-based research project (domain.md §2.3, §3.1)."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Enum, ForeignKey, Index, Numeric, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.i18n import N_
from app.models.base import Base, TimestampMixin, intpk
from app.models.org import OrgUnit
from app.models.term import Term

if TYPE_CHECKING:
    from app.models.process import ProcessInstance
    from app.models.user import User


class ProjectStatus(enum.StrEnum):
    DRAFT = "draft"
    PRINCIPAL_REVIEW = "principal_review"
    TOWNSHIP_REVIEW = "township_review"
    CITY_REVIEW = "city_review"
    RETURNED = "returned"
    APPROVED = "approved"
    REJECTED = "rejected"
    TERMINATED = "terminated"

    @property
    def label(self) -> str:
        return PROJECT_STATUS_LABELS[self]


PROJECT_STATUS_LABELS = {
    ProjectStatus.DRAFT: N_("草稿"),
    ProjectStatus.PRINCIPAL_REVIEW: N_("待校长审核"),
    ProjectStatus.TOWNSHIP_REVIEW: N_("待乡镇审核"),
    ProjectStatus.CITY_REVIEW: N_("待市级审核"),
    ProjectStatus.RETURNED: N_("已退回修改"),
    ProjectStatus.APPROVED: N_("已立项"),
    ProjectStatus.REJECTED: N_("未通过"),
    ProjectStatus.TERMINATED: N_("已终止"),
}


class ProjectApplication(TimestampMixin, Base):
    __tablename__ = "project_application"
    __table_args__ = (Index("ix_project_application_school_status", "school_id", "status"),)

    id: Mapped[intpk]
    school_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), unique=True)
    code: Mapped[str | None] = mapped_column(String(30), unique=True)   # assigned at 立项
    status: Mapped[ProjectStatus] = mapped_column(
        Enum(ProjectStatus, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e]),
        default=ProjectStatus.DRAFT, index=True)
    title: Mapped[str] = mapped_column(String(100), default="")
    domain: Mapped[str | None] = mapped_column(String(20))
    modules: Mapped[list[str]] = mapped_column(JSON, default=list)
    forms: Mapped[list[str]] = mapped_column(JSON, default=list)
    problem: Mapped[str] = mapped_column(Text, default="")
    goals: Mapped[str] = mapped_column(Text, default="")
    target_group: Mapped[str | None] = mapped_column(String(20))
    start_term_id: Mapped[int | None] = mapped_column(ForeignKey("term.id"), index=True)
    end_term_id: Mapped[int | None] = mapped_column(ForeignKey("term.id"))
    leader: Mapped[str] = mapped_column(String(50), default="")
    team: Mapped[list[str]] = mapped_column(JSON, default=list)
    planned_hours: Mapped[int | None]
    budget: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    expected_outcomes: Mapped[str] = mapped_column(Text, default="")
    round: Mapped[int] = mapped_column(default=0)   # how many times it has been submitted
    submitted_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    #: 精品项目: set when a published 评优 round awards it (the Award row says which round).
    is_premium: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    school: Mapped[OrgUnit] = relationship()
    start_term: Mapped[Term | None] = relationship(foreign_keys=[start_term_id])
    end_term: Mapped[Term | None] = relationship(foreign_keys=[end_term_id])
    instance: Mapped[ProcessInstance | None] = relationship()
    created_by: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ProjectApplication {self.id} {self.title!r}>"
