"""抄送 (carbon copy): read-only observers of an instance."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, created_at, intpk
from app.models.user import User

if TYPE_CHECKING:
    from app.models.process import ProcessInstance


class CarbonCopy(Base):
    """``user`` may see ``instance`` (never act on it) because ``sent_by`` copied them in."""

    __tablename__ = "carbon_copy"
    __table_args__ = (UniqueConstraint("instance_id", "user_id"),
                      Index("ix_carbon_copy_user_created", "user_id", "created_at"))

    id: Mapped[intpk]
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    #: The task from whose page the copy was sent, if any.
    human_task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[created_at]
    read_at: Mapped[datetime | None]

    instance: Mapped[ProcessInstance] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    sent_by: Mapped[User] = relationship(foreign_keys=[sent_by_id])
