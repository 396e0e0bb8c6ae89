"""学期检查 / 教学视导 / 抽查: score-sheet templates, campaigns, per-school inspections, scores and
lesson observations (domain.md §2.5, §3.3)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Enum, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.i18n import N_
from app.models.base import Base, TimestampMixin, created_at, intpk, utcnow
from app.models.org import OrgUnit
from app.models.term import Term
from app.models.user import User

if TYPE_CHECKING:
    from app.models.process import ProcessInstance


def _enum(cls: type[enum.Enum], length: int = 20) -> Enum:
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class InspectionKind(enum.StrEnum):
    TERM_END = "term_end"        # 学期末专项检查
    VISITATION = "visitation"    # 教学视导
    SPOT_CHECK = "spot_check"    # 抽查
    LEDGER = "ledger"            # 台帐检查

    @property
    def label(self) -> str:
        return INSPECTION_KIND_LABELS[self]


INSPECTION_KIND_LABELS = {
    InspectionKind.TERM_END: N_("学期末专项检查"),
    InspectionKind.VISITATION: N_("教学视导"),
    InspectionKind.SPOT_CHECK: N_("抽查"),
    InspectionKind.LEDGER: N_("台帐检查"),
}

Points = Numeric(6, 1)


class ScoreSheetTemplate(Base):
    """One version of a hierarchical score sheet. Editing a template saves version n+1; campaigns keep
    the version they were created with."""

    __tablename__ = "score_template"
    __table_args__ = (UniqueConstraint("region_id", "code", "version"),)

    id: Mapped[intpk]
    region_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(default=1)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[InspectionKind] = mapped_column(_enum(InspectionKind))
    description: Mapped[str] = mapped_column(Text, default="")
    #: Grade bands by percentage of the total: [[90, "优秀"], [80, "良好"], [60, "合格"], [0, "不合格"]].
    grading_bands: Mapped[list[list[Any]]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(100), default="")   # the policy document it follows
    created_at: Mapped[created_at]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    latest: Mapped[bool] = mapped_column(default=True)

    items: Mapped[list[ScoreItem]] = relationship(back_populates="template", order_by="ScoreItem.seq",
                                                  cascade="all, delete-orphan")

    @property
    def top_items(self) -> list[ScoreItem]:
        return [i for i in self.items if i.parent_id is None]

    @property
    def leaves(self) -> list[ScoreItem]:
        parents = {i.parent_id for i in self.items}
        return [i for i in self.items if i.id not in parents]

    @property
    def total_points(self) -> Decimal:
        return sum((i.max_points for i in self.top_items), Decimal(0))


class ScoreItem(Base):
    """一级指标 (no parent) or 二级指标/观测点 (with one). Leaves are scored; a parent's points are the
    sum of its children's."""

    __tablename__ = "score_item"
    __table_args__ = (UniqueConstraint("template_id", "code"),)

    id: Mapped[intpk]
    template_id: Mapped[int] = mapped_column(ForeignKey("score_template.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("score_item.id"))
    seq: Mapped[int]
    code: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    max_points: Mapped[Decimal] = mapped_column(Points)
    guidance: Mapped[str] = mapped_column(Text, default="")   # 评分细则
    area: Mapped[str] = mapped_column(String(40), default="")  # 计划/过程/成果/经费, 七查看 area, 台帐 section
    #: An automatic metric filled from the records (see app.inspections.metrics), or None.
    metric: Mapped[str | None] = mapped_column(String(40))
    #: Whether this item is checked by the team's finance member (经费使用).
    finance: Mapped[bool] = mapped_column(default=False)

    template: Mapped[ScoreSheetTemplate] = relationship(back_populates="items")
    parent: Mapped[ScoreItem | None] = relationship(remote_side="ScoreItem.id")

    @property
    def level(self) -> int:
        return self.code.count(".") + 1


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {"draft": N_("未启动"), "open": N_("进行中"), "closed": N_("已结束")}[self.value]


class ScopeKind(enum.StrEnum):
    ALL = "all"
    TOWNSHIP = "township"
    SAMPLE = "sample"

    @property
    def label(self) -> str:
        return {"all": N_("全部学校"), "township": N_("指定乡镇"), "sample": N_("抽样学校")}[self.value]


class InspectionCampaign(TimestampMixin, Base):
    __tablename__ = "inspection_campaign"

    id: Mapped[intpk]
    region_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))      # the organising centre
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"))
    kind: Mapped[InspectionKind] = mapped_column(_enum(InspectionKind))
    title: Mapped[str] = mapped_column(String(100))
    template_id: Mapped[int] = mapped_column(ForeignKey("score_template.id"))
    scope_kind: Mapped[ScopeKind] = mapped_column(_enum(ScopeKind), default=ScopeKind.ALL)
    scope_org_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    announced: Mapped[bool] = mapped_column(default=True)
    self_check_due: Mapped[date | None]
    onsite_start: Mapped[date]
    onsite_end: Mapped[date]
    report_due: Mapped[date]
    #: Reminder this many working days before the self-check is due (policy setting, default 2).
    remind_working_days: Mapped[int] = mapped_column(default=2)
    status: Mapped[CampaignStatus] = mapped_column(_enum(CampaignStatus), default=CampaignStatus.DRAFT)
    started_at: Mapped[datetime | None]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    term: Mapped[Term] = relationship()
    template: Mapped[ScoreSheetTemplate] = relationship()
    org: Mapped[OrgUnit] = relationship(foreign_keys=[org_id])
    members: Mapped[list[CampaignMember]] = relationship(back_populates="campaign", cascade="all, delete-orphan",
                                                         order_by="CampaignMember.id")

    @property
    def lead(self) -> User | None:
        return next((m.user for m in self.members if m.team_role == TeamRole.LEAD), None)


class TeamRole(enum.StrEnum):
    LEAD = "lead"
    MEMBER = "member"
    FINANCE = "finance"

    @property
    def label(self) -> str:
        return {"lead": N_("组长"), "member": N_("组员"), "finance": N_("财务人员")}[self.value]


class CampaignMember(Base):
    __tablename__ = "inspection_campaign_member"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id"),)

    id: Mapped[intpk]
    campaign_id: Mapped[int] = mapped_column(ForeignKey("inspection_campaign.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    team_role: Mapped[TeamRole] = mapped_column(_enum(TeamRole))

    campaign: Mapped[InspectionCampaign] = relationship(back_populates="members")
    user: Mapped[User] = relationship(lazy="joined")


class InspectionStatus(enum.StrEnum):
    SELF_CHECK = "self_check"
    SIGNING = "signing"
    ONSITE = "onsite"
    REPORTING = "reporting"
    APPROVING = "approving"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return INSPECTION_STATUS_LABELS[self]


INSPECTION_STATUS_LABELS = {
    InspectionStatus.SELF_CHECK: N_("学校自查"),
    InspectionStatus.SIGNING: N_("校长签字"),
    InspectionStatus.ONSITE: N_("现场检查评分"),
    InspectionStatus.REPORTING: N_("撰写反馈报告"),
    InspectionStatus.APPROVING: N_("待中心主任审批"),
    InspectionStatus.PUBLISHED: N_("已发布"),
}


class Inspection(TimestampMixin, Base):
    """One school in one campaign."""

    __tablename__ = "inspection"
    __table_args__ = (UniqueConstraint("campaign_id", "school_id"),)

    id: Mapped[intpk]
    campaign_id: Mapped[int] = mapped_column(ForeignKey("inspection_campaign.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), unique=True)
    status: Mapped[InspectionStatus] = mapped_column(_enum(InspectionStatus), default=InspectionStatus.SELF_CHECK)
    self_check_note: Mapped[str] = mapped_column(Text, default="")
    self_check_submitted_at: Mapped[datetime | None]
    self_check_signed_at: Mapped[datetime | None]
    self_check_signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: The self-check was not in by its due date: scored as 未提交.
    self_check_missing: Mapped[bool] = mapped_column(default=False)
    #: Automatic metric values frozen when the inspection is consolidated: {item id: {value, text, ok}}.
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    total_score: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))
    grade: Mapped[str | None] = mapped_column(String(20))
    report_basic: Mapped[str] = mapped_column(Text, default="")        # 基本情况
    report_strengths: Mapped[str] = mapped_column(Text, default="")    # 值得肯定的成绩
    report_problems: Mapped[str] = mapped_column(Text, default="")     # 存在的问题和不足
    report_suggestions: Mapped[str] = mapped_column(Text, default="")  # 改进的意见或建议
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime | None]

    campaign: Mapped[InspectionCampaign] = relationship()
    school: Mapped[OrgUnit] = relationship()
    instance: Mapped[ProcessInstance | None] = relationship()


class SelfCheckEntry(Base):
    """The school's note on one item; its materials are attachments owned by this row."""

    __tablename__ = "inspection_self_check"
    __table_args__ = (UniqueConstraint("inspection_id", "item_id"),)

    id: Mapped[intpk]
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("score_item.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ItemScore(Base):
    """One inspector's score on one leaf item, or (``final``) the lead's consolidated score."""

    __tablename__ = "inspection_score"
    __table_args__ = (UniqueConstraint("inspection_id", "item_id", "scorer_id", "final"),)

    id: Mapped[intpk]
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("score_item.id"))
    scorer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    final: Mapped[bool] = mapped_column(default=False)
    score: Mapped[Decimal] = mapped_column(Points)
    deduction_reason: Mapped[str] = mapped_column(Text, default="")
    needs_rectification: Mapped[bool] = mapped_column(default=False)   # 需整改
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    scorer: Mapped[User] = relationship()


class LessonObservation(Base):
    """听课记录 made during an inspection; ``category`` is one of the 五必听 categories (or other)."""

    __tablename__ = "lesson_observation"

    id: Mapped[intpk]
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id", ondelete="CASCADE"), index=True)
    observer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    teacher_name: Mapped[str] = mapped_column(String(50))
    category: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(30))
    class_name: Mapped[str] = mapped_column(String(30), default="")
    observed_on: Mapped[date]
    unannounced: Mapped[bool] = mapped_column(default=True)   # 推门听课
    rating: Mapped[str] = mapped_column(String(10))
    strengths: Mapped[str] = mapped_column(Text, default="")
    problems: Mapped[str] = mapped_column(Text, default="")
    suggestions: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[created_at]

    observer: Mapped[User] = relationship()
