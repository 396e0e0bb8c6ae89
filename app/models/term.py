"""Academic terms (学期): applications, plans and inspections are filed per term."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, intpk


class Term(Base):
    __tablename__ = "term"
    __table_args__ = (UniqueConstraint("region_id", "code"),)

    id: Mapped[intpk]
    region_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))          # 2026-1 = 2026学年第一学期
    name: Mapped[str] = mapped_column(String(40))          # 2026学年第一学期
    start_date: Mapped[date]
    end_date: Mapped[date]

    def __repr__(self) -> str:
        return f"<Term {self.code}>"
