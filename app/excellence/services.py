"""评优 (W5): rounds, nominations and their formal check, expert scoring, ranking, 公示 and awards.

Services take the acting user and never commit; the request (or job) commits once. The process
(``bpmn/excellence_selection.bpmn``) gates the round; the rows here carry the business data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import selectinload

from app import audit
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.excellence import eligibility
from app.extensions import db
from app.i18n import N_
from app.jobs.registry import register_job_kind
from app.jobs.services import schedule
from app.models import (
    Award,
    ExpertAssignment,
    ExpertScore,
    HumanTask,
    Job,
    JobStatus,
    Nomination,
    NominationStatus,
    Objection,
    ObjectionDecision,
    OrgType,
    OrgUnit,
    Outcome,
    ProcessInstance,
    ProjectApplication,
    Role,
    RoleAssignment,
    RoundExpert,
    RoundStatus,
    RoundType,
    ScoreItem,
    ScoreSheetTemplate,
    SelectionRound,
    TaskStatus,
    Teacher,
    User,
)
from app.models.base import utcnow
from app.notifications.services import EVENT_TEXT, notify
from app.policy.services import policy_on
from app.processes.registry import OperationContext
from app.regions import region_id_of
from app.workdays import deadline_after_working_days
from app.workdays.moments import NEVER, end_of_day, local_today, reminder_moment

PROCESS_KEY = "excellence_selection"
REVIEW_REMIND_JOB = "exc.review_remind"
#: Rounds whose expert review is over: from here on the organiser and the leader see every score.
REVIEW_CLOSED = (RoundStatus.CONFIRMING, RoundStatus.NOTICE, RoundStatus.OBJECTIONS, RoundStatus.PUBLISHED)
#: Outcomes that put a nomination on the published list.
LISTED = (Outcome.AWARDED, Outcome.RESERVE)

EVENT_TEXT.update({
    "exc_review_reminder": N_("评审截止临近，请尽快完成评分：%(title)s"),
    "exc_objection": N_("公示收到异议，请处理：%(title)s"),
    "exc_notice": N_("评优名单已进入公示期：%(title)s"),
    "exc_result": N_("评优结果已公布：%(title)s"),
})


# -- lookups and permissions -------------------------------------------------------------------
def get_round(round_id: int) -> SelectionRound:
    round_ = db.session.get(SelectionRound, round_id)
    if round_ is None:
        raise NotFound(_("评优活动不存在"))
    return round_


def round_for_instance(instance_id: int) -> SelectionRound | None:
    return db.session.scalars(select(SelectionRound).where(SelectionRound.instance_id == instance_id)).first()


def get_nomination(round_: SelectionRound, nomination_id: int) -> Nomination:
    nomination = db.session.get(Nomination, nomination_id)
    if nomination is None or nomination.round_id != round_.id:
        raise NotFound(_("申报不存在"))
    return nomination


def is_organizer(user: User, round_: SelectionRound) -> bool:
    """The organising centre's reviewers (师干训中心) run the round; region admins may too."""
    return user.has_role(Role.CITY_REVIEWER, round_.org_id) or user.has_role(Role.ADMIN, round_.region_id)


def is_leader(user: User, round_: SelectionRound) -> bool:
    return user.has_role(Role.CENTER_HEAD, round_.org_id)


def is_panel_member(user: User, round_: SelectionRound) -> bool:
    return any(e.user_id == user.id for e in round_.experts)


def require_organizer(user: User, round_: SelectionRound) -> None:
    if not is_organizer(user, round_):
        raise Forbidden(_("只有组织单位（%(org)s）的审核员可以办理", org=round_.org.name))


def organizer_orgs(user: User) -> list[OrgUnit]:
    """Where the user may set up rounds: the orgs where they hold 市级审核员."""
    return [r.org for r in user.roles if r.role == Role.CITY_REVIEWER]


def _in_region(user: User, region_id: int) -> bool:
    return any(region_id in r.org.ancestor_ids() for r in user.roles)


def can_view_round(user: User, round_: SelectionRound) -> bool:
    """Anyone of the region sees a round once it is open; drafts are for the organiser and the leader."""
    if is_organizer(user, round_) or is_leader(user, round_) or is_panel_member(user, round_):
        return True
    return round_.status not in (RoundStatus.DRAFT, RoundStatus.APPROVING) and _in_region(user, round_.region_id)


def require_view(user: User, round_: SelectionRound) -> None:
    if not can_view_round(user, round_):
        raise NotFound(_("评优活动不存在"))


def visible_rounds(user: User) -> list[SelectionRound]:
    rounds = db.session.scalars(select(SelectionRound).options(selectinload(SelectionRound.experts))
                                .order_by(SelectionRound.id.desc()))
    return [r for r in rounds if can_view_round(user, r)]


def score_templates(region_id: int) -> list[ScoreSheetTemplate]:
    return list(db.session.scalars(select(ScoreSheetTemplate).where(
        ScoreSheetTemplate.region_id == region_id, ScoreSheetTemplate.latest.is_(True)).order_by(ScoreSheetTemplate.id)))


def expert_candidates(region_id: int) -> list[User]:
    """Active holders of the 评审专家 role anywhere in the region."""
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.id))
    return [u for u in users if any(r.role == Role.EXPERT and region_id in r.org.ancestor_ids() for r in u.roles)]


# -- rounds ------------------------------------------------------------------------------------
def school_year_of(day: date) -> int:
    """The 学年 a day falls in (a 学年 starts in September)."""
    return day.year if day.month >= 9 else day.year - 1


def propose_round(region_id: int, type_: RoundType, today: date) -> dict[str, Any]:
    """The next round of ``type_`` the policy calls for: its cycle and its default quota.

    精品项目 and 示范学校 run every ``excellence.cycle_years`` years (余教〔2020〕14号: 每两年); 先进单位
    and 优秀课题 every 学年, 10 先进单位 (县教科所) and 30% of the topics (清教党组〔2023〕2号).
    """
    policy = policy_on(region_id, today).policy
    years = policy.excellence_cycle_years if type_ in (RoundType.PREMIUM_PROJECT, RoundType.MODEL_SCHOOL) else 1
    last = db.session.scalars(select(SelectionRound.cycle_label).where(
        SelectionRound.region_id == region_id, SelectionRound.type == type_).order_by(SelectionRound.id.desc())).first()
    start = school_year_of(today)
    if last:
        try:
            start = max(start, int(last[:4]) + years)
        except ValueError:
            pass
    label = f"{start}–{start + years}" if years > 1 else f"{start}–{start + 1}学年"
    proposal: dict[str, Any] = {"cycle_label": label, "quota_count": None, "quota_ratio": None,
                                "notice_working_days": policy.notice_working_days,
                                "aggregation": policy.aggregation,
                                "rules": default_rules(type_)}
    if type_ == RoundType.ADVANCED_UNIT:
        proposal["quota_count"] = policy.excellence_unit_quota
    elif type_ == RoundType.EXCELLENT_TOPIC:
        proposal["quota_ratio"] = policy.excellence_topic_ratio
    return proposal


def default_rules(type_: RoundType) -> list[str]:
    rules = ["inspection_passed", "no_overdue_rectification", "no_ethics_veto"]
    return (["project_concluded"] + rules) if type_.nominee == "project" else rules


@dataclass
class RoundInput:
    type: RoundType
    title: str
    level: str
    cycle_label: str
    quota_count: int | None
    quota_ratio: Decimal | None
    township_quota: int | None
    reserve_count: int
    rules: list[str]
    template_id: int
    aggregation: str
    apply_start: date
    apply_end: date
    review_due: date
    notice_working_days: int
    remind_working_days: int
    recommend_count: int
    award_valid_years: int | None
    expert_ids: list[int]


def _apply_input(round_: SelectionRound, data: RoundInput) -> None:
    if (data.quota_count is None) == (data.quota_ratio is None):
        raise InvalidInput(_("名额按数量或按比例填写其一"), field="quota_count")
    if not data.apply_start <= data.apply_end < data.review_due:
        raise InvalidInput(_("申报截止须不早于申报开始，评审截止须晚于申报截止"), field="review_due")
    template = db.session.get(ScoreSheetTemplate, data.template_id)
    if template is None or template.region_id != round_.region_id:
        raise InvalidInput(_("请选择本地区的评分表"), field="template_id")
    candidates = {u.id for u in expert_candidates(round_.region_id)}
    if not data.expert_ids or any(i not in candidates for i in data.expert_ids):
        raise InvalidInput(_("请从本地区的评审专家中选择专家组成员"), field="expert_ids")
    unknown = [c for c in data.rules if c not in eligibility.RULES]
    if unknown:
        raise InvalidInput(_("未知的资格条件"), field="rules")
    for name in ("type", "title", "level", "cycle_label", "quota_count", "quota_ratio", "township_quota",
                 "reserve_count", "rules", "template_id", "aggregation", "apply_start", "apply_end", "review_due",
                 "notice_working_days", "remind_working_days", "recommend_count", "award_valid_years"):
        setattr(round_, name, getattr(data, name))
    keep = {e.user_id: e for e in round_.experts}
    round_.experts = [keep.get(i) or RoundExpert(user_id=i) for i in data.expert_ids]


def create_round(actor: User, org: OrgUnit, data: RoundInput) -> SelectionRound:
    """A draft round organised by ``org`` (where the actor is 市级审核员)."""
    if not actor.has_role(Role.CITY_REVIEWER, org.id):
        raise Forbidden(_("只有师干训中心的审核员可以设立评优活动"))
    round_ = SelectionRound(region_id=region_id_of(org), org_id=org.id, created_by_id=actor.id,
                            status=RoundStatus.DRAFT)
    _apply_input(round_, data)
    db.session.add(round_)
    db.session.flush()
    audit.record("exc.create_round", actor=actor, school_id=org.id, round_id=round_.id, title=round_.title)
    return round_


def update_round(actor: User, round_: SelectionRound, data: RoundInput) -> None:
    require_organizer(actor, round_)
    if round_.status != RoundStatus.DRAFT:
        raise Conflict(_("评优方案已提交审批，只有退回修改时才能编辑"))
    _apply_input(round_, data)
    audit.record("exc.update_round", actor=actor, instance=round_.instance, school_id=round_.org_id,
                 round_id=round_.id)


def submit_round(actor: User, round_: SelectionRound) -> ProcessInstance:
    """Start the round's process: the bureau leader approves the round before it opens."""
    from app.processes.runtime import start_instance

    require_organizer(actor, round_)
    if round_.instance_id is not None:
        raise Conflict(_("评优方案已提交"))
    instance = start_instance(PROCESS_KEY, actor=actor, school=round_.org, title=round_.title,
                              data={"round_id": round_.id}, key_prefix="PY")
    round_.instance_id = instance.id
    round_.status = RoundStatus.APPROVING
    return instance


# -- nominations -------------------------------------------------------------------------------
def window_open(round_: SelectionRound, today: date) -> bool:
    return round_.status == RoundStatus.OPEN and round_.apply_start <= today <= round_.apply_end


def nominating_org_for(actor: User, school: OrgUnit) -> OrgUnit | None:
    """Who the actor nominates for: the school itself (its admin or principal applies), or the
    township above it (its reviewer nominates and ranks); None if neither."""
    if actor.has_role(Role.SCHOOL_ADMIN, school.id) or actor.has_role(Role.PRINCIPAL, school.id):
        return school
    for org_id in school.ancestor_ids()[1:]:
        org = db.session.get(OrgUnit, org_id)
        if org is not None and org.type == OrgType.TOWNSHIP and actor.has_role(Role.TOWNSHIP_REVIEWER, org_id):
            return org
    return None


def nominee_schools(actor: User, round_: SelectionRound) -> list[OrgUnit]:
    """The schools of the round's region the actor may apply or nominate for."""
    schools = db.session.scalars(select(OrgUnit).where(OrgUnit.type == OrgType.SCHOOL, OrgUnit.active.is_(True))
                                 .order_by(OrgUnit.id))
    return [s for s in schools if round_.region_id in s.ancestor_ids() and nominating_org_for(actor, s) is not None]


@dataclass
class NominationInput:
    school_id: int
    project_id: int | None
    teacher_ids: list[int]
    summary: str
    recommend_rank: int | None


def _check_nomination_input(round_: SelectionRound, school: OrgUnit, data: NominationInput,
                            exclude_id: int | None = None) -> ProjectApplication | None:
    project = None
    if round_.type.nominee == "project":
        project = db.session.get(ProjectApplication, data.project_id) if data.project_id else None
        if project is None or project.school_id != school.id:
            raise InvalidInput(_("请选择本校的研修项目"), field="project_id")
    if not (data.summary or "").strip():
        raise InvalidInput(_("请填写申报材料（主要做法与成效）"), field="summary")
    if data.teacher_ids:
        found = set(db.session.scalars(select(Teacher.id).where(Teacher.id.in_(data.teacher_ids),
                                                                Teacher.school_id == school.id)))
        if found != set(data.teacher_ids):
            raise InvalidInput(_("被推荐人须是本校教师"), field="teacher_ids")
    dup = select(Nomination.id).where(Nomination.round_id == round_.id, Nomination.school_id == school.id,
                                      Nomination.status != NominationStatus.WITHDRAWN)
    if project is not None:
        dup = dup.where(Nomination.project_id == project.id)
    if exclude_id is not None:
        dup = dup.where(Nomination.id != exclude_id)
    if db.session.scalars(dup).first() is not None:
        raise InvalidInput(_("该项目（学校）已在本次评优中申报"), field="project_id" if project else "school_id")
    return project


def nominate(actor: User, round_: SelectionRound, data: NominationInput) -> Nomination:
    """A school applies, or a township nominates within its quota with its 择优排序."""
    school = db.session.get(OrgUnit, data.school_id)
    if school is None or school.type != OrgType.SCHOOL or round_.region_id not in school.ancestor_ids():
        raise InvalidInput(_("请选择本地区的学校"), field="school_id")
    nominator = nominating_org_for(actor, school)
    if nominator is None:
        raise Forbidden(_("您不能为该学校申报或推荐"))
    if not window_open(round_, local_today(utcnow())):
        raise Conflict(_("不在申报期内（%(start)s 至 %(end)s）", start=round_.apply_start, end=round_.apply_end))
    project = _check_nomination_input(round_, school, data)
    if nominator.type == OrgType.TOWNSHIP:
        if data.recommend_rank is None or data.recommend_rank < 1:
            raise InvalidInput(_("乡镇推荐须填写推荐排序（1 为最优）"), field="recommend_rank")
        mine = list(db.session.scalars(select(Nomination).where(
            Nomination.round_id == round_.id, Nomination.nominating_org_id == nominator.id,
            Nomination.status.not_in((NominationStatus.WITHDRAWN, NominationStatus.REJECTED)))))
        if round_.township_quota is not None and len(mine) >= round_.township_quota:
            raise InvalidInput(_("已达到本乡镇的推荐名额（%(n)s 个）", n=round_.township_quota), field="school_id")
        if any(n.recommend_rank == data.recommend_rank for n in mine):
            raise InvalidInput(_("推荐排序 %(rank)s 已被使用", rank=data.recommend_rank), field="recommend_rank")
    nomination = Nomination(round=round_, school_id=school.id, project_id=project.id if project else None,
                            teacher_ids=list(data.teacher_ids), nominating_org_id=nominator.id,
                            recommend_rank=data.recommend_rank if nominator.type == OrgType.TOWNSHIP else None,
                            summary=data.summary.strip(), status=NominationStatus.SUBMITTED,
                            submitted_by_id=actor.id)
    db.session.add(nomination)
    db.session.flush()
    audit.record("exc.nominate", actor=actor, instance=round_.instance, school_id=school.id,
                 round_id=round_.id, nomination_id=nomination.id, nominee=nomination.nominee_name)
    return nomination


def resubmit(actor: User, nomination: Nomination, data: NominationInput) -> None:
    """The applicant completes a returned nomination within the window."""
    round_ = nomination.round
    if nomination.status != NominationStatus.RETURNED:
        raise Conflict(_("只有退回补正的申报可以重新提交"))
    if nominating_org_for(actor, nomination.school) is None:
        raise Forbidden(_("您不能修改该申报"))
    if not window_open(round_, local_today(utcnow())):
        raise Conflict(_("申报期已过，不能再补正"))
    data.school_id = nomination.school_id
    project = _check_nomination_input(round_, nomination.school, data, exclude_id=nomination.id)
    nomination.project_id = project.id if project else None
    nomination.teacher_ids = list(data.teacher_ids)
    nomination.summary = data.summary.strip()
    nomination.status = NominationStatus.SUBMITTED
    audit.record("exc.resubmit", actor=actor, instance=round_.instance, school_id=nomination.school_id,
                 round_id=round_.id, nomination_id=nomination.id)


def can_edit_nomination(user: User, nomination: Nomination) -> bool:
    return (nomination.status == NominationStatus.RETURNED and nominating_org_for(user, nomination.school) is not None
            and window_open(nomination.round, local_today(utcnow())))


def check_nomination(actor: User, nomination: Nomination, *, complete: bool, note: str) -> Nomination:
    """形式审查 of one nomination: ineligible → rejected with the failed rules; complete → passed;
    incomplete → returned to the applicant while the window is open (rejected after it closes)."""
    round_ = nomination.round
    require_organizer(actor, round_)
    if round_.status not in (RoundStatus.OPEN, RoundStatus.CHECKING):
        raise Conflict(_("当前阶段不能做形式审查"))
    if nomination.status != NominationStatus.SUBMITTED:
        raise Conflict(_("该申报已审查（%(status)s）", status=_(nomination.status.label)))
    note = (note or "").strip()
    failed = eligibility.evaluate(nomination, round_.rules, local_today(utcnow()))
    nomination.failed_rules = failed
    nomination.checked_by_id = actor.id
    if failed:
        nomination.status = NominationStatus.REJECTED
        nomination.check_note = note or "；".join(f["message"] for f in failed)
    elif complete:
        nomination.status = NominationStatus.PASSED
        nomination.check_note = note
    else:
        if not note:
            raise InvalidInput(_("材料不完整时须写明需要补正的内容"), field="note")
        nomination.check_note = note
        nomination.status = (NominationStatus.RETURNED if window_open(round_, local_today(utcnow()))
                             else NominationStatus.REJECTED)
    audit.record("exc.check", actor=actor, instance=round_.instance, school_id=nomination.school_id,
                 round_id=round_.id, nomination_id=nomination.id, result=nomination.status.value,
                 failed=[f["message"] for f in failed])
    return nomination


# -- conflict of interest and assignment ------------------------------------------------------
def _conflict_orgs(org: OrgUnit) -> set[int]:
    """The school and the township an org belongs to (itself included)."""
    ids = set()
    for org_id in org.ancestor_ids():
        unit = db.session.get(OrgUnit, org_id)
        if unit is not None and unit.type in (OrgType.SCHOOL, OrgType.TOWNSHIP):
            ids.add(org_id)
    return ids


def expert_home_orgs(expert: User) -> set[int]:
    orgs = set()
    for assignment in expert.roles:
        orgs |= _conflict_orgs(assignment.org)
    teacher = db.session.scalars(select(Teacher).where(Teacher.user_id == expert.id)).first()
    if teacher is not None:
        orgs |= _conflict_orgs(teacher.school)
    return orgs


def has_conflict(expert: User, nomination: Nomination) -> bool:
    """An expert from the nominee's school or township (回避)."""
    return bool(expert_home_orgs(expert) & _conflict_orgs(nomination.school))


def eligible_experts(round_: SelectionRound, nomination: Nomination) -> list[User]:
    return [e.user for e in round_.experts if e.user.active and not has_conflict(e.user, nomination)]


def passed(round_: SelectionRound) -> list[Nomination]:
    return [n for n in round_.nominations if n.status == NominationStatus.PASSED]


def assign_experts(round_: SelectionRound) -> list[int]:
    """Assign every passed nomination to every panel expert without a conflict of interest.

    Returns the ids of the experts with at least one assignment (one 专家评分 instance each).
    """
    experts: set[int] = set()
    for nomination in passed(round_):
        have = set(db.session.scalars(select(ExpertAssignment.expert_id)
                                      .where(ExpertAssignment.nomination_id == nomination.id)))
        for expert in eligible_experts(round_, nomination):
            if expert.id not in have:
                db.session.add(ExpertAssignment(round_id=round_.id, nomination_id=nomination.id, expert_id=expert.id))
            experts.add(expert.id)
    db.session.flush()
    return sorted(experts)


# -- scoring -----------------------------------------------------------------------------------
def leaves(round_: SelectionRound) -> list[ScoreItem]:
    return round_.template.leaves


def assignments_of(round_: SelectionRound, expert: User) -> list[ExpertAssignment]:
    return list(db.session.scalars(select(ExpertAssignment).where(
        ExpertAssignment.round_id == round_.id, ExpertAssignment.expert_id == expert.id)
        .options(selectinload(ExpertAssignment.scores)).order_by(ExpertAssignment.nomination_id)))


def save_scores(actor: User, round_: SelectionRound, scores: Mapping[int, Mapping[int, Decimal | None]],
                comments: Mapping[int, str], *, submitting: bool) -> list[ExpertAssignment]:
    """Store the actor's scores ``{assignment id: {item id: score}}``; on submit, lock them.

    Submitted scores never change. Conflict of interest is re-checked here: an expert whose
    school or township has become the nominee's cannot score it.
    """
    if round_.status != RoundStatus.REVIEWING:
        raise Conflict(_("评审未在进行中"))
    mine = {a.id: a for a in assignments_of(round_, actor)}
    if not mine:
        raise Forbidden(_("您没有分配到本次评审的任务"))
    items = {i.id: i for i in leaves(round_)}
    for assignment in mine.values():
        if assignment.submitted_at is not None:
            raise Conflict(_("评分已提交并锁定，不能修改"))
        if has_conflict(actor, assignment.nomination):
            raise Forbidden(_("您与「%(name)s」存在回避关系，不能评分", name=assignment.nomination.nominee_name))
    for assignment_id, values in scores.items():
        assignment = mine.get(assignment_id)
        if assignment is None:
            raise Forbidden(_("只能为分配给您的申报评分"))
        existing = {s.item_id: s for s in assignment.scores}
        for item_id, value in values.items():
            item = items.get(item_id)
            if item is None:
                raise InvalidInput(_("评分项不属于本次评分表"))
            if value is None:
                if item_id in existing:
                    db.session.delete(existing.pop(item_id))
                continue
            if not Decimal(0) <= value <= item.max_points:
                raise InvalidInput(_("得分须在 0 到 %(max)s 之间", max=item.max_points),
                                   field=f"s_{assignment_id}_{item_id}")
            if item_id in existing:
                existing[item_id].score = value
            else:
                row = ExpertScore(item_id=item_id, score=value)
                assignment.scores.append(row)
                existing[item_id] = row
        assignment.comment = (comments.get(assignment_id) or "").strip()
    if submitting:
        now = utcnow()
        for assignment in mine.values():
            scored = {s.item_id for s in assignment.scores}
            missing = [i for i in items.values() if i.id not in scored]
            if missing:
                raise InvalidInput(_("「%(name)s」还有 %(n)s 项未评分", name=assignment.nomination.nominee_name,
                                     n=len(missing)), field=f"s_{assignment.id}_{missing[0].id}")
            assignment.total = sum((s.score for s in assignment.scores), Decimal(0))
            assignment.submitted_at = now
    audit.record("exc.submit_scores" if submitting else "exc.save_scores", actor=actor, instance=round_.instance,
                 school_id=round_.org_id, round_id=round_.id, count=len(mine))
    return list(mine.values())


def scores_visible_to(user: User, round_: SelectionRound) -> bool:
    """Everyone's scores: for the organiser and the leader once the review has closed; an expert sees
    only their own until then (and the panel sees all afterwards)."""
    if round_.status not in REVIEW_CLOSED:
        return False
    return is_organizer(user, round_) or is_leader(user, round_) or is_panel_member(user, round_)


def all_scores(round_: SelectionRound) -> dict[int, list[ExpertAssignment]]:
    rows = db.session.scalars(select(ExpertAssignment).where(ExpertAssignment.round_id == round_.id)
                              .options(selectinload(ExpertAssignment.expert)).order_by(ExpertAssignment.id))
    result: dict[int, list[ExpertAssignment]] = {}
    for row in rows:
        result.setdefault(row.nomination_id, []).append(row)
    return result


def review_progress(round_: SelectionRound) -> tuple[int, int]:
    """(experts who submitted, experts assigned)."""
    rows = db.session.execute(select(ExpertAssignment.expert_id, func.count(ExpertAssignment.submitted_at),
                                     func.count(ExpertAssignment.id))
                              .where(ExpertAssignment.round_id == round_.id).group_by(ExpertAssignment.expert_id)).all()
    return sum(1 for _e, done, total in rows if done == total), len(rows)


# -- aggregation and ranking -------------------------------------------------------------------
def award_quota(round_: SelectionRound, pool: int) -> int:
    """How many are awarded from a pool of ``pool`` passed nominations: the count, or the ratio of
    the pool rounded down (at least one when anyone passed)."""
    if pool <= 0:
        return 0
    if round_.quota_count is not None:
        return min(round_.quota_count, pool)
    ratio = Decimal(round_.quota_ratio or 0)
    return min(pool, max(1, math.floor(Decimal(pool) * ratio / Decimal(100))))


def aggregate_scores(totals: list[Decimal], method: str) -> Decimal | None:
    """Mean, or with at least three scores the mean after dropping one highest and one lowest."""
    if not totals:
        return None
    values = sorted(totals)
    if method == "trimmed_mean" and len(values) >= 3:
        values = values[1:-1]
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def rank(round_: SelectionRound) -> list[Nomination]:
    """Aggregate, rank (ties share a rank and are flagged) and mark awarded, reserves (备选) and the rest."""
    scores = all_scores(round_)
    pool = passed(round_)
    for nomination in pool:
        totals = [a.total for a in scores.get(nomination.id, []) if a.total is not None]
        nomination.final_score = aggregate_scores(totals, round_.aggregation)
    pool.sort(key=lambda n: (-(n.final_score or Decimal(0)), n.recommend_rank or 10**6, n.id))
    counts: dict[Decimal | None, int] = {}
    for nomination in pool:
        counts[nomination.final_score] = counts.get(nomination.final_score, 0) + 1
    quota = award_quota(round_, len(pool))
    previous: Decimal | None = None
    for position, nomination in enumerate(pool, 1):
        if position == 1 or nomination.final_score != previous:
            current_rank = position
        previous = nomination.final_score
        nomination.final_rank = current_rank
        nomination.tied = counts[nomination.final_score] > 1
        if position <= quota:
            nomination.outcome = Outcome.AWARDED
        elif position <= quota + round_.reserve_count:
            nomination.outcome = Outcome.RESERVE
        else:
            nomination.outcome = Outcome.NOT_AWARDED
    return pool


def ranking(round_: SelectionRound) -> list[Nomination]:
    return sorted(passed(round_), key=lambda n: (n.final_rank or 10**6, n.id))


def listed(round_: SelectionRound) -> list[Nomination]:
    return [n for n in ranking(round_) if n.outcome in LISTED]


# -- 公示 and objections -----------------------------------------------------------------------
def notice_open(round_: SelectionRound, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return round_.status == RoundStatus.NOTICE and round_.notice_end is not None and now <= round_.notice_end


def lodge_objection(actor: User, nomination: Nomination, content: str, evidence: str) -> Objection:
    """Anyone logged in may object to a nominee on the list while the 公示 is open (named, with evidence)."""
    round_ = nomination.round
    if not notice_open(round_):
        raise Conflict(_("公示期已结束或尚未开始，不能提出异议"))
    if nomination.outcome not in LISTED:
        raise InvalidInput(_("只能对公示名单中的对象提出异议"), field="nomination_id")
    if not (content or "").strip():
        raise InvalidInput(_("请写明异议的事实和理由"), field="content")
    objection = Objection(round_id=round_.id, nomination_id=nomination.id, submitter_id=actor.id,
                          content=content.strip(), evidence=(evidence or "").strip())
    db.session.add(objection)
    db.session.flush()
    audit.record("exc.objection", actor=actor, instance=round_.instance, school_id=round_.org_id,
                 round_id=round_.id, nomination_id=nomination.id, objection_id=objection.id)
    if round_.instance is not None:
        for organizer in _organizers(round_):
            notify(organizer.id, "exc_objection", instance=round_.instance, actor=actor,
                   discriminator=f"objection:{objection.id}")
    return objection


def _organizers(round_: SelectionRound) -> list[User]:
    return list(db.session.scalars(select(User).where(User.active.is_(True), User.roles.any(and_(
        RoleAssignment.role == Role.CITY_REVIEWER, RoleAssignment.org_id == round_.org_id))).order_by(User.id)))


def objections_of(round_: SelectionRound) -> list[Objection]:
    return list(db.session.scalars(select(Objection).where(Objection.round_id == round_.id)
                                   .order_by(Objection.id)))


def pending_objections(round_: SelectionRound) -> list[Objection]:
    return [o for o in objections_of(round_) if o.decision is None]


def handle_objection(actor: User, objection: Objection, decision: ObjectionDecision, note: str) -> Nomination | None:
    """Record the organiser's handling. Upheld: the nominee is disqualified and, if it was awarded,
    the best-ranked reserve moves up. Returns the promoted reserve, if any."""
    round_ = db.session.get(SelectionRound, objection.round_id)
    require_organizer(actor, round_)
    if round_.status not in (RoundStatus.NOTICE, RoundStatus.OBJECTIONS):
        raise Conflict(_("当前阶段不能处理异议"))
    if objection.decision is not None:
        raise Conflict(_("该异议已处理"))
    if not (note or "").strip():
        raise InvalidInput(_("请写明核查情况和处理意见"), field="note")
    objection.decision = decision
    objection.handling_note = note.strip()
    objection.decided_by_id = actor.id
    objection.decided_at = utcnow()
    promoted = None
    nomination = objection.nomination
    if decision == ObjectionDecision.UPHELD and nomination.outcome != Outcome.DISQUALIFIED:
        was_awarded = nomination.outcome == Outcome.AWARDED
        nomination.outcome = Outcome.DISQUALIFIED
        if was_awarded:
            reserves = [n for n in ranking(round_) if n.outcome == Outcome.RESERVE]
            if reserves:
                promoted = reserves[0]
                promoted.outcome = Outcome.AWARDED
    audit.record("exc.handle_objection", actor=actor, instance=round_.instance, school_id=round_.org_id,
                 round_id=round_.id, objection_id=objection.id, decision=decision.value,
                 promoted=promoted.nominee_name if promoted else None)
    return promoted


# -- awards ------------------------------------------------------------------------------------
def publish(round_: SelectionRound) -> list[Award]:
    """Publish the result: an award per awarded nominee (精品 on the project, 示范 status with its
    validity on the school) and the top ones marked for the next level."""
    now = utcnow()
    today = local_today(now)
    awards = []
    awarded = [n for n in ranking(round_) if n.outcome == Outcome.AWARDED]
    for seq, nomination in enumerate(awarded, 1):
        valid_until = None
        if round_.type == RoundType.MODEL_SCHOOL and round_.award_valid_years:
            valid_until = date(today.year + round_.award_valid_years, today.month, min(today.day, 28))
        award = Award(round_id=round_.id, nomination_id=nomination.id, school_id=nomination.school_id,
                      project_id=nomination.project_id, title=f"{round_.cycle_label}{_(round_.type.label)}",
                      certificate_no=f"PY{round_.id:04d}-{seq:03d}", valid_until=valid_until)
        db.session.add(award)
        awards.append(award)
        if round_.type == RoundType.PREMIUM_PROJECT and nomination.project is not None:
            nomination.project.is_premium = True
        nomination.next_level = seq <= round_.recommend_count
    round_.status = RoundStatus.PUBLISHED
    round_.published_at = now
    _tell_applicants(round_, "exc_result", [n for n in round_.nominations if n.status == NominationStatus.PASSED])
    return awards


def awards_of(round_: SelectionRound) -> list[Award]:
    return list(db.session.scalars(select(Award).where(Award.round_id == round_.id).order_by(Award.id)))


# -- service-task operations -------------------------------------------------------------------
def _round(params: Mapping[str, Any]) -> SelectionRound:
    return get_round(int(params["round_id"]))


def op_open(ctx: OperationContext, params: Mapping[str, Any]) -> dict[str, str]:
    round_ = _round(params)
    round_.status = RoundStatus.OPEN
    leader = ctx.actor
    round_.approved_by_id = leader.id if leader else None
    return {"apply_close_at": end_of_day(round_.apply_end).isoformat()}


def op_assign(ctx: OperationContext, params: Mapping[str, Any]) -> list[int]:
    round_ = _round(params)
    experts = assign_experts(round_)
    round_.status = RoundStatus.REVIEWING
    now = utcnow()
    remind_at = reminder_moment(round_.region_id, round_.review_due, round_.remind_working_days, now)
    if remind_at != NEVER:
        schedule(REVIEW_REMIND_JOB, {"round_id": round_.id}, remind_at, dedupe_key=f"exc.remind:{round_.id}",
                 ref=f"round:{round_.id}")
    return experts


def op_aggregate(ctx: OperationContext, params: Mapping[str, Any]) -> None:
    round_ = _round(params)
    # Every expert has submitted: a reminder still pending has nothing left to remind of.
    now = utcnow()
    db.session.execute(update(Job).where(Job.dedupe_key == f"exc.remind:{round_.id}", Job.status == JobStatus.PENDING)
                       .values(status=JobStatus.CANCELLED, finished_at=now, updated_at=now))
    rank(round_)
    round_.status = RoundStatus.CONFIRMING


def op_open_notice(ctx: OperationContext, params: Mapping[str, Any]) -> dict[str, str]:
    round_ = _round(params)
    now = utcnow()
    round_.notice_start = now
    round_.notice_end = deadline_after_working_days(round_.region_id, now, round_.notice_working_days)
    round_.status = RoundStatus.NOTICE
    _tell_applicants(round_, "exc_notice", [n for n in ranking(round_) if n.outcome in LISTED])
    return {"notice_end_at": round_.notice_end.isoformat()}


def _tell_applicants(round_: SelectionRound, event: str, nominations: list[Nomination]) -> None:
    """Notify whoever submitted each nomination (once per event and person)."""
    if round_.instance is None:
        return
    for user_id in sorted({n.submitted_by_id for n in nominations}):
        notify(user_id, event, instance=round_.instance)


def op_close_notice(ctx: OperationContext, params: Mapping[str, Any]) -> dict[str, int]:
    round_ = _round(params)
    pending = len(pending_objections(round_))
    round_.status = RoundStatus.OBJECTIONS if pending else round_.status
    return {"pending": pending}


def op_publish(ctx: OperationContext, params: Mapping[str, Any]) -> None:
    publish(_round(params))


OPERATIONS = {
    "exc.open": op_open,
    "exc.assign": op_assign,
    "exc.aggregate": op_aggregate,
    "exc.open_notice": op_open_notice,
    "exc.close_notice": op_close_notice,
    "exc.publish": op_publish,
}

#: Round status while a user task of the process is open (service tasks set the others).
STATUS_BY_TASK = {
    "Task_approve_round": RoundStatus.APPROVING,
    "Task_revise_round": RoundStatus.DRAFT,
    "Task_check": RoundStatus.CHECKING,
    "Task_score": RoundStatus.REVIEWING,
    "Task_confirm": RoundStatus.CONFIRMING,
    "Task_leader": RoundStatus.CONFIRMING,
    "Task_objections": RoundStatus.OBJECTIONS,
}


def refresh_status(round_: SelectionRound, open_tasks: list[HumanTask]) -> None:
    for task in open_tasks:
        status = STATUS_BY_TASK.get(task.bpmn_id)
        if status is not None:
            round_.status = status
            return


# -- review reminders (a job) ------------------------------------------------------------------
def remind_reviewers(job: Any) -> None:
    """Remind the experts who have not submitted yet, once per expert per round."""
    round_ = db.session.get(SelectionRound, int(job.payload["round_id"]))
    if round_ is None or round_.status != RoundStatus.REVIEWING or round_.instance is None:
        return
    rows = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == round_.instance_id,
                                                      HumanTask.bpmn_id == "Task_score",
                                                      HumanTask.status == TaskStatus.OPEN))
    for row in rows:
        if row.assignee_id is not None:
            notify(row.assignee_id, "exc_review_reminder", instance=round_.instance, task=row)
    audit.record("exc.remind", actor=None, instance=round_.instance, round_id=round_.id)


register_job_kind(REVIEW_REMIND_JOB, remind_reviewers)
