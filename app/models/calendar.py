"""Admin overrides of the working-day calendar, per region (the root of an org tree)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at, intpk


class CalendarOverride(Base):
    """Marks one day as working or not, overriding weekends and the national holiday schedule
    (e.g. a local make-up workday, or a year whose 调休 schedule the library does not know yet)."""

    __tablename__ = "calendar_override"
    __table_args__ = (UniqueConstraint("region_id", "day"),)

    id: Mapped[intpk]
    region_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    day: Mapped[date]
    is_working_day: Mapped[bool]
    note: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[created_at]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
