"""学期检查 services: campaigns, the per-school inspection, self-check, scoring, lesson observations,
consolidation, the four-part report, publication, ranking, and who may see what.

Services take the acting user and never commit; the request, CLI command or job commits once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import audit
from app.access import oversees
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.inspections.metrics import (
    LESSON_CATEGORIES,
    OTHER_CATEGORY,
    MetricContext,
    evaluate,
    suggested_score,
)
from app.inspections.sheets import grade_for
from app.models import (
    CampaignMember,
    CampaignStatus,
    HumanTask,
    Inspection,
    InspectionCampaign,
    InspectionKind,
    InspectionStatus,
    InstanceStatus,
    ItemScore,
    LessonObservation,
    OrgType,
    OrgUnit,
    ProcessInstance,
    Role,
    ScopeKind,
    ScoreItem,
    ScoreSheetTemplate,
    SelfCheckEntry,
    TeamRole,
    Term,
    User,
)
from app.models.base import utcnow
from app.processes.registry import OperationContext
from app.processes.runtime import start_instance
from app.regions import region_id_of as region_of
from app.workdays.moments import end_of_day, local_today, reminder_moment

PROCESS_KEY = "term_inspection"
MATERIALS = "inspection_selfcheck"
#: Roles that organise campaigns at a centre (师干训中心 / 进修学校 / 教科所).
ORGANISER_ROLES = (Role.CITY_REVIEWER, Role.CENTER_HEAD, Role.INSPECTOR)
#: Region-level roles that see every inspection of their scope, published or not.
STAFF_ROLES = frozenset({Role.CITY_REVIEWER, Role.CENTER_HEAD, Role.INSPECTOR, Role.ADMIN})
RATINGS = ("优", "良", "中", "差")


# -- campaigns -----------------------------------------------------------------------------------
def organiser_orgs(user: User) -> list[OrgUnit]:
    return [ra.org for ra in user.roles if ra.role in ORGANISER_ROLES and ra.org.type in (OrgType.CENTER,
                                                                                          OrgType.BUREAU)]


@dataclass
class CampaignInput:
    title: str
    kind: InspectionKind
    term_id: int
    template_id: int
    scope_kind: ScopeKind
    scope_org_ids: list[int]
    announced: bool
    self_check_due: date | None
    onsite_start: date
    onsite_end: date
    report_due: date
    lead_id: int
    member_ids: list[int] = field(default_factory=list)
    finance_id: int | None = None
    remind_working_days: int = 2


def team_candidates(org: OrgUnit) -> dict[str, list[User]]:
    """Who may be put on a team: inspectors (lead and members) and finance officers of the region."""
    region = region_of(org)
    people: dict[str, list[User]] = {"inspectors": [], "finance": []}
    for user in db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)):
        for ra in user.roles:
            if region in ra.org.ancestor_ids():
                if ra.role == Role.INSPECTOR and user not in people["inspectors"]:
                    people["inspectors"].append(user)
                if ra.role == Role.FINANCE and user not in people["finance"]:
                    people["finance"].append(user)
    return people


def schools_in_region(region_id: int) -> list[OrgUnit]:
    return [o for o in db.session.scalars(select(OrgUnit).where(OrgUnit.type == OrgType.SCHOOL, OrgUnit.active.is_(True))
                                          .order_by(OrgUnit.code)) if region_id in o.ancestor_ids()]


def townships_in_region(region_id: int) -> list[OrgUnit]:
    return [o for o in db.session.scalars(select(OrgUnit).where(OrgUnit.type == OrgType.TOWNSHIP).order_by(OrgUnit.code))
            if region_id in o.ancestor_ids()]


def create_campaign(*, actor: User, org_id: int, data: CampaignInput) -> InspectionCampaign:
    """Set up a campaign (not started). Raises :class:`InvalidInput` naming the offending field."""
    org = next((o for o in organiser_orgs(actor) if o.id == org_id), None)
    if org is None:
        raise Forbidden(_("只有师干训中心的审核员、督导检查员或中心主任可以组织检查"))
    region = region_of(org)
    term = db.session.get(Term, data.term_id)
    if term is None or term.region_id != region:
        raise InvalidInput(_("请选择有效的学期"), field="term_id")
    template = db.session.get(ScoreSheetTemplate, data.template_id)
    if template is None or template.region_id != region:
        raise InvalidInput(_("请选择有效的评分表"), field="template_id")
    if data.announced:
        if data.self_check_due is None:
            raise InvalidInput(_("提前通知的检查须设自查截止日期"), field="self_check_due")
        if data.self_check_due <= local_today(utcnow()):
            raise InvalidInput(_("自查截止日期须晚于今天"), field="self_check_due")
        if data.self_check_due >= data.onsite_start:
            raise InvalidInput(_("自查截止日期须早于现场检查开始日期"), field="self_check_due")
    if data.onsite_end < data.onsite_start:
        raise InvalidInput(_("现场检查结束日期不能早于开始日期"), field="onsite_end")
    if data.report_due < data.onsite_end:
        raise InvalidInput(_("报告截止日期不能早于现场检查结束日期"), field="report_due")
    allowed = {s.id for s in schools_in_region(region)} if data.scope_kind == ScopeKind.SAMPLE else \
        {t.id for t in townships_in_region(region)}
    if data.scope_kind != ScopeKind.ALL and (not data.scope_org_ids or not set(data.scope_org_ids) <= allowed):
        raise InvalidInput(_("请选择检查范围内的乡镇或学校"), field="scope_org_ids")
    people = team_candidates(org)
    inspectors = {u.id for u in people["inspectors"]}
    if data.lead_id not in inspectors:
        raise InvalidInput(_("组长须为本地区的督导检查员"), field="lead_id")
    if not set(data.member_ids) <= inspectors:
        raise InvalidInput(_("组员须为本地区的督导检查员"), field="member_ids")
    if data.finance_id is not None and data.finance_id not in {u.id for u in people["finance"]}:
        raise InvalidInput(_("财务人员须为本地区的财务人员"), field="finance_id")
    campaign = InspectionCampaign(
        region_id=region, org_id=org.id, term_id=term.id, kind=data.kind, title=data.title.strip(),
        template_id=template.id, scope_kind=data.scope_kind,
        scope_org_ids=[] if data.scope_kind == ScopeKind.ALL else sorted(set(data.scope_org_ids)),
        announced=data.announced, self_check_due=data.self_check_due if data.announced else None,
        onsite_start=data.onsite_start, onsite_end=data.onsite_end, report_due=data.report_due,
        remind_working_days=data.remind_working_days, status=CampaignStatus.DRAFT, created_by_id=actor.id)
    campaign.members.append(CampaignMember(user_id=data.lead_id, team_role=TeamRole.LEAD))
    for user_id in sorted(set(data.member_ids) - {data.lead_id}):
        campaign.members.append(CampaignMember(user_id=user_id, team_role=TeamRole.MEMBER))
    if data.finance_id is not None:
        campaign.members.append(CampaignMember(user_id=data.finance_id, team_role=TeamRole.FINANCE))
    db.session.add(campaign)
    db.session.flush()
    audit.record("inspection.campaign_create", actor=actor, campaign_id=campaign.id, title=campaign.title)
    return campaign


def scope_schools(campaign: InspectionCampaign) -> list[OrgUnit]:
    schools = schools_in_region(campaign.region_id)
    if campaign.scope_kind == ScopeKind.SAMPLE:
        return [s for s in schools if s.id in campaign.scope_org_ids]
    if campaign.scope_kind == ScopeKind.TOWNSHIP:
        return [s for s in schools if s.parent_id in campaign.scope_org_ids]
    return schools


def start_campaign(campaign: InspectionCampaign, *, actor: User) -> list[Inspection]:
    """Open the campaign: one inspection (and process instance) per school in scope."""
    if not may_manage(actor, campaign):
        raise Forbidden(_("只有组织单位的人员可以启动检查"))
    if campaign.status != CampaignStatus.DRAFT:
        raise Conflict(_("该检查已启动"))
    now = utcnow()
    data: dict[str, Any] = {"announced": campaign.announced}
    if campaign.announced and campaign.self_check_due is not None:
        data["selfcheck_due_at"] = end_of_day(campaign.self_check_due).isoformat()
        data["selfcheck_remind_at"] = reminder_moment(campaign.region_id, campaign.self_check_due,
                                                      campaign.remind_working_days, now).isoformat()
    inspections = []
    for school in scope_schools(campaign):
        inspection = Inspection(campaign_id=campaign.id, school_id=school.id,
                                status=InspectionStatus.SELF_CHECK if campaign.announced else InspectionStatus.ONSITE)
        db.session.add(inspection)
        db.session.flush()
        instance = start_instance(PROCESS_KEY, actor=actor, school=school, title=f"{campaign.title}·{school.name}",
                                  data={**data, "inspection_id": inspection.id}, key_prefix="JC")
        inspection.instance_id = instance.id
        inspections.append(inspection)
    campaign.status = CampaignStatus.OPEN
    campaign.started_at = now
    audit.record("inspection.campaign_start", actor=actor, campaign_id=campaign.id, schools=len(inspections))
    return inspections


# -- access --------------------------------------------------------------------------------------
def member_of(user: User, campaign: InspectionCampaign) -> CampaignMember | None:
    return next((m for m in campaign.members if m.user_id == user.id), None)


def may_manage(user: User, campaign: InspectionCampaign) -> bool:
    return any(user.has_role(role, campaign.org_id) for role in ORGANISER_ROLES) or user.has_role(Role.ADMIN)


def is_staff_for(user: User, school: OrgUnit) -> bool:
    """Region-level staff overseeing the school (sees unpublished scores)."""
    return any(ra.role in STAFF_ROLES and school.path.startswith(ra.org.path) and ra.org.type != OrgType.SCHOOL
               for ra in user.roles)


def is_school_user(user: User, school: OrgUnit) -> bool:
    return any(ra.org_id == school.id for ra in user.roles)


def view_level(user: User, inspection: Inspection) -> str | None:
    """``staff`` (everything), ``school`` (its own inspection; results once published), ``published``
    (a township's view of published results) or None (may not see it)."""
    campaign = inspection.campaign
    if member_of(user, campaign) is not None or is_staff_for(user, inspection.school):
        return "staff"
    if is_school_user(user, inspection.school):
        # An unannounced visit is not shown to the school before its results are published.
        if campaign.announced or inspection.status == InspectionStatus.PUBLISHED:
            return "school"
        return None
    if inspection.status == InspectionStatus.PUBLISHED and oversees(user, inspection.school):
        return "published"
    return None


def get_visible_inspection(inspection_id: int, user: User) -> tuple[Inspection, str]:
    inspection = db.session.get(Inspection, inspection_id)
    level = view_level(user, inspection) if inspection is not None else None
    if level is None:
        raise NotFound(_("找不到该检查，或您没有查看权限"))
    return inspection, level


def visible_campaigns(user: User) -> list[InspectionCampaign]:
    """Campaigns the user organises, is on the team of, or oversees as region staff."""
    campaigns = list(db.session.scalars(select(InspectionCampaign).options(joinedload(InspectionCampaign.term))
                                        .order_by(InspectionCampaign.created_at.desc(), InspectionCampaign.id.desc())))
    result = []
    for c in campaigns:
        if member_of(user, c) or may_manage(user, c) or any(
                ra.role in STAFF_ROLES | {Role.TOWNSHIP_REVIEWER} and c.region_id in ra.org.ancestor_ids()
                for ra in user.roles):
            result.append(c)
    return result


def get_visible_campaign(campaign_id: int, user: User) -> InspectionCampaign:
    campaign = db.session.get(InspectionCampaign, campaign_id)
    if campaign is None or campaign not in visible_campaigns(user):
        raise NotFound(_("找不到该检查，或您没有查看权限"))
    return campaign


def inspections_for_school_users(user: User) -> list[Inspection]:
    """A school's own inspections (what its principal and admin see)."""
    school_ids = [ra.org_id for ra in user.roles if ra.org.type == OrgType.SCHOOL]
    if not school_ids:
        return []
    rows = db.session.scalars(select(Inspection).where(Inspection.school_id.in_(school_ids))
                              .options(joinedload(Inspection.campaign)).order_by(Inspection.id.desc()))
    return [i for i in rows if view_level(user, i) is not None]


def campaign_inspections(campaign: InspectionCampaign, user: User) -> list[tuple[Inspection, str]]:
    rows = db.session.scalars(select(Inspection).where(Inspection.campaign_id == campaign.id)
                              .options(joinedload(Inspection.school)).order_by(Inspection.id))
    return [(i, level) for i in rows if (level := view_level(user, i)) is not None]


def ranking(campaign: InspectionCampaign) -> list[Inspection]:
    """Published inspections, best first (the region's 通报)."""
    return list(db.session.scalars(select(Inspection).where(Inspection.campaign_id == campaign.id,
                                                            Inspection.status == InspectionStatus.PUBLISHED)
                                   .options(joinedload(Inspection.school))
                                   .order_by(Inspection.total_score.desc(), Inspection.id)))


# -- self-check ----------------------------------------------------------------------------------
def leaves(inspection: Inspection) -> list[ScoreItem]:
    return inspection.campaign.template.leaves


def selfcheck_entries(inspection: Inspection) -> dict[int, SelfCheckEntry]:
    return {e.item_id: e for e in db.session.scalars(select(SelfCheckEntry).where(
        SelfCheckEntry.inspection_id == inspection.id))}


def selfcheck_entry(inspection: Inspection, item_id: int) -> SelfCheckEntry:
    """The entry for one item (created on first use) to hang notes and materials on."""
    if item_id not in {i.id for i in inspection.campaign.template.items}:
        raise NotFound(_("评分项目不存在"))
    entry = db.session.scalars(select(SelfCheckEntry).where(SelfCheckEntry.inspection_id == inspection.id,
                                                            SelfCheckEntry.item_id == item_id)).first()
    if entry is None:
        entry = SelfCheckEntry(inspection_id=inspection.id, item_id=item_id, note="")
        db.session.add(entry)
        db.session.flush()
    return entry


def save_selfcheck(inspection: Inspection, notes: Mapping[int, str], summary: str, actor: User) -> None:
    for item_id, note in notes.items():
        entry = selfcheck_entry(inspection, item_id)
        entry.note = note.strip()
        entry.updated_at = utcnow()
    inspection.self_check_note = summary.strip()
    audit.record("inspection.selfcheck_save", actor=actor, instance=inspection.instance,
                 inspection_id=inspection.id)


# -- scoring and observations ---------------------------------------------------------------------
def may_score(user: User, inspection: Inspection) -> bool:
    return member_of(user, inspection.campaign) is not None and inspection.status == InspectionStatus.ONSITE


def scorable_items(user: User, inspection: Inspection) -> list[ScoreItem]:
    """The finance member scores the 经费 items; the other members score everything else."""
    member = member_of(user, inspection.campaign)
    if member is None:
        return []
    items = leaves(inspection)
    if member.team_role == TeamRole.FINANCE:
        return [i for i in items if i.finance]
    has_finance = any(m.team_role == TeamRole.FINANCE for m in inspection.campaign.members)
    return [i for i in items if not (i.finance and has_finance)]


@dataclass(frozen=True)
class ScoreInput:
    item_id: int
    score: Decimal | None
    reason: str


def save_scores(inspection: Inspection, inputs: Sequence[ScoreInput], actor: User) -> list[tuple[int, str]]:
    """Save the actor's scores; return (item id, message) problems and save nothing if there are any.

    A score below the item's points needs a deduction reason.
    """
    if not may_score(actor, inspection):
        raise Forbidden(_("只有检查组成员可以在现场检查阶段评分"))
    items = {i.id: i for i in scorable_items(actor, inspection)}
    problems = []
    for entry in inputs:
        item = items.get(entry.item_id)
        if item is None:
            problems.append((entry.item_id, _("您不负责该项评分")))
        elif entry.score is not None:
            if entry.score < 0 or entry.score > item.max_points:
                problems.append((item.id, _("得分须在 0 到 %(max)s 之间", max=item.max_points)))
            elif entry.score < item.max_points and not entry.reason.strip():
                problems.append((item.id, _("扣分须写明扣分理由")))
    if problems:
        return problems
    existing = {s.item_id: s for s in db.session.scalars(select(ItemScore).where(
        ItemScore.inspection_id == inspection.id, ItemScore.scorer_id == actor.id, ItemScore.final.is_(False)))}
    for entry in inputs:
        row = existing.get(entry.item_id)
        if entry.score is None:
            if row is not None:
                db.session.delete(row)
            continue
        if row is None:
            row = ItemScore(inspection_id=inspection.id, item_id=entry.item_id, scorer_id=actor.id, final=False)
            db.session.add(row)
        row.score = entry.score
        row.deduction_reason = entry.reason.strip()
        row.updated_at = utcnow()
    audit.record("inspection.score", actor=actor, instance=inspection.instance, inspection_id=inspection.id,
                 items=len([e for e in inputs if e.score is not None]))
    return []


def scores_by_item(inspection: Inspection, *, final: bool = False) -> dict[int, list[ItemScore]]:
    grouped: dict[int, list[ItemScore]] = defaultdict(list)
    for row in db.session.scalars(select(ItemScore).where(ItemScore.inspection_id == inspection.id,
                                                          ItemScore.final.is_(final))
                                  .options(joinedload(ItemScore.scorer)).order_by(ItemScore.id)):
        grouped[row.item_id].append(row)
    return grouped


@dataclass(frozen=True)
class ObservationInput:
    teacher_name: str
    category: str
    subject: str
    class_name: str
    observed_on: date
    unannounced: bool
    rating: str
    strengths: str
    problems: str
    suggestions: str


def add_observation(inspection: Inspection, data: ObservationInput, actor: User) -> LessonObservation:
    if not may_score(actor, inspection):
        raise Forbidden(_("只有检查组成员可以在现场检查阶段记录听课"))
    if data.category not in LESSON_CATEGORIES and data.category != OTHER_CATEGORY[0]:
        raise InvalidInput(_("请选择听课对象类别"), field="category")
    if data.rating not in RATINGS:
        raise InvalidInput(_("请选择评价等级"), field="rating")
    if data.observed_on > local_today(utcnow()):
        raise InvalidInput(_("听课日期不能晚于今天"), field="observed_on")
    row = LessonObservation(inspection_id=inspection.id, observer_id=actor.id, teacher_name=data.teacher_name.strip(),
                            category=data.category, subject=data.subject.strip(), class_name=data.class_name.strip(),
                            observed_on=data.observed_on, unannounced=data.unannounced, rating=data.rating,
                            strengths=data.strengths.strip(), problems=data.problems.strip(),
                            suggestions=data.suggestions.strip())
    db.session.add(row)
    db.session.flush()
    audit.record("inspection.observe", actor=actor, instance=inspection.instance, inspection_id=inspection.id,
                 category=data.category)
    return row


def observations(inspection: Inspection) -> list[LessonObservation]:
    return list(db.session.scalars(select(LessonObservation).where(LessonObservation.inspection_id == inspection.id)
                                   .options(joinedload(LessonObservation.observer))
                                   .order_by(LessonObservation.observed_on, LessonObservation.id)))


def lesson_checklist(inspection: Inspection) -> list[tuple[str, str, int]]:
    """五必听: (category key, label, lessons observed) for each category; 0 means still missing."""
    counts: dict[str, int] = defaultdict(int)
    for row in observations(inspection):
        counts[row.category] += 1
    return [(key, label, counts.get(key, 0)) for key, label in LESSON_CATEGORIES.items()]


# -- metrics, consolidation, report ----------------------------------------------------------------
def metric_values(inspection: Inspection) -> dict[int, Any]:
    """Live metric results for the template's leaves that have a metric."""
    term = inspection.campaign.term
    results = {}
    for item in leaves(inspection):
        result = evaluate(MetricContext(inspection, inspection.school, term, item))
        if result is not None:
            results[item.id] = result
    return results


@dataclass(frozen=True)
class FinalInput:
    item_id: int
    score: Decimal
    reason: str
    needs_rectification: bool


def proposed_scores(inspection: Inspection) -> dict[int, Decimal]:
    """What the lead starts from: the mean of the team's scores, else the metric's suggestion."""
    metrics = metric_values(inspection)
    proposals = {}
    for item in leaves(inspection):
        rows = scores_by_item(inspection).get(item.id, [])
        if rows:
            proposals[item.id] = (sum(r.score for r in rows) / len(rows)).quantize(Decimal("0.1"))
        else:
            suggestion = suggested_score(item, metrics.get(item.id))
            if suggestion is not None:
                proposals[item.id] = suggestion
    return proposals


def consolidate(inspection: Inspection, finals: Sequence[FinalInput], actor: User) -> None:
    """The lead's final score per leaf item: total, grade, and the metrics frozen as evidence."""
    items = {i.id: i for i in leaves(inspection)}
    given = {f.item_id: f for f in finals}
    missing = [i.code for i in items.values() if i.id not in given]
    if missing:
        raise InvalidInput(_("以下项目尚未评分：%(codes)s", codes=_("、").join(missing)), field="summary")
    for row in db.session.scalars(select(ItemScore).where(ItemScore.inspection_id == inspection.id,
                                                          ItemScore.final.is_(True))):
        db.session.delete(row)
    db.session.flush()
    for final in finals:
        item = items[final.item_id]
        if final.score < 0 or final.score > item.max_points:
            raise InvalidInput(_("得分须在 0 到 %(max)s 之间", max=item.max_points), field=f"score_{item.id}")
        if final.score < item.max_points and not final.reason.strip():
            raise InvalidInput(_("扣分须写明扣分理由"), field=f"reason_{item.id}")
        db.session.add(ItemScore(inspection_id=inspection.id, item_id=item.id, scorer_id=actor.id, final=True,
                                 score=final.score, deduction_reason=final.reason.strip(),
                                 needs_rectification=final.needs_rectification))
    total = sum((f.score for f in finals), Decimal(0))
    inspection.total_score = total
    inspection.grade = grade_for(inspection.campaign.template, total)
    inspection.metrics = {str(k): v.as_json() for k, v in metric_values(inspection).items()}
    audit.record("inspection.consolidate", actor=actor, instance=inspection.instance, inspection_id=inspection.id,
                 total=str(total), grade=inspection.grade)


def draft_report(inspection: Inspection) -> dict[str, str]:
    """A first draft of the four-part feedback report from the findings (the lead edits it)."""
    campaign = inspection.campaign
    finals = {s.item_id: s for rows in scores_by_item(inspection, final=True).values() for s in rows}
    items = {i.id: i for i in leaves(inspection)}
    lead = campaign.lead
    lessons = observations(inspection)
    basic = _("%(start)s至%(end)s，%(org)s检查组（组长：%(lead)s）对%(school)s进行了%(kind)s，听课 %(n)s 节。"
              "评分 %(total)s 分，等级：%(grade)s。", start=campaign.onsite_start.isoformat(),
              end=campaign.onsite_end.isoformat(), org=campaign.org.name, lead=lead.display_name if lead else "",
              school=inspection.school.name, kind=_(campaign.kind.label), n=len(lessons),
              total=inspection.total_score if inspection.total_score is not None else "—",
              grade=inspection.grade or "—")
    if inspection.self_check_missing:
        basic += _("学校未按期提交自查材料（记为未提交）。")
    full = [items[i].title for i, s in finals.items() if s.score >= items[i].max_points]
    lost = [(items[i], s) for i, s in finals.items() if s.score < items[i].max_points]
    strengths = "\n".join(_("%(n)s. %(title)s：达到要求。", n=n, title=t) for n, t in enumerate(full, 1))
    problems = "\n".join(_("%(n)s. %(title)s（扣 %(lost)s 分）：%(reason)s", n=n, title=item.title,
                           lost=item.max_points - s.score, reason=s.deduction_reason)
                         for n, (item, s) in enumerate(lost, 1))
    suggestions = "\n".join(_("%(n)s. 针对“%(title)s”限期整改：%(guidance)s", n=n, title=item.title,
                              guidance=item.guidance or item.title)
                            for n, (item, s) in enumerate([p for p in lost if p[1].needs_rectification], 1))
    return {"report_basic": basic, "report_strengths": strengths, "report_problems": problems,
            "report_suggestions": suggestions}


REPORT_PARTS = ("report_basic", "report_strengths", "report_problems", "report_suggestions")


def save_report(inspection: Inspection, parts: Mapping[str, str], actor: User, *, submitting: bool) -> None:
    for name in REPORT_PARTS:
        value = (parts.get(name) or "").strip()
        if submitting and not value and name in ("report_basic", "report_problems", "report_suggestions"):
            raise InvalidInput(_("此项为必填项"), field=name)
        setattr(inspection, name, value)
    audit.record("inspection.report_submit" if submitting else "inspection.report_save", actor=actor,
                 instance=inspection.instance, inspection_id=inspection.id)


# -- the operations the BPMN calls ------------------------------------------------------------------
def _inspection(params: Mapping[str, Any]) -> Inspection:
    inspection = db.session.get(Inspection, int(params["inspection_id"]))
    if inspection is None:
        raise NotFound(_("检查 %(id)s 不存在", id=params["inspection_id"]))
    return inspection


def remind_selfcheck(ctx: OperationContext, params: Mapping[str, Any]) -> dict[str, Any]:
    inspection = _inspection(params)
    audit.record("inspection.selfcheck_remind", actor=ctx.actor, instance=ctx.instance, inspection_id=inspection.id,
                 due=inspection.campaign.self_check_due.isoformat() if inspection.campaign.self_check_due else None)
    return {"reminded": True}


def selfcheck_signed(ctx: OperationContext, params: Mapping[str, Any]) -> dict[str, Any]:
    inspection = _inspection(params)
    inspection.self_check_signed_at = utcnow()
    inspection.self_check_signed_by_id = ctx.actor.id if ctx.actor else None
    audit.record("inspection.selfcheck_signed", actor=ctx.actor, instance=ctx.instance, inspection_id=inspection.id)
    return {"signed": True}


def selfcheck_missing(ctx: OperationContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """The self-check was not in (submitted and signed) by its due date: recorded as 未提交."""
    inspection = _inspection(params)
    inspection.self_check_missing = True
    audit.record("inspection.selfcheck_missing", actor=ctx.actor, instance=ctx.instance, inspection_id=inspection.id)
    return {"missing": True}


def publish(ctx: OperationContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """「发布结果」: the school sees score, grade and report; findings marked 需整改 become a draft order."""
    from app.rectification.services import ItemDraft, create_order, default_deadline

    inspection = _inspection(params)
    inspection.status = InspectionStatus.PUBLISHED
    inspection.published_at = utcnow()
    inspection.approved_by_id = ctx.actor.id if ctx.actor else None
    items = {i.id: i for i in leaves(inspection)}
    findings = [s for rows in scores_by_item(inspection, final=True).values() for s in rows if s.needs_rectification]
    order_id = None
    lead = inspection.campaign.lead
    if findings and lead is not None:
        deadline = default_deadline(inspection.school)
        drafts = [ItemDraft(problem=f"{items[s.item_id].title}：{s.deduction_reason or _('未达到要求')}",
                            requirement=items[s.item_id].guidance or _("按评分细则要求整改到位"),
                            deadline=deadline, area=f"{items[s.item_id].code} {items[s.item_id].title}",
                            score_item_id=s.item_id)
                  for s in sorted(findings, key=lambda s: items[s.item_id].seq)]
        order = create_order(actor=lead, school_id=inspection.school_id, items=drafts, inspection_id=inspection.id,
                             basis=_("根据%(campaign)s反馈报告", campaign=inspection.campaign.title))
        order_id = order.id
    audit.record("inspection.publish", actor=ctx.actor, instance=ctx.instance, inspection_id=inspection.id,
                 total=str(inspection.total_score), grade=inspection.grade, rectification_order=order_id)
    return {"published": True, "rectification_order_id": order_id}


OPERATIONS = {
    "insp.remind": remind_selfcheck,
    "insp.selfcheck_signed": selfcheck_signed,
    "insp.selfcheck_missing": selfcheck_missing,
    "insp.publish": publish,
}

_STATUS_BY_STEP = {
    "Task_selfcheck": InspectionStatus.SELF_CHECK,
    "Task_sign": InspectionStatus.SIGNING,
    "Task_consolidate": InspectionStatus.ONSITE,
    "Task_report": InspectionStatus.REPORTING,
    "Task_approve": InspectionStatus.APPROVING,
}
LEAD_STEPS = ("Task_consolidate", "Task_report")


def refresh_status(inspection: Inspection, instance: ProcessInstance, open_tasks: list[HumanTask],
                   created: list[HumanTask]) -> None:
    """Derive the status from the open step; give the lead's steps to the campaign lead."""
    if instance.status == InstanceStatus.COMPLETED:
        inspection.status = InspectionStatus.PUBLISHED
    for task in open_tasks:
        if task.bpmn_id in _STATUS_BY_STEP:
            inspection.status = _STATUS_BY_STEP[task.bpmn_id]
            if inspection.status == InspectionStatus.SIGNING:
                inspection.self_check_submitted_at = inspection.self_check_submitted_at or utcnow()
    lead = inspection.campaign.lead
    for task in created:
        if task.bpmn_id in LEAD_STEPS and lead is not None and task.org_id is not None \
                and lead.has_role(Role(task.role), task.org_id):
            task.assignee_id = lead.id
            task.claimed_at = utcnow()


def inspection_for_instance(instance_id: int) -> Inspection | None:
    return db.session.scalars(select(Inspection).where(Inspection.instance_id == instance_id)).first()


def open_task(inspection: Inspection, bpmn_id: str) -> HumanTask | None:
    from app.models import TaskStatus

    return db.session.scalars(select(HumanTask).where(HumanTask.instance_id == inspection.instance_id,
                                                      HumanTask.status == TaskStatus.OPEN,
                                                      HumanTask.bpmn_id == bpmn_id)).first()


def school_results(school_id: int) -> list[Inspection]:
    """Published results of a school, newest first (for 评优 eligibility and the annual assessment)."""
    return list(db.session.scalars(select(Inspection).where(Inspection.school_id == school_id,
                                                            Inspection.status == InspectionStatus.PUBLISHED)
                                   .order_by(Inspection.published_at.desc())))




