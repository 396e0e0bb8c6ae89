"""All models, imported in one place so that Alembic sees every table."""

from app.models.activity import ATTENDANCE_LABELS, ActivityRecord, Attendance, AttendanceStatus
from app.models.attachment import Attachment
from app.models.audit import AuditEvent
from app.models.base import Base
from app.models.calendar import CalendarOverride
from app.models.cc import CarbonCopy
from app.models.credit import BatchStatus, CreditBatch, CreditRecord, CreditStatus
from app.models.excellence import (
    Award,
    ExpertAssignment,
    ExpertScore,
    Nomination,
    NominationStatus,
    Objection,
    ObjectionDecision,
    Outcome,
    RoundExpert,
    RoundStatus,
    RoundType,
    SelectionRound,
)
from app.models.inspection import (
    CampaignMember,
    CampaignStatus,
    Inspection,
    InspectionCampaign,
    InspectionKind,
    InspectionStatus,
    ItemScore,
    LessonObservation,
    ScopeKind,
    ScoreItem,
    ScoreSheetTemplate,
    SelfCheckEntry,
    TeamRole,
)
from app.models.job import Job, JobStatus
from app.models.login_attempt import LoginFailure
from app.models.notification import EmailMode, EmailStatus, Notification, NotificationPreference
from app.models.org import OrgType, OrgUnit
from app.models.plan import BudgetLine, PlanKind, PlannedActivity, PlanStatus, ResearchPlan
from app.models.policy import PolicyVersion
from app.models.process import InstanceStatus, ProcessDefinition, ProcessInstance
from app.models.project import ProjectApplication, ProjectStatus
from app.models.rectification import (
    ExtensionRequest,
    ExtensionStatus,
    ItemStatus,
    ItemVerification,
    NoticeKind,
    OrderStatus,
    RectificationItem,
    RectificationNotice,
    RectificationOrder,
)
from app.models.saved_filter import SavedFilter
from app.models.sequence import SequenceCounter
from app.models.task import ACTION_LABELS, HumanTask, Opinion, SignKind, TaskStatus
from app.models.teacher import Teacher
from app.models.term import Term
from app.models.user import ROLE_LABELS, ROLE_NAMES, Role, RoleAssignment, User

__all__ = [
    "Award",
    "ExpertAssignment",
    "ExpertScore",
    "Nomination",
    "NominationStatus",
    "Objection",
    "ObjectionDecision",
    "Outcome",
    "RoundExpert",
    "RoundStatus",
    "RoundType",
    "SelectionRound",
    "LoginFailure",
    "ACTION_LABELS",
    "ATTENDANCE_LABELS",
    "ActivityRecord",
    "Attendance",
    "AttendanceStatus",
    "BatchStatus",
    "BudgetLine",
    "CreditBatch",
    "CreditRecord",
    "CreditStatus",
    "PlanKind",
    "PlanStatus",
    "PlannedActivity",
    "PolicyVersion",
    "ResearchPlan",
    "Teacher",
    "Attachment",
    "AuditEvent",
    "Base",
    "CalendarOverride",
    "CampaignMember",
    "CampaignStatus",
    "CarbonCopy",
    "EmailMode",
    "EmailStatus",
    "ExtensionRequest",
    "ExtensionStatus",
    "HumanTask",
    "Inspection",
    "InspectionCampaign",
    "InspectionKind",
    "InspectionStatus",
    "InstanceStatus",
    "ItemScore",
    "ItemStatus",
    "ItemVerification",
    "Job",
    "JobStatus",
    "LessonObservation",
    "NoticeKind",
    "Notification",
    "NotificationPreference",
    "Opinion",
    "OrderStatus",
    "OrgType",
    "OrgUnit",
    "ProcessDefinition",
    "ProcessInstance",
    "ProjectApplication",
    "ProjectStatus",
    "ROLE_LABELS",
    "ROLE_NAMES",
    "RectificationItem",
    "RectificationNotice",
    "RectificationOrder",
    "Role",
    "SavedFilter",
    "SequenceCounter",
    "SignKind",
    "RoleAssignment",
    "ScopeKind",
    "ScoreItem",
    "ScoreSheetTemplate",
    "SelfCheckEntry",
    "SequenceCounter",
    "TaskStatus",
    "TeamRole",
    "Term",
    "User",
]
