"""Per-region policy profiles (domain.md §1.3, §2.2), versioned and effective from a term."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, created_at, intpk
from app.models.term import Term

if TYPE_CHECKING:
    from app.models.user import User

#: ``effective_from`` of a region's first version: it applies to every term until a later one.
BEGINNING = date(1900, 1, 1)


class PolicyVersion(Base):
    """One version of a region's rules. Versions are never edited: a change is a new row.

    The version in force for a term is the one with the latest ``effective_from`` on or before the
    term's start (ties go to the higher version number), so a change effective next term leaves
    this term's checks alone. ``values`` holds the settings by key (see :mod:`app.policy.schema`),
    ``provenance`` where each value came from (a seed article, a default, or an admin's edit).
    """

    __tablename__ = "policy_version"
    __table_args__ = (UniqueConstraint("region_id", "version"),
                      Index("ix_policy_version_region_effective", "region_id", "effective_from"))

    id: Mapped[intpk]
    region_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    version: Mapped[int]
    profile_key: Mapped[str] = mapped_column(String(30))
    effective_term_id: Mapped[int | None] = mapped_column(ForeignKey("term.id"))
    effective_from: Mapped[date]
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    provenance: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[created_at]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    effective_term: Mapped[Term | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<PolicyVersion region={self.region_id} v{self.version}>"
