"""Deployed process definitions and running process instances."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from app.i18n import N_
from app.models.base import Base, created_at, intpk, utcnow
from app.models.org import OrgUnit
from workflows import DefinitionRef

if TYPE_CHECKING:
    from app.models.user import User


class ProcessDefinition(Base):
    """One version of one BPMN process. Deploying a changed file adds version n+1."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(255))
    content_hash: Mapped[str] = mapped_column(String(64))
    bpmn_xml: Mapped[str] = deferred(mapped_column(Text))
    spec_json: Mapped[str] = deferred(mapped_column(Text))
    deployed_at: Mapped[created_at]
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    def ref(self) -> DefinitionRef:
        # The spec text is loaded only if the engine has not cached this definition yet.
        return DefinitionRef(self.content_hash, lambda: self.spec_json)

    def __repr__(self) -> str:
        return f"<ProcessDefinition {self.key} v{self.version}>"


class InstanceStatus(enum.StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    TERMINATED = "terminated"
    SUSPENDED = "suspended"
    ERROR = "error"

    @property
    def label(self) -> str:
        return {"running": N_("进行中"), "completed": N_("已结束"), "terminated": N_("已终止"),
                "suspended": N_("已挂起"), "error": N_("出错")}[self.value]


class ProcessInstance(Base):
    """A running or finished case. ``state`` is the serialised SpiffWorkflow state.

    ``version`` is SQLAlchemy's optimistic-lock column: every save checks that nobody else saved
    in between (the only protection on SQLite; PostgreSQL additionally locks the row).
    """

    __tablename__ = "process_instance"
    __table_args__ = (Index("ix_process_instance_starter_started", "starter_id", "started_at"),)

    id: Mapped[intpk]
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(100), index=True)
    business_key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    school_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    starter_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[InstanceStatus] = mapped_column(
        Enum(InstanceStatus, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=InstanceStatus.RUNNING, index=True)
    outcome: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[str] = deferred(mapped_column(Text))
    serializer_version: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    #: How many times the case has been submitted (1 for the first submission); opinions carry it.
    round: Mapped[int] = mapped_column(default=0, server_default="0")
    version: Mapped[int] = mapped_column(default=1)

    definition: Mapped[ProcessDefinition] = relationship()
    school: Mapped[OrgUnit] = relationship()
    starter: Mapped[User] = relationship()

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<ProcessInstance {self.business_key}>"
