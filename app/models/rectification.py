"""整改: rectification orders (整改通知书), their numbered items, extension requests and the reminders
and escalations their timers sent (domain.md §2.6, §3.4)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.i18n import N_
from app.models.base import Base, TimestampMixin, created_at, intpk
from app.models.org import OrgUnit
from app.models.user import User

if TYPE_CHECKING:
    from app.models.process import ProcessInstance


def _enum(cls: type[enum.Enum], length: int = 20) -> Enum:
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class OrderStatus(enum.StrEnum):
    DRAFT = "draft"
    APPROVING = "approving"
    ISSUED = "issued"            # waiting for the principal's 签收
    IN_PROGRESS = "in_progress"  # acknowledged: assigning, responding
    VERIFYING = "verifying"
    CLOSED = "closed"            # 销号
    UNRESOLVED = "unresolved"    # rounds used up, handed to 督导

    @property
    def label(self) -> str:
        return ORDER_STATUS_LABELS[self]


ORDER_STATUS_LABELS = {
    OrderStatus.DRAFT: N_("起草中"),
    OrderStatus.APPROVING: N_("待审批"),
    OrderStatus.ISSUED: N_("待签收"),
    OrderStatus.IN_PROGRESS: N_("整改中"),
    OrderStatus.VERIFYING: N_("待复查"),
    OrderStatus.CLOSED: N_("已销号"),
    OrderStatus.UNRESOLVED: N_("未完成整改"),
}


class ItemStatus(enum.StrEnum):
    OPEN = "open"
    RESPONDED = "responded"
    PASSED = "passed"
    FAILED = "failed"      # returned for the next round

    @property
    def label(self) -> str:
        return ITEM_STATUS_LABELS[self]


ITEM_STATUS_LABELS = {
    ItemStatus.OPEN: N_("待整改"),
    ItemStatus.RESPONDED: N_("已整改待复查"),
    ItemStatus.PASSED: N_("复查合格"),
    ItemStatus.FAILED: N_("复查不合格"),
}


class RectificationOrder(TimestampMixin, Base):
    __tablename__ = "rectification_order"
    __table_args__ = (Index("ix_rectification_order_school_status", "school_id", "status"),)

    id: Mapped[intpk]
    school_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    issuing_org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), unique=True)
    #: Set when the order was drafted from an inspection's 需整改 findings.
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspection.id"), index=True)
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus), default=OrderStatus.DRAFT, index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    basis: Mapped[str] = mapped_column(Text, default="")          # 整改依据 (what the finding came from)
    doc_number: Mapped[str | None] = mapped_column(String(60), unique=True)
    cc: Mapped[list[str]] = mapped_column(JSON, default=list)     # 抄送
    # Policy for this order (defaults come from app.rectification.policy; a region's policy will set them).
    ack_working_days: Mapped[int] = mapped_column(default=3)
    remind_working_days: Mapped[int] = mapped_column(default=2)
    max_rounds: Mapped[int] = mapped_column(default=3)
    round: Mapped[int] = mapped_column(default=1)
    ack_due: Mapped[datetime | None]
    deadline: Mapped[datetime | None]                             # the current round's 整改报告 deadline
    report: Mapped[str] = mapped_column(Text, default="")         # 整改报告 (the principal's summary)
    issued_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reported_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    #: The current deadline passed without a 整改报告; cleared when the school reports. 评优 reads it.
    overdue: Mapped[bool] = mapped_column(default=False, index=True)
    overdue_since: Mapped[datetime | None]
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # the approving head
    drafted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    school: Mapped[OrgUnit] = relationship(foreign_keys=[school_id])
    issuing_org: Mapped[OrgUnit] = relationship(foreign_keys=[issuing_org_id])
    instance: Mapped[ProcessInstance | None] = relationship()
    drafted_by: Mapped[User] = relationship(foreign_keys=[drafted_by_id])
    signed_by: Mapped[User | None] = relationship(foreign_keys=[signed_by_id])
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])
    items: Mapped[list[RectificationItem]] = relationship(
        back_populates="order", order_by="RectificationItem.seq", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<RectificationOrder {self.id} {self.doc_number or 'draft'}>"


class RectificationItem(Base):
    __tablename__ = "rectification_item"
    __table_args__ = (UniqueConstraint("order_id", "seq"),)

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("rectification_order.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int]
    problem: Mapped[str] = mapped_column(Text)
    #: The score item the finding came from (an inspection template item), or a free-text area.
    score_item_id: Mapped[int | None] = mapped_column(ForeignKey("score_item.id"))
    area: Mapped[str] = mapped_column(String(100), default="")
    requirement: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date]
    status: Mapped[ItemStatus] = mapped_column(_enum(ItemStatus), default=ItemStatus.OPEN)
    round: Mapped[int] = mapped_column(default=1)
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    measures: Mapped[str] = mapped_column(Text, default="")
    completed_on: Mapped[date | None]
    responded_at: Mapped[datetime | None]
    verify_comment: Mapped[str] = mapped_column(Text, default="")
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    verified_at: Mapped[datetime | None]

    order: Mapped[RectificationOrder] = relationship(back_populates="items")
    responsible: Mapped[User | None] = relationship(foreign_keys=[responsible_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    verifications: Mapped[list[ItemVerification]] = relationship(
        back_populates="item", order_by="ItemVerification.id", cascade="all, delete-orphan")

    @property
    def is_settled(self) -> bool:
        return self.status == ItemStatus.PASSED


class ItemVerification(Base):
    """One 复查 of one item in one round: what the school said it did and what the inspector found."""

    __tablename__ = "rectification_verification"

    id: Mapped[intpk]
    item_id: Mapped[int] = mapped_column(ForeignKey("rectification_item.id", ondelete="CASCADE"), index=True)
    round: Mapped[int]
    passed: Mapped[bool]
    comment: Mapped[str] = mapped_column(Text, default="")
    measures: Mapped[str] = mapped_column(Text, default="")
    new_deadline: Mapped[date | None]
    verifier_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[created_at]

    item: Mapped[RectificationItem] = relationship(back_populates="verifications")
    verifier: Mapped[User] = relationship()


class ExtensionStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"

    @property
    def label(self) -> str:
        return {"pending": N_("待审批"), "approved": N_("已批准"), "denied": N_("未批准")}[self.value]


class ExtensionRequest(Base):
    """延期申请: the school asks the issuer for a later deadline for one item."""

    __tablename__ = "rectification_extension"

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("rectification_order.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("rectification_item.id", ondelete="CASCADE"))
    round: Mapped[int]
    requested_deadline: Mapped[date]
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[ExtensionStatus] = mapped_column(_enum(ExtensionStatus), default=ExtensionStatus.PENDING)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[created_at]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    decision_comment: Mapped[str] = mapped_column(Text, default="")

    item: Mapped[RectificationItem] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class NoticeKind(enum.StrEnum):
    ACK_REMINDER = "ack_reminder"
    DEADLINE_REMINDER = "deadline_reminder"
    OVERDUE = "overdue"              # escalation after the deadline
    UNRESOLVED = "unresolved"        # rounds used up

    @property
    def label(self) -> str:
        return NOTICE_KIND_LABELS[self]


NOTICE_KIND_LABELS = {
    NoticeKind.ACK_REMINDER: N_("签收提醒"),
    NoticeKind.DEADLINE_REMINDER: N_("整改期限提醒"),
    NoticeKind.OVERDUE: N_("逾期督办"),
    NoticeKind.UNRESOLVED: N_("整改未完成报督导"),
}


class RectificationNotice(Base):
    """A reminder or escalation sent to an org's holders of a role; one per (order, kind, round, org, role).

    The unique key is what keeps a reminder from going out twice when a timer job is re-run.
    """

    __tablename__ = "rectification_notice"
    __table_args__ = (UniqueConstraint("order_id", "kind", "round", "org_id", "role"),
                      Index("ix_rectification_notice_org_role", "org_id", "role", "created_at"))

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("rectification_order.id", ondelete="CASCADE"), index=True)
    kind: Mapped[NoticeKind] = mapped_column(_enum(NoticeKind, 30))
    round: Mapped[int]
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    role: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[created_at]

    order: Mapped[RectificationOrder] = relationship()
    org: Mapped[OrgUnit] = relationship()
