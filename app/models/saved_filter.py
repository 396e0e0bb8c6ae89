"""Saved 待办 filters: personal, or shared with everyone holding a role in the owner's region."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, created_at, intpk
from app.models.user import Role, User


class SavedFilter(Base):
    __tablename__ = "saved_filter"
    __table_args__ = (UniqueConstraint("owner_id", "name"),
                      Index("ix_saved_filter_shared", "shared_role", "region_id"))

    id: Mapped[intpk]
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))
    #: The inbox query arguments (process, school, township, term, status, due, q).
    criteria: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Shared with holders of this role in ``region_id`` (the owner's region); None = personal.
    shared_role: Mapped[Role | None] = mapped_column(
        Enum(Role, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e]))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    created_at: Mapped[created_at]

    owner: Mapped[User] = relationship()
