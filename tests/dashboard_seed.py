"""Varied dashboard records across the demo schools and two terms, written straight to the tables."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import (
    ActivityRecord,
    Attendance,
    AttendanceStatus,
    CreditBatch,
    CreditRecord,
    CreditStatus,
    HumanTask,
    Inspection,
    InspectionCampaign,
    InspectionKind,
    InspectionStatus,
    OrderStatus,
    OrgType,
    OrgUnit,
    PlanStatus,
    ProcessDefinition,
    ProcessInstance,
    RectificationOrder,
    ResearchPlan,
    ScoreSheetTemplate,
    TaskStatus,
    Teacher,
    Term,
    User,
)


def _at(day, hour=9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def seed(seed_value: int = 7) -> None:
    """Two of the demo terms get plans, activities with attendance, credits, published inspections, 整改
    orders and completed approval tasks in random amounts per school (some schools get nothing)."""
    rng = random.Random(seed_value)
    admin = db.session.scalars(select(User).where(User.username == "admin")).one()
    region = db.session.scalars(select(OrgUnit).where(OrgUnit.code == "YY")).one()
    center = db.session.scalars(select(OrgUnit).where(OrgUnit.code == "YY-C")).one()
    schools = list(db.session.scalars(select(OrgUnit).where(OrgUnit.type == OrgType.SCHOOL).order_by(OrgUnit.code)))
    terms = list(db.session.scalars(select(Term).order_by(Term.start_date)))[:2]
    definitions = {d.key: d for d in db.session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.id))}
    definition = definitions["credit_registration"]
    template = ScoreSheetTemplate(region_id=region.id, code="t", name="检查表", kind=InspectionKind.TERM_END)
    db.session.add(template)
    teachers = {}
    for school in schools:
        teachers[school.id] = [Teacher(school_id=school.id, name=f"{school.short_name}教师{n}") for n in range(4)]
        db.session.add_all(teachers[school.id])
    db.session.flush()
    serial = 0
    for term in terms:
        campaigns = [InspectionCampaign(region_id=region.id, org_id=center.id, term_id=term.id, kind=kind,
                                        title=f"{term.name}{kind.value}", template_id=template.id,
                                        onsite_start=term.start_date, onsite_end=term.start_date,
                                        report_due=term.end_date, created_by_id=admin.id)
                     for kind in (InspectionKind.TERM_END, InspectionKind.VISITATION)]
        db.session.add_all(campaigns)
        db.session.flush()
        for school in schools:
            if rng.random() < 0.2:
                continue   # a school with nothing this term
            statuses = rng.sample([PlanStatus.APPROVED, PlanStatus.SUPERSEDED, PlanStatus.DRAFT,
                                   PlanStatus.APPROVED], k=rng.randint(1, 2))
            plans = [ResearchPlan(school_id=school.id, term_id=term.id, status=s, created_by_id=admin.id)
                     for s in statuses]
            db.session.add_all(plans)
            db.session.flush()
            for n in range(rng.randint(0, 8)):
                held = term.start_date + timedelta(days=7 * n + 1)
                record = ActivityRecord(school_id=school.id, term_id=term.id, plan_id=plans[0].id, held_on=held,
                                        form="讲座", topic=f"活动{n}", presenter="张", hours=Decimal("2"),
                                        summary="小结" if n % 2 else "", created_by_id=admin.id)
                db.session.add(record)
                db.session.flush()
                for teacher in rng.sample(teachers[school.id], k=rng.randint(0, 4)):
                    db.session.add(Attendance(activity_id=record.id, teacher_id=teacher.id,
                                              status=rng.choice(list(AttendanceStatus)), recorded_by_id=admin.id))
            serial += 1
            batch_instance = ProcessInstance(definition_id=definition.id, process_key="credit_registration",
                                             business_key=f"b{serial}", title=f"学分{serial}", school_id=school.id,
                                             starter_id=admin.id, state="{}", serializer_version="1")
            db.session.add(batch_instance)
            db.session.flush()
            batch = CreditBatch(school_id=school.id, term_id=term.id, created_by_id=admin.id,
                                instance_id=batch_instance.id)
            db.session.add(batch)
            db.session.flush()
            for teacher in teachers[school.id]:
                for _ in range(rng.randint(0, 2)):
                    db.session.add(CreditRecord(
                        batch_id=batch.id, teacher_id=teacher.id, school_id=school.id, academic_year=2025,
                        source="activity", category="校本研修", title="活动学分", raw_credits=Decimal("1.5"),
                        credits=Decimal(rng.choice(["0.5", "1.0", "1.5"])),
                        status=rng.choice([CreditStatus.REGISTERED, CreditStatus.REGISTERED, CreditStatus.CITY])))
            for campaign in rng.sample(campaigns, k=rng.randint(0, 2)):
                db.session.add(Inspection(campaign_id=campaign.id, school_id=school.id,
                                          status=rng.choice([InspectionStatus.PUBLISHED, InspectionStatus.APPROVING]),
                                          grade=rng.choice(["优秀", "良好", "合格"]), total_score=Decimal("88")))
            for _ in range(rng.randint(0, 4)):
                status = rng.choice(list(OrderStatus))
                issued = None if status in (OrderStatus.DRAFT, OrderStatus.APPROVING) else \
                    _at(term.start_date + timedelta(days=rng.randint(0, 60)))
                db.session.add(RectificationOrder(
                    school_id=school.id, issuing_org_id=center.id, drafted_by_id=admin.id, status=status,
                    issued_at=issued, overdue=status == OrderStatus.IN_PROGRESS and rng.random() < 0.6))
            for _ in range(rng.randint(0, 3)):
                serial += 1
                key = rng.choice(["project_application", "plan_approval"])
                instance = ProcessInstance(definition_id=definitions[key].id, process_key=key, business_key=f"b{serial}",
                                           title=f"事项{serial}", school_id=school.id, starter_id=admin.id, state="{}",
                                           serializer_version="1")
                db.session.add(instance)
                db.session.flush()
                start = _at(term.start_date + timedelta(days=rng.randint(0, 30)))
                for name in ("校长审核", "乡镇审核"):
                    hours = rng.randint(1, 72)
                    done = rng.random() < 0.8
                    db.session.add(HumanTask(instance_id=instance.id, spiff_task_id=f"s{serial}{name}", bpmn_id=name,
                                             name=name, created_at=start,
                                             status=TaskStatus.COMPLETED if done else TaskStatus.OPEN,
                                             completed_at=start + timedelta(hours=hours) if done else None))
                    start += timedelta(hours=hours)
    db.session.flush()
