"""Human tasks (the inbox) and approval opinions (the typed history of decisions).

Human task rows are kept in step with the READY user tasks of each workflow after every engine
run; the inbox reads only these rows and never deserialises a workflow.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.i18n import N_
from app.models.base import Base, created_at, intpk
from app.models.org import OrgUnit
from app.models.user import User

if TYPE_CHECKING:
    from app.models.process import ProcessInstance


NO_DUE = datetime(9999, 12, 31, tzinfo=UTC)


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {"open": N_("待办理"), "completed": N_("已办理"), "cancelled": N_("已取消")}[self.value]


class HumanTask(Base):
    __tablename__ = "human_task"
    __table_args__ = (
        # One open row per engine task. Not unique over all rows: an admin rewind makes a completed
        # engine task READY again under the same id, and its old row stays as history.
        Index("uq_human_task_open_spiff_task", "instance_id", "spiff_task_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        # The two 待办 access paths, each ending in the queue order (and the id, for PostgreSQL's
        # index-only scans; SQLite keeps the rowid in every index anyway), so a page of the queue
        # is one ordered index range scan.
        Index("ix_human_task_queue", "status", "role", "org_id", "assignee_id", "due_sort", "created_at", "id"),
        Index("ix_human_task_assignee", "assignee_id", "status", "due_sort", "created_at", "id"),
        Index("ix_human_task_completed_by", "completed_by_id", "completed_at"),
        Index("ix_human_task_instance_status", "instance_id", "status"),
    )

    id: Mapped[intpk]
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str | None] = mapped_column(String(100))
    form_key: Mapped[str | None] = mapped_column(String(100))
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    role: Mapped[str | None] = mapped_column(String(30))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[TaskStatus] = mapped_column(
        Enum(TaskStatus, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=TaskStatus.OPEN)
    due_at: Mapped[datetime | None]
    #: ``due_at``, or a far-future sentinel when there is none: a non-null sort key, because
    #: SQLite and PostgreSQL disagree on where NULLs sort and neither can then use the index.
    due_sort: Mapped[datetime] = mapped_column(default=lambda: NO_DUE)
    created_at: Mapped[created_at]
    claimed_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(default=1)

    # Loaded on demand; list queries ask for what they show (see app.tasks.services).
    instance: Mapped[ProcessInstance] = relationship()
    org: Mapped[OrgUnit | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])

    __mapper_args__ = {"version_id_col": version}

    def set_due(self, due_at: datetime | None) -> None:
        self.due_at = due_at
        self.due_sort = due_at or NO_DUE

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN

    def __repr__(self) -> str:
        return f"<HumanTask {self.id} {self.bpmn_id} {self.status}>"


class Opinion(Base):
    """A typed approval record: who did what at which step, with their comment."""

    __tablename__ = "opinion"

    id: Mapped[intpk]
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    human_task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"))
    task_name: Mapped[str] = mapped_column(String(200))
    actor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(30))   # submit / approve / return / reject
    comment: Mapped[str | None] = mapped_column(Text)
    round: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[created_at]

    actor: Mapped[User] = relationship(lazy="selectin")


ACTION_LABELS = {
    "submit": N_("提交"),
    "approve": N_("通过"),
    "return": N_("退回修改"),
    "reject": N_("不通过"),
    "save": N_("保存草稿"),
}
