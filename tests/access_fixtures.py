"""The world the access matrix runs in: the full demo (as `yanxiu demo` seeds it) plus one file of
each kind, all belonging to the *own* school 余姚市阳明中学 (YY-S2, under 阳明街道教辅室)."""

from __future__ import annotations

import io
from types import SimpleNamespace

from sqlalchemy import select

from app.attachments.services import store_upload
from app.attachments.views import storage_settings
from app.demo import seed_demo, seed_sample_applications
from app.excellence import services as excellence
from app.excellence.demo import seed_excellence_demo
from app.extensions import db
from app.inspections.demo import seed_inspection_demo
from app.models import (
    ActivityRecord,
    CalendarOverride,
    HumanTask,
    Inspection,
    InspectionCampaign,
    Job,
    Notification,
    OrgUnit,
    ProcessDefinition,
    ProjectApplication,
    RectificationItem,
    RectificationOrder,
    ResearchPlan,
    SavedFilter,
    ScoreItem,
    ScoreSheetTemplate,
    SelectionRound,
    SelfCheckEntry,
    TaskStatus,
    Teacher,
    User,
)
from app.models.base import utcnow
from app.plans.demo import seed_planning_demo
from app.processes.services import deploy_directory
from app.rectification.views import EVIDENCE
from app.regions import current_term
from app.workdays.moments import local_today

#: persona -> username. "own" is YY-S2 and its township (阳明); "other" is YY-S3 under 梨洲.
PERSONAS = {
    "anon": None,
    "school_admin.own": "s2_admin", "school_admin.other": "s3_admin",
    "principal.own": "s2_principal", "principal.other": "s3_principal",
    "teacher.own": "s2_teacher", "teacher.other": "s3_teacher",
    "township.own": "town1", "township.other": "town2",
    "city": "city", "inspector": "inspector", "center_head": "director", "finance": "finance",
    "expert": "expert", "admin": "admin",
}


def _first(stmt):
    """The row with the lowest id (the same one on SQLite and PostgreSQL)."""
    entity = stmt.column_descriptions[0]["entity"]
    return db.session.scalars(stmt.order_by(*entity.__mapper__.primary_key).limit(1)).first()


def _upload(owner_type: str, owner_id: int, instance_id: int | None, school_id: int, actor: User) -> int:
    return store_upload(io.BytesIO("研修材料".encode()), "材料.txt", settings=storage_settings(), owner_type=owner_type,
                        owner_id=owner_id, instance_id=instance_id, school_id=school_id, actor=actor).id


def build(bpmn_dir, password_method: str) -> SimpleNamespace:
    """Seed the demo and return the ids the matrix URLs are built from (inside an app context)."""
    seed_demo(password_method=password_method)
    deploy_directory(bpmn_dir)
    seed_planning_demo(password_method=password_method)
    db.session.commit()
    seed_sample_applications()
    db.session.commit()
    seed_inspection_demo()
    db.session.commit()
    seed_excellence_demo()
    db.session.commit()
    users = {u.username: u for u in db.session.scalars(select(User))}
    orgs = {o.code: o for o in db.session.scalars(select(OrgUnit))}
    school = orgs["YY-S2"]
    project = _first(select(ProjectApplication).where(ProjectApplication.school_id == school.id))
    plan = _first(select(ResearchPlan).where(ResearchPlan.school_id == school.id))
    record = _first(select(ActivityRecord).where(ActivityRecord.school_id == school.id))
    inspection = _first(select(Inspection).where(Inspection.school_id == school.id))
    score_item = _first(select(ScoreItem).where(ScoreItem.template_id == db.session.get(InspectionCampaign, inspection.campaign_id).template_id)
                        .order_by(ScoreItem.id.desc()))
    entry = SelfCheckEntry(inspection_id=inspection.id, item_id=score_item.id, note="已按要求准备")
    db.session.add(entry)
    db.session.flush()
    order = _first(select(RectificationOrder).where(RectificationOrder.school_id == school.id))
    item = _first(select(RectificationItem).where(RectificationItem.order_id == order.id))
    task = _first(select(HumanTask).where(HumanTask.instance_id == project.instance_id,
                                          HumanTask.status == TaskStatus.OPEN))
    definition = _first(select(ProcessDefinition).where(ProcessDefinition.key == "project_application"))
    admin = users["s2_admin"]
    # The demo round is open for applications; the own school applies too, so that its nomination is "own".
    round_ = _first(select(SelectionRound))
    nomination = excellence.nominate(admin, round_, excellence.NominationInput(
        school.id, None, [], "以课例研究为主线开展校本研修。", None))
    term = current_term(orgs["YY"].id, local_today(utcnow()))
    ns = SimpleNamespace(
        school=school.id, project=project.id, instance=project.instance_id, task=task.id, plan=plan.id,
        record=record.id, inspection=inspection.id, campaign=_first(select(InspectionCampaign)).id,
        template=_first(select(ScoreSheetTemplate)).id, order=order.id, item=item.id,
        score_item=score_item.id,
        # The teacher record of s2_teacher, so that "teacher.own" is that teacher's own record.
        teacher=_first(select(Teacher).where(Teacher.user_id == users["s2_teacher"].id)).id,
        process_key=definition.key, version=definition.version,
        project_file=_upload("project", project.id, project.instance_id, school.id, admin),
        activity_file=_upload("activity", record.id, plan.instance_id, school.id, admin),
        material=_upload("inspection_selfcheck", entry.id, inspection.instance_id, school.id, admin),
        evidence=_upload(EVIDENCE, item.id, order.instance_id, school.id, admin),
        notification=_first(select(Notification).where(Notification.recipient_id == users["town1"].id)),
        saved_filter=SavedFilter(owner_id=users["town1"].id, name="我的筛选", criteria={}),
        override=_first(select(CalendarOverride)),
        job=_first(select(Job)),
        round=round_.id, nomination=nomination.id, term=term.id,
    )
    db.session.add(ns.saved_filter)
    db.session.flush()
    ns.notification = ns.notification.id if ns.notification else 0
    ns.saved_filter = ns.saved_filter.id
    ns.override = ns.override.id if ns.override else 0
    ns.job = ns.job.id if ns.job else 0
    db.session.commit()
    return ns
