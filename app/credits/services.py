"""学分认定与登记: credit batches (one per school and term), generated and declared credit
records, per-level review with per-record rejection, registration, and teachers' totals."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app import audit
from app.access import can_act, oversees
from app.credits.rules import AttendanceFact, activity_credits, declared_credit
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.models import (
    ActivityRecord,
    Attendance,
    BatchStatus,
    CreditBatch,
    CreditRecord,
    CreditStatus,
    HumanTask,
    InstanceStatus,
    OrgUnit,
    ProcessInstance,
    Role,
    TaskStatus,
    Teacher,
    Term,
    User,
)
from app.models.base import utcnow
from app.policy.schema import Policy
from app.policy.services import policy_for_term
from app.processes.registry import OperationContext
from app.processes.runtime import start_instance
from app.regions import academic_year, region_id_of

PROCESS_KEY = "credit_registration"
SOURCE_ACTIVITY, SOURCE_DECLARED = "activity", "declared"
#: The status a record waits in at each review level.
LEVEL_STATUS = {"school": CreditStatus.SCHOOL, "township": CreditStatus.TOWNSHIP, "city": CreditStatus.CITY}
LEVEL_LABELS = {"school": "学校认定", "township": "乡镇审核", "city": "市级登记"}
COUNTED = (CreditStatus.COLLECTED, CreditStatus.SCHOOL, CreditStatus.TOWNSHIP, CreditStatus.CITY,
           CreditStatus.REGISTERED)


def batch_for(school_id: int, term_id: int) -> CreditBatch | None:
    return db.session.scalars(select(CreditBatch).where(CreditBatch.school_id == school_id,
                                                        CreditBatch.term_id == term_id)).first()


def start_batch(school: OrgUnit, term: Term, *, actor: User) -> CreditBatch:
    """Open credit recognition for a school's term: generate records from attendance and start
    the 学分认定与登记 process. One batch per school and term."""
    if not (actor.has_role(Role.SCHOOL_ADMIN, school.id) or _is_centre(actor, region_id_of(school))):
        raise Forbidden(_("只有本校的学校管理员或市级审核员可以开启学分认定"))
    if term.region_id != region_id_of(school):
        raise InvalidInput(_("学期不属于该学校所在区域"), field="term_id")
    if batch_for(school.id, term.id) is not None:
        raise Conflict(_("「%(school)s」%(term)s的学分认定已经开启", school=school.name, term=term.name))
    in_force = policy_for_term(term)
    batch = CreditBatch(school_id=school.id, term_id=term.id, status=BatchStatus.COLLECTING, created_by_id=actor.id,
                        policy_version_id=in_force.version_id)
    try:
        with db.session.begin_nested():
            db.session.add(batch)
    except IntegrityError:   # a concurrent command opened it first (unique school and term)
        raise Conflict(_("「%(school)s」%(term)s的学分认定已经开启", school=school.name, term=term.name)) from None
    instance = start_instance(PROCESS_KEY, actor=actor, school=school,
                              title=f"{school.display_name} {term.name} 学分认定与登记",
                              data={"batch_id": batch.id}, key_prefix="XFDJ")
    batch.instance_id = instance.id
    audit.record("credit.batch_start", actor=actor, instance=instance, batch_id=batch.id, term=term.code)
    return batch


def _is_centre(user: User, region_id: int) -> bool:
    return any(ra.role in (Role.CITY_REVIEWER, Role.ADMIN) and ra.org.path.startswith(f"/{region_id}/")
               for ra in user.roles)


def batch_already_open(school: OrgUnit, term: Term) -> str | None:
    batch = batch_for(school.id, term.id)
    return _("已开启（%(status)s）", status=_(batch.status.label)) if batch else None


def start_batch_for(school: OrgUnit, term: Term, actor: User) -> CreditBatch:
    return start_batch(school, term, actor=actor)


def _used_elsewhere(batch: CreditBatch, year: int, *, source: str, item_code: str | None = None) -> dict[int, Decimal]:
    stmt = (select(CreditRecord.teacher_id, func.sum(CreditRecord.credits))
            .where(CreditRecord.academic_year == year, CreditRecord.source == source,
                   CreditRecord.batch_id != batch.id, CreditRecord.status.in_(COUNTED))
            .group_by(CreditRecord.teacher_id))
    if item_code is not None:
        stmt = stmt.where(CreditRecord.item_code == item_code)
    return {tid: Decimal(total or 0) for tid, total in db.session.execute(stmt)}


def generate(batch: CreditBatch, *, actor: User | None) -> int:
    """(Re)generate the batch's attendance credits from the term's activity records.

    Declared items are kept; generated ones still being collected are replaced, so fixing an
    attendance mark and regenerating gives the right numbers. Caps count credits the teacher
    already has this year in other batches.
    """
    if batch.status != BatchStatus.COLLECTING:
        raise Conflict(_("学分已提交认定，不能重新生成"))
    term = batch.term
    in_force = policy_for_term(term)
    year = academic_year(term)
    for record in [r for r in batch.records if r.source == SOURCE_ACTIVITY]:
        batch.records.remove(record)
        db.session.delete(record)
    db.session.flush()
    rows = db.session.execute(
        select(Attendance.teacher_id, ActivityRecord.id, ActivityRecord.topic, ActivityRecord.held_on,
               ActivityRecord.hours, ActivityRecord.mode, Attendance.status)
        .join(ActivityRecord, Attendance.activity_id == ActivityRecord.id)
        .join(Teacher, Teacher.id == Attendance.teacher_id)
        .where(ActivityRecord.school_id == batch.school_id, ActivityRecord.term_id == term.id,
               Teacher.school_id == batch.school_id))
    facts = [AttendanceFact(tid, aid, topic, held_on, Decimal(hours), mode, status.value)
             for tid, aid, topic, held_on, hours, mode, status in rows]
    lines = activity_credits(facts, in_force.policy, _used_elsewhere(batch, year, source=SOURCE_ACTIVITY))
    for line in lines:
        batch.records.append(CreditRecord(
            teacher_id=line.teacher_id, school_id=batch.school_id, academic_year=year, source=SOURCE_ACTIVITY,
            activity_id=line.activity_id, category=in_force.policy.label, title=line.title, hours=line.hours,
            mode=line.mode, raw_credits=line.raw, credits=line.credits, cap_note=line.cap_note,
            status=CreditStatus.COLLECTED))
    batch.generated_at = utcnow()
    batch.policy_version_id = in_force.version_id
    db.session.flush()
    audit.record("credit.generate", actor=actor, instance_id=batch.instance_id, school_id=batch.school_id,
                 batch_id=batch.id, records=len(lines))
    return len(lines)


# -- service-task operations -------------------------------------------------------------------

def _batch_of(params: Mapping[str, Any]) -> CreditBatch:
    batch = db.session.get(CreditBatch, int(params["batch_id"]))
    if batch is None:
        raise NotFound(_("学分批次 %(id)s 不存在", id=params["batch_id"]))
    return batch


def generate_operation(ctx: OperationContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """Service task「按区域规则生成学分记录」."""
    return {"records": generate(_batch_of(params), actor=ctx.actor)}


def review_levels(batch: CreditBatch) -> dict[str, bool]:
    """Levels after the school's recognition, from the policy in force for the batch's term."""
    policy = policy_for_term(batch.term).policy
    levels = policy.credit_levels
    direct = batch.school.is_direct and policy["approval.skip_township_for_direct"]
    township = "township" in levels and not direct
    city = "city" in levels or not township   # somebody above the school must register
    return {"township": township, "city": city}


def chain(batch: CreditBatch) -> list[str]:
    levels = review_levels(batch)
    return ["school"] + [level for level in ("township", "city") if levels[level]]


def route_operation(ctx: OperationContext, params: Mapping[str, Any]) -> dict[str, bool]:
    """Service task「确定审核层级」."""
    batch = _batch_of(params)
    levels = review_levels(batch)
    audit.record("credit.route", actor=ctx.actor, instance=ctx.instance, batch_id=batch.id, **levels)
    return levels


def register_operation(ctx: OperationContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """Service task「登记学分」: the records that passed every level are registered."""
    batch = _batch_of(params)
    final = LEVEL_STATUS[chain(batch)[-1]]
    now = utcnow()
    count = 0
    for record in batch.records:
        if record.status == final:
            record.status = CreditStatus.REGISTERED
            record.registered_at = now
            count += 1
    batch.status = BatchStatus.REGISTERED
    batch.registered_at = now
    audit.record("credit.register", actor=ctx.actor, instance=ctx.instance, batch_id=batch.id, registered=count)
    return {"registered": count}


# -- reviewing ---------------------------------------------------------------------------------

def submit_collection(batch: CreditBatch, *, actor: User) -> int:
    """The clerk hands the collected records to the school's recognition."""
    count = 0
    for record in batch.records:
        if record.status == CreditStatus.COLLECTED:
            record.status = CreditStatus.SCHOOL
            count += 1
    audit.record("credit.submit", actor=actor, instance_id=batch.instance_id, school_id=batch.school_id,
                 batch_id=batch.id, records=count)
    return count


def pending_at(batch: CreditBatch, level: str) -> list[CreditRecord]:
    status = LEVEL_STATUS[level]
    return [r for r in batch.records if r.status == status]


def apply_review(batch: CreditBatch, level: str, decision: str, rejections: Mapping[int, str], *,
                 actor: User) -> None:
    """Apply one level's review: rejected records stop here with their reason; on approval the
    others move to the next level; on return everything pending goes back to the clerk."""
    pending = {r.id: r for r in pending_at(batch, level)}
    unknown = [rid for rid in rejections if rid not in pending]
    if unknown:
        raise InvalidInput(_("所选记录不在本级待审范围内"), field="decision")
    if decision == "return":
        steps = chain(batch)
        back = {LEVEL_STATUS[s] for s in steps[: steps.index(level) + 1]}
        for record in batch.records:
            if record.status in back:
                record.status = CreditStatus.COLLECTED
        audit.record("credit.return", actor=actor, instance_id=batch.instance_id, school_id=batch.school_id,
                     batch_id=batch.id, level=level)
        return
    steps = chain(batch)
    following = steps[steps.index(level) + 1] if steps.index(level) + 1 < len(steps) else None
    for rid, record in pending.items():
        if rid in rejections:
            record.status = CreditStatus.REJECTED
            record.rejected_level = level
            record.reject_reason = rejections[rid]
            record.rejected_by_id = actor.id
        elif following is not None:
            record.status = LEVEL_STATUS[following]
    audit.record("credit.review", actor=actor, instance_id=batch.instance_id, school_id=batch.school_id,
                 batch_id=batch.id, level=level, rejected=sorted(rejections), passed=len(pending) - len(rejections))


# -- declared items ----------------------------------------------------------------------------

def collecting_batch(teacher: Teacher) -> CreditBatch | None:
    """The teacher's school's batch that is still collecting items, if any."""
    return db.session.scalars(select(CreditBatch).join(Term, CreditBatch.term_id == Term.id).where(
        CreditBatch.school_id == teacher.school_id, CreditBatch.status == BatchStatus.COLLECTING)
        .order_by(Term.start_date.desc())).first()


def declare_item(teacher: Teacher, item_code: str, title: str, *, actor: User) -> CreditRecord:
    """A teacher declares another credit item (课题, 公开课 …) into the open batch; evidence is
    attached by the caller in the same transaction."""
    if teacher.user_id != actor.id:
        raise Forbidden(_("只能为本人申报学分"))
    batch = collecting_batch(teacher)
    if batch is None:
        raise Conflict(_("本校当前没有正在汇总的学分认定，暂不能申报"))
    policy = policy_for_term(batch.term).policy
    item = policy.credit_item(item_code)
    if item is None:
        raise InvalidInput(_("请选择学分项目"), field="item_code")
    title = (title or "").strip()
    if not title:
        raise InvalidInput(_("请填写项目名称，如课题名称或公开课课题"), field="title")
    year = academic_year(batch.term)
    used = _used_elsewhere(batch, year, source=SOURCE_DECLARED, item_code=item.code).get(teacher.id, Decimal("0"))
    used += sum((r.credits for r in batch.records if r.teacher_id == teacher.id and r.item_code == item.code
                 and r.status in COUNTED), Decimal("0"))
    try:
        credits, note = declared_credit(item, used)
    except ValueError:
        raise InvalidInput(_("本学年「%(name)s」已达年度上限 %(cap)s 分，不能再申报", name=item.name,
                             cap=item.annual_cap), field="item_code") from None
    record = CreditRecord(teacher_id=teacher.id, school_id=teacher.school_id, academic_year=year,
                          source=SOURCE_DECLARED, category=item.name, item_code=item.code, title=title[:200],
                          raw_credits=item.value, credits=credits, cap_note=note, status=CreditStatus.COLLECTED,
                          declared_by_id=actor.id)
    batch.records.append(record)
    db.session.flush()
    audit.record("credit.declare", actor=actor, instance_id=batch.instance_id, school_id=teacher.school_id,
                 batch_id=batch.id, record_id=record.id, item=item.code, credits=str(credits))
    return record


def withdraw_item(record: CreditRecord, *, actor: User) -> None:
    if record.source != SOURCE_DECLARED or record.declared_by_id != actor.id:
        raise Forbidden(_("只能撤回本人申报的学分项目"))
    if record.status != CreditStatus.COLLECTED:
        raise Conflict(_("该项目已提交认定，不能撤回"))
    audit.record("credit.withdraw", actor=actor, instance_id=record.batch.instance_id, school_id=record.school_id,
                 record_id=record.id)
    record.batch.records.remove(record)
    db.session.delete(record)


# -- reading -----------------------------------------------------------------------------------

def batch_for_instance(instance_id: int) -> CreditBatch | None:
    return db.session.scalars(select(CreditBatch).where(CreditBatch.instance_id == instance_id)).first()


_STATUS_BY_STEP = {"Task_collect": BatchStatus.COLLECTING, "Task_school": BatchStatus.SCHOOL_REVIEW,
                   "Task_township": BatchStatus.TOWNSHIP_REVIEW, "Task_city": BatchStatus.CITY_REVIEW}


def refresh_status(batch: CreditBatch, instance: ProcessInstance, open_tasks: list[HumanTask]) -> None:
    if instance.status == InstanceStatus.COMPLETED:
        batch.status = BatchStatus.REGISTERED
        return
    step = open_tasks[0].bpmn_id if open_tasks else None
    if step in _STATUS_BY_STEP:
        batch.status = _STATUS_BY_STEP[step]


def get_visible_batch(batch_id: int, user: User) -> CreditBatch:
    batch = db.session.get(CreditBatch, batch_id)
    if batch is None or not oversees(user, batch.school):
        raise NotFound(_("找不到该学分批次，或您没有查看权限"))
    return batch


def collect_task_for(batch: CreditBatch, user: User) -> HumanTask | None:
    task = db.session.scalars(select(HumanTask).where(
        HumanTask.instance_id == batch.instance_id, HumanTask.status == TaskStatus.OPEN,
        HumanTask.form_key == "credit.collect")).first()
    return task if task is not None and can_act(user, task) else None


def school_batches(school_id: int) -> list[CreditBatch]:
    return list(db.session.scalars(select(CreditBatch).where(CreditBatch.school_id == school_id)
                                   .options(joinedload(CreditBatch.term)).order_by(CreditBatch.id.desc())))


@dataclass
class YearTotal:
    year: int
    registered: Decimal
    pending: Decimal
    minimum: Decimal | None

    @property
    def met(self) -> bool | None:
        return None if self.minimum is None else self.registered >= self.minimum


@dataclass
class TeacherSummary:
    teacher: Teacher
    years: list[YearTotal]
    cycle: tuple[int, int]
    cycle_registered: Decimal
    cycle_min: Decimal
    records: list[CreditRecord]

    @property
    def cycle_met(self) -> bool:
        return self.cycle_registered >= self.cycle_min


def teacher_summary(teacher: Teacher, policy: Policy, today_year: int) -> TeacherSummary:
    """A teacher's credits by academic year and against the cycle of ``today_year``."""
    records = list(db.session.scalars(select(CreditRecord).where(CreditRecord.teacher_id == teacher.id)
                                      .order_by(CreditRecord.academic_year.desc(), CreditRecord.id.desc())))
    registered: dict[int, Decimal] = defaultdict(Decimal)
    pending: dict[int, Decimal] = defaultdict(Decimal)
    for r in records:
        if r.status == CreditStatus.REGISTERED:
            registered[r.academic_year] += r.credits
        elif r.status != CreditStatus.REJECTED:
            pending[r.academic_year] += r.credits
    start, end = policy.cycle_of(today_year)
    years = sorted(set(registered) | set(pending) | {today_year}, reverse=True)
    totals = [YearTotal(y, registered[y], pending[y], policy.annual_min) for y in years]
    cycle_total = sum((registered[y] for y in range(start, end + 1)), Decimal("0"))
    return TeacherSummary(teacher, totals, (start, end), cycle_total, policy.cycle_min, records)


def teacher_of(user: User) -> Teacher | None:
    return db.session.scalars(select(Teacher).where(Teacher.user_id == user.id)).first()


def get_teacher_for(teacher_id: int, user: User) -> Teacher:
    """A teacher's own record, or one in the viewer's oversight; anything else is 404."""
    teacher = db.session.get(Teacher, teacher_id)
    if teacher is None or not (teacher.user_id == user.id or oversees(user, teacher.school)):
        raise NotFound(_("找不到该教师，或您没有查看权限"))
    return teacher


def school_year_records(school_id: int, year: int, *, registered_only: bool) -> list[CreditRecord]:
    stmt = (select(CreditRecord).join(Teacher, CreditRecord.teacher_id == Teacher.id)
            .where(CreditRecord.school_id == school_id, CreditRecord.academic_year == year)
            .options(joinedload(CreditRecord.teacher))
            .order_by(Teacher.employee_no, Teacher.name, CreditRecord.id))
    if registered_only:
        stmt = stmt.where(CreditRecord.status == CreditStatus.REGISTERED)
    return list(db.session.scalars(stmt))
