"""评优: selection rounds, nominations, the expert panel and its scores, the 公示 objections and the
awards a published round records (domain.md §2.7, §3.5)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Enum, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.i18n import N_
from app.models.base import Base, TimestampMixin, created_at, intpk
from app.models.inspection import ScoreItem, ScoreSheetTemplate
from app.models.org import OrgUnit
from app.models.user import User

if TYPE_CHECKING:
    from app.models.process import ProcessInstance
    from app.models.project import ProjectApplication


def _enum(cls: type[enum.Enum], length: int = 20) -> Enum:
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class RoundType(enum.StrEnum):
    PREMIUM_PROJECT = "premium_project"   # 精品项目
    MODEL_SCHOOL = "model_school"         # 优秀示范学校
    ADVANCED_UNIT = "advanced_unit"       # 先进单位
    EXCELLENT_TOPIC = "excellent_topic"   # 优秀校级课题 → 县级

    @property
    def label(self) -> str:
        return ROUND_TYPE_LABELS[self]

    @property
    def nominee(self) -> str:
        """What a nomination names: a project (精品项目, 课题) or a school (示范学校, 先进单位)."""
        return "project" if self in (RoundType.PREMIUM_PROJECT, RoundType.EXCELLENT_TOPIC) else "school"


ROUND_TYPE_LABELS = {
    RoundType.PREMIUM_PROJECT: N_("精品项目"),
    RoundType.MODEL_SCHOOL: N_("优秀示范学校"),
    RoundType.ADVANCED_UNIT: N_("先进单位"),
    RoundType.EXCELLENT_TOPIC: N_("优秀校级课题（推荐县级）"),
}


class RoundStatus(enum.StrEnum):
    DRAFT = "draft"
    APPROVING = "approving"      # waiting for the bureau leader
    OPEN = "open"                # nominations accepted
    CHECKING = "checking"        # window closed, 形式审查
    REVIEWING = "reviewing"      # experts scoring
    CONFIRMING = "confirming"    # panel confirms, leadership approves
    NOTICE = "notice"            # 公示
    OBJECTIONS = "objections"    # notice over, objections still to handle
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return ROUND_STATUS_LABELS[self]


ROUND_STATUS_LABELS = {
    RoundStatus.DRAFT: N_("草稿"),
    RoundStatus.APPROVING: N_("待领导审批"),
    RoundStatus.OPEN: N_("申报中"),
    RoundStatus.CHECKING: N_("形式审查"),
    RoundStatus.REVIEWING: N_("专家评审"),
    RoundStatus.CONFIRMING: N_("确认名单"),
    RoundStatus.NOTICE: N_("公示中"),
    RoundStatus.OBJECTIONS: N_("处理异议"),
    RoundStatus.PUBLISHED: N_("已公布"),
}


class SelectionRound(TimestampMixin, Base):
    """One 评优 round of a region: what is selected, how many, who may take part, how it is scored."""

    __tablename__ = "selection_round"

    id: Mapped[intpk]
    region_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))          # the organising centre
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), unique=True)
    type: Mapped[RoundType] = mapped_column(_enum(RoundType))
    title: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(20), default="county")        # county | city
    cycle_label: Mapped[str] = mapped_column(String(30))                     # 2025–2026
    quota_count: Mapped[int | None]
    quota_ratio: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))      # percent of the passed pool
    #: How many a township may nominate (择优推荐); None: no limit.
    township_quota: Mapped[int | None]
    #: How many 备选 (reserves) follow the awarded on the list.
    reserve_count: Mapped[int] = mapped_column(default=2)
    #: Eligibility rule codes (app.excellence.eligibility.RULES), evaluated for every nomination.
    rules: Mapped[list[str]] = mapped_column(JSON, default=list)
    template_id: Mapped[int] = mapped_column(ForeignKey("score_template.id"))
    aggregation: Mapped[str] = mapped_column(String(20), default="mean")    # mean | trimmed_mean
    apply_start: Mapped[date]
    apply_end: Mapped[date]
    review_due: Mapped[date]
    notice_working_days: Mapped[int] = mapped_column(default=5)
    remind_working_days: Mapped[int] = mapped_column(default=2)
    #: How many of the top nominees go on to the next level's round (0: none).
    recommend_count: Mapped[int] = mapped_column(default=0)
    #: Years a 示范学校 status lasts.
    award_valid_years: Mapped[int | None]
    status: Mapped[RoundStatus] = mapped_column(_enum(RoundStatus), default=RoundStatus.DRAFT)
    notice_start: Mapped[datetime | None]
    notice_end: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    org: Mapped[OrgUnit] = relationship(foreign_keys=[org_id])
    template: Mapped[ScoreSheetTemplate] = relationship()
    instance: Mapped[ProcessInstance | None] = relationship()
    experts: Mapped[list[RoundExpert]] = relationship(back_populates="round", cascade="all, delete-orphan",
                                                      order_by="RoundExpert.id")
    nominations: Mapped[list[Nomination]] = relationship(back_populates="round", cascade="all, delete-orphan",
                                                         order_by="Nomination.id")


class RoundExpert(Base):
    """A member of the round's expert panel (a user holding the 评审专家 role)."""

    __tablename__ = "selection_expert"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[intpk]
    round_id: Mapped[int] = mapped_column(ForeignKey("selection_round.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    chair: Mapped[bool] = mapped_column(default=False)

    round: Mapped[SelectionRound] = relationship(back_populates="experts")
    user: Mapped[User] = relationship(lazy="joined")


class NominationStatus(enum.StrEnum):
    SUBMITTED = "submitted"   # waiting for the formal check
    RETURNED = "returned"     # incomplete: back to the applicant within the window
    PASSED = "passed"
    REJECTED = "rejected"     # ineligible (failed rules shown) or not completed in time
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return NOMINATION_STATUS_LABELS[self]


NOMINATION_STATUS_LABELS = {
    NominationStatus.SUBMITTED: N_("待形式审查"),
    NominationStatus.RETURNED: N_("退回补正"),
    NominationStatus.PASSED: N_("审查通过"),
    NominationStatus.REJECTED: N_("不予受理"),
    NominationStatus.WITHDRAWN: N_("已撤回"),
}


class Outcome(enum.StrEnum):
    AWARDED = "awarded"
    RESERVE = "reserve"             # 备选
    NOT_AWARDED = "not_awarded"
    DISQUALIFIED = "disqualified"   # objection upheld

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]


OUTCOME_LABELS = {
    Outcome.AWARDED: N_("入选"),
    Outcome.RESERVE: N_("备选"),
    Outcome.NOT_AWARDED: N_("未入选"),
    Outcome.DISQUALIFIED: N_("取消资格"),
}


class Nomination(TimestampMixin, Base):
    """A school's application or a township's nomination (ranked within its quota) in one round."""

    __tablename__ = "nomination"
    __table_args__ = (UniqueConstraint("round_id", "school_id", "project_id"),)

    id: Mapped[intpk]
    round_id: Mapped[int] = mapped_column(ForeignKey("selection_round.id", ondelete="CASCADE"), index=True)
    #: The nominee's school (the nominee itself for school awards).
    school_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project_application.id"))
    #: Persons named in the nomination (project leader, team); a 师德 veto on any of them bars it.
    teacher_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    nominating_org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    recommend_rank: Mapped[int | None]                 # 择优排序 within the nominating township
    summary: Mapped[str] = mapped_column(Text, default="")   # 申报材料: achievements, outcomes
    status: Mapped[NominationStatus] = mapped_column(_enum(NominationStatus), default=NominationStatus.SUBMITTED)
    check_note: Mapped[str] = mapped_column(Text, default="")
    #: The eligibility rules it failed when checked: [{code, message}].
    failed_rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    final_score: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    final_rank: Mapped[int | None]
    tied: Mapped[bool] = mapped_column(default=False)
    outcome: Mapped[Outcome | None] = mapped_column(_enum(Outcome))
    next_level: Mapped[bool] = mapped_column(default=False)   # recommended to the next level's round
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    round: Mapped[SelectionRound] = relationship(back_populates="nominations")
    school: Mapped[OrgUnit] = relationship(foreign_keys=[school_id])
    nominating_org: Mapped[OrgUnit] = relationship(foreign_keys=[nominating_org_id])
    project: Mapped[ProjectApplication | None] = relationship()
    submitted_by: Mapped[User] = relationship(foreign_keys=[submitted_by_id])

    @property
    def nominee_name(self) -> str:
        if self.project is not None:
            return f"{self.project.title}（{self.school.display_name}）"
        return self.school.name


class ExpertAssignment(Base):
    """One expert scores one nomination; the scores lock when the expert submits."""

    __tablename__ = "expert_assignment"
    __table_args__ = (UniqueConstraint("nomination_id", "expert_id"),)

    id: Mapped[intpk]
    round_id: Mapped[int] = mapped_column(ForeignKey("selection_round.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nomination.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    total: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    comment: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None]

    nomination: Mapped[Nomination] = relationship()
    expert: Mapped[User] = relationship()
    scores: Mapped[list[ExpertScore]] = relationship(back_populates="assignment", cascade="all, delete-orphan")


class ExpertScore(Base):
    """An expert's score on one leaf item of the rubric."""

    __tablename__ = "expert_score"
    __table_args__ = (UniqueConstraint("assignment_id", "item_id"),)

    id: Mapped[intpk]
    assignment_id: Mapped[int] = mapped_column(ForeignKey("expert_assignment.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("score_item.id"))
    score: Mapped[Decimal] = mapped_column(Numeric(6, 1))

    assignment: Mapped[ExpertAssignment] = relationship(back_populates="scores")
    item: Mapped[ScoreItem] = relationship()


class ObjectionDecision(enum.StrEnum):
    UPHELD = "upheld"        # 异议成立: the nominee is disqualified, the next reserve moves up
    DISMISSED = "dismissed"  # 异议不成立

    @property
    def label(self) -> str:
        return OBJECTION_DECISION_LABELS[self]


OBJECTION_DECISION_LABELS = {
    ObjectionDecision.UPHELD: N_("异议成立（取消资格，备选递补）"),
    ObjectionDecision.DISMISSED: N_("异议不成立（维持）"),
}


class Objection(Base):
    """An objection (异议) lodged during the 公示 against one nominee on the list."""

    __tablename__ = "objection"

    id: Mapped[intpk]
    round_id: Mapped[int] = mapped_column(ForeignKey("selection_round.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nomination.id", ondelete="CASCADE"), index=True)
    submitter_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    content: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[created_at]
    decision: Mapped[ObjectionDecision | None] = mapped_column(_enum(ObjectionDecision))
    handling_note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]

    nomination: Mapped[Nomination] = relationship()
    submitter: Mapped[User] = relationship(foreign_keys=[submitter_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class Award(Base):
    """What a published round gave a nominee: 精品项目, 示范学校 status (with validity) …"""

    __tablename__ = "award"
    __table_args__ = (UniqueConstraint("nomination_id"),)

    id: Mapped[intpk]
    round_id: Mapped[int] = mapped_column(ForeignKey("selection_round.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nomination.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project_application.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    certificate_no: Mapped[str] = mapped_column(String(60), unique=True)
    valid_until: Mapped[date | None]
    awarded_at: Mapped[created_at]

    nomination: Mapped[Nomination] = relationship()
    school: Mapped[OrgUnit] = relationship()
