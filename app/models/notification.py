"""Notifications: the in-app notification centre and the e-mail outbox in one table.

A row is written in the same transaction as the state change it reports, with a unique
``dedupe_key`` (recipient, task, event), so a retried command or a repeated event never notifies
twice. E-mail is sent after commit by :mod:`app.notifications.delivery`, which claims due rows,
sends them and records the outcome with retry back-off.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.i18n import N_
from app.models.base import Base, created_at, intpk, utcnow
from app.models.user import User


class EmailStatus(enum.StrEnum):
    PENDING = "pending"      # to be sent by the next delivery run (claimed while ``locked_until`` is ahead)
    SENT = "sent"
    FAILED = "failed"        # gave up after the last attempt
    DIGEST = "digest"        # collected for the recipient's daily digest
    SKIPPED = "skipped"      # no address, or the recipient turned e-mail off


class EmailMode(enum.StrEnum):
    IMMEDIATE = "immediate"
    DIGEST = "digest"
    OFF = "off"

    @property
    def label(self) -> str:
        return {"immediate": N_("每条通知立即发送邮件"), "digest": N_("每天汇总发送一封邮件"),
                "off": N_("不发送邮件（只在站内通知）")}[self.value]


def _enum(cls: type[enum.Enum], length: int = 20) -> Enum:
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_recipient_read", "recipient_id", "read_at", "id"),
        # Delivery scans the due rows of one status in due order.
        Index("ix_notification_email_due", "email_status", "next_attempt_at"),
    )

    id: Mapped[intpk]
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    #: task_created, cc, urge, transfer, delegate, resolve, withdrawn, returned, signer_added, finished …
    event: Mapped[str] = mapped_column(String(30))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    human_task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: What the message says, rendered in the reader's language when shown or sent.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    url: Mapped[str | None] = mapped_column(String(255))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[created_at]
    read_at: Mapped[datetime | None]

    email_status: Mapped[EmailStatus] = mapped_column(_enum(EmailStatus), default=EmailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(40))
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    recipient: Mapped[User] = relationship(foreign_keys=[recipient_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


class NotificationPreference(Base):
    """How a user wants e-mail: one by one, a daily digest, or none. No row means immediately."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    email_mode: Mapped[EmailMode] = mapped_column(_enum(EmailMode), default=EmailMode.IMMEDIATE)
