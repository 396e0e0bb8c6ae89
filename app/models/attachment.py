"""Uploaded files. The bytes live on disk under the instance folder, named by content hash."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, created_at, intpk
from app.models.user import User


class Attachment(Base):
    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_owner", "owner_type", "owner_id"),)

    id: Mapped[intpk]
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"),
                                                    index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    owner_type: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))   # shown and offered on download, never a path
    extension: Mapped[str] = mapped_column(String(10))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[created_at]
    deleted: Mapped[bool] = mapped_column(default=False)

    uploaded_by: Mapped[User] = relationship(lazy="selectin")
