"""Human tasks (the inbox) and approval opinions (the typed history of decisions).

Human task rows are kept in step with the READY user tasks of each workflow after every engine
run; the inbox reads only these rows and never deserialises a workflow.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
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
    #: Exists but may not be acted on yet: a later signer of a sequential (依次) step, an after-signer
    #: (后加签) before the original approver approves, an approver waiting for before-signers (前加签).
    WAITING = "waiting"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {"open": N_("待办理"), "waiting": N_("等待中"), "completed": N_("已办理"),
                "cancelled": N_("已取消")}[self.value]


class SignKind(enum.StrEnum):
    """Why a row exists beside others for the same BPMN task (see app/processes/signing.py)."""

    MEMBER = "member"        # one of the approvers of a 会签/或签/依次/比例 step
    BEFORE = "before"        # 前加签: signs before the row it was added to
    AFTER = "after"          # 后加签: signs after the row it was added to approves
    PARALLEL = "parallel"    # 并加签: signs alongside the row it was added to

    @property
    def label(self) -> str:
        return {"member": N_("会签成员"), "before": N_("前加签"), "after": N_("后加签"),
                "parallel": N_("并加签")}[self.value]


class HumanTask(Base):
    __tablename__ = "human_task"
    # A BPMN task may have several rows (会签 members, added signers) and, after a 退回 or 撤回, a new
    # row under the same engine task id; the instance lock keeps them from being created twice.
    __table_args__ = (
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
    #: Shared by every row of one activation of a BPMN task (会签 members, added signers), so that
    #: rows left from before a 退回 or 撤回 of the same engine task are not counted again.
    step_key: Mapped[str | None] = mapped_column(String(32))
    #: 委派: the user who delegated the task and will finish it; ``assignee`` is the delegate meanwhile.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: 加签: the row this signer was added to.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"), index=True)
    sign_kind: Mapped[SignKind | None] = mapped_column(
        Enum(SignKind, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]))
    #: Position in a 依次审批 step.
    sign_order: Mapped[int | None]
    #: The decision this row was completed with (approve / return / reject / submit ...).
    decision: Mapped[str | None] = mapped_column(String(30))
    version: Mapped[int] = mapped_column(default=1)

    # Loaded on demand; list queries ask for what they show (see app.tasks.services).
    instance: Mapped[ProcessInstance] = relationship()
    org: Mapped[OrgUnit | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    parent: Mapped[HumanTask | None] = relationship(remote_side="HumanTask.id")

    __mapper_args__ = {"version_id_col": version}

    def set_due(self, due_at: datetime | None) -> None:
        self.due_at = due_at
        self.due_sort = due_at or NO_DUE

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN

    @property
    def is_live(self) -> bool:
        """Open or waiting: part of the step the instance is at."""
        return self.status in (TaskStatus.OPEN, TaskStatus.WAITING)

    @property
    def is_delegated(self) -> bool:
        return self.owner_id is not None

    @property
    def bulk_safe(self) -> bool:
        """The process marks this step safe to approve in bulk from the inbox (``bulkSafe="true"``)."""
        return (self.properties or {}).get("bulkSafe") == "true"

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
    action: Mapped[str] = mapped_column(String(30))   # a key of ACTION_LABELS
    comment: Mapped[str | None] = mapped_column(Text)
    #: The other person an action names: the new assignee of 转办, the delegate, the added signer …
    target_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: Structured facts shown with the opinion (e.g. the steps a 退回 rolled back).
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    round: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[created_at]

    actor: Mapped[User] = relationship(lazy="selectin", foreign_keys=[actor_id])
    target: Mapped[User | None] = relationship(lazy="selectin", foreign_keys=[target_id])


ACTION_LABELS = {
    "submit": N_("提交"),
    "approve": N_("通过"),
    "return": N_("退回修改"),
    "reject": N_("不通过"),
    "save": N_("保存草稿"),
    "claim": N_("认领"),
    "unclaim": N_("取消认领"),
    "transfer": N_("转办"),
    "delegate": N_("委派"),
    "resolve": N_("委派办结交还"),
    "reclaim": N_("收回委派"),
    "return_to": N_("退回"),
    "withdraw": N_("撤回"),
    "add_sign": N_("加签"),
    "remove_sign": N_("减签"),
    "cc": N_("抄送"),
    "urge": N_("催办"),
    "comment": N_("评论"),
    "attach": N_("上传附件"),
}
