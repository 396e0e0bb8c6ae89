"""Activity records, attendance (by hand or imported, all or nothing) and their guards."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, BinaryIO

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import audit
from app.access import oversees
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.models import (
    ActivityRecord,
    Attendance,
    AttendanceStatus,
    BatchStatus,
    CreditBatch,
    OrgUnit,
    ResearchPlan,
    Role,
    Teacher,
    Term,
    User,
)
from app.models.base import utcnow
from app.plans.services import current_plan
from app.policy.schema import ACTIVITY_MODES
from app.tabular import RowError, read_table
from app.teachers.services import school_teachers
from app.vocab import RESEARCH_FORMS

#: Words accepted in an attendance file's status column.
STATUS_WORDS: dict[str, AttendanceStatus] = {
    "出勤": AttendanceStatus.PRESENT, "到": AttendanceStatus.PRESENT, "已到": AttendanceStatus.PRESENT,
    "正常": AttendanceStatus.PRESENT, "出席": AttendanceStatus.PRESENT, "present": AttendanceStatus.PRESENT,
    "迟到": AttendanceStatus.LATE, "late": AttendanceStatus.LATE,
    "请假": AttendanceStatus.LEAVE, "事假": AttendanceStatus.LEAVE, "病假": AttendanceStatus.LEAVE,
    "leave": AttendanceStatus.LEAVE,
    "缺勤": AttendanceStatus.ABSENT, "缺席": AttendanceStatus.ABSENT, "旷课": AttendanceStatus.ABSENT,
    "absent": AttendanceStatus.ABSENT,
    "自学": AttendanceStatus.SELF_STUDY, "自学替代": AttendanceStatus.SELF_STUDY, "网络学习": AttendanceStatus.SELF_STUDY,
    "self_study": AttendanceStatus.SELF_STUDY,
}
ATTENDANCE_COLUMNS = {
    "employee_no": ("工号", "教师编号", "employee_no"),
    "name": ("姓名", "教师姓名", "name"),
    "status": ("考勤", "考勤状态", "状态", "出勤情况", "status"),
    "note": ("备注", "说明", "note"),
}


def can_record(user: User, school: OrgUnit) -> bool:
    return user.has_role(Role.SCHOOL_ADMIN, school.id)


def require_record(user: User, school: OrgUnit) -> None:
    if not can_record(user, school):
        raise Forbidden(_("只有本校的学校管理员可以记录研修活动"))


def get_visible_record(record_id: int, user: User) -> ActivityRecord:
    record = db.session.get(ActivityRecord, record_id)
    if record is None or not oversees(user, record.school):
        raise NotFound(_("找不到该活动记录，或您没有查看权限"))
    return record


def records_of(school_id: int, term_id: int) -> list[ActivityRecord]:
    return list(db.session.scalars(select(ActivityRecord).where(
        ActivityRecord.school_id == school_id, ActivityRecord.term_id == term_id)
        .options(selectinload(ActivityRecord.attendance)).order_by(ActivityRecord.held_on, ActivityRecord.id)))


def locked_reason(school_id: int, term_id: int) -> str | None:
    """Records of a term are frozen once its credits have gone to recognition."""
    batch = db.session.scalars(select(CreditBatch).where(CreditBatch.school_id == school_id,
                                                         CreditBatch.term_id == term_id)).first()
    if batch is not None and batch.status != BatchStatus.COLLECTING:
        return _("本学期学分已提交认定（%(status)s），活动记录和考勤不能再修改", status=_(batch.status.label))
    return None


def require_editable(school_id: int, term_id: int) -> None:
    reason = locked_reason(school_id, term_id)
    if reason:
        raise Conflict(reason)


def _plan_for(school: OrgUnit, term: Term) -> ResearchPlan:
    plan = current_plan(school.id, term.id)
    if plan is None:
        raise Conflict(_("「%(school)s」%(term)s的研修计划尚未批准，批准后才能记录活动", school=school.name,
                         term=term.name))
    return plan


def _apply(record: ActivityRecord, plan: ResearchPlan, values: Mapping[str, Any]) -> None:
    term = plan.term
    held_on = values.get("held_on")
    if held_on is None:
        raise InvalidInput(_("请填写活动日期"), field="held_on")
    if not term.start_date <= held_on <= term.end_date:
        raise InvalidInput(_("活动日期须在本学期（%(start)s 至 %(end)s）内", start=term.start_date.isoformat(),
                             end=term.end_date.isoformat()), field="held_on")
    if held_on > utcnow().date():
        raise InvalidInput(_("只能记录已经举行的活动（日期不能晚于今天）"), field="held_on")
    key = values.get("planned_key") or None
    if key is not None and key not in {a.key for a in plan.activities}:
        raise InvalidInput(_("所选的计划活动不在现行计划中"), field="planned_key")
    if values.get("way") not in RESEARCH_FORMS:
        raise InvalidInput(_("请选择研修方式"), field="way")
    if values.get("mode") not in ACTIVITY_MODES:
        raise InvalidInput(_("请选择集中或非集中"), field="mode")
    for name, message in (("topic", _("请填写活动主题")), ("presenter", _("请填写主讲人")), ("hours", _("请填写学时"))):
        if values.get(name) in (None, ""):
            raise InvalidInput(message, field=name)
    record.plan_id = plan.id
    record.planned_key = key
    record.held_on = held_on
    record.period = values.get("period")
    record.form = values["way"]
    record.topic = values["topic"].strip()
    record.presenter = values["presenter"].strip()
    record.location = (values.get("location") or "").strip()
    record.hours = values["hours"]
    record.mode = values["mode"]
    record.summary = (values.get("summary") or "").strip()
    record.reflection = (values.get("reflection") or "").strip()
    record.cost = values.get("cost") or Decimal("0")


def record_activity(school: OrgUnit, term: Term, values: Mapping[str, Any], *, actor: User) -> ActivityRecord:
    """Record a held activity against the school's approved plan for the term."""
    require_record(actor, school)
    require_editable(school.id, term.id)
    plan = _plan_for(school, term)
    record = ActivityRecord(school_id=school.id, term_id=term.id, created_by_id=actor.id)
    _apply(record, plan, values)
    db.session.add(record)
    db.session.flush()
    audit.record("activity.record", actor=actor, instance_id=plan.instance_id, school_id=school.id,
                 activity_id=record.id, topic=record.topic, held_on=record.held_on.isoformat())
    return record


def update_activity(record: ActivityRecord, values: Mapping[str, Any], *, actor: User) -> None:
    require_record(actor, record.school)
    require_editable(record.school_id, record.term_id)
    plan = _plan_for(record.school, record.term)
    _apply(record, plan, values)
    audit.record("activity.update", actor=actor, instance_id=plan.instance_id, school_id=record.school_id,
                 activity_id=record.id)


def set_attendance(record: ActivityRecord, entries: Mapping[int, tuple[AttendanceStatus, str]], *, actor: User,
                   method: str = "manual") -> int:
    """Set the attendance of the given teachers (teacher id → status, note). Returns rows written."""
    require_record(actor, record.school)
    require_editable(record.school_id, record.term_id)
    teachers = {t.id for t in school_teachers(record.school_id, active_only=False)}
    unknown = [tid for tid in entries if tid not in teachers]
    if unknown:
        raise InvalidInput(_("有 %(n)s 位教师不属于本校", n=len(unknown)), field="attendance")
    existing = {a.teacher_id: a for a in record.attendance}
    now = utcnow()
    for teacher_id, (status, note) in entries.items():
        row = existing.get(teacher_id)
        if row is None:
            row = Attendance(teacher_id=teacher_id, status=status)
            record.attendance.append(row)
        row.status, row.note, row.method = status, (note or "")[:100], method
        row.recorded_at, row.recorded_by_id = now, actor.id
    db.session.flush()
    plan = record.plan
    audit.record("activity.attendance", actor=actor, instance_id=plan.instance_id, school_id=record.school_id,
                 activity_id=record.id, method=method, count=len(entries))
    return len(entries)


@dataclass
class AttendanceReport:
    written: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def import_attendance(record: ActivityRecord, stream: BinaryIO, filename: str, *, actor: User) -> AttendanceReport:
    """Import attendance from CSV/Excel: every row is checked first; one bad row imports nothing.

    A row names a teacher by 工号 (preferred) or by name, and gives a status in words
    (出勤/迟到/请假/缺勤/自学 …). Every bad row is reported with its row number.
    """
    require_record(actor, record.school)
    require_editable(record.school_id, record.term_id)
    table = read_table(stream, filename, ATTENDANCE_COLUMNS, required=("status",))
    teachers = school_teachers(record.school_id, active_only=False)
    by_no = {t.employee_no: t for t in teachers if t.employee_no}
    by_name: dict[str, list[Teacher]] = {}
    for t in teachers:
        by_name.setdefault(t.name, []).append(t)
    report = AttendanceReport()
    entries: dict[int, tuple[AttendanceStatus, str]] = {}
    first_row: dict[int, int] = {}
    words = "、".join(sorted({"出勤", "迟到", "请假", "缺勤", "自学"}))
    for number, row in table.rows:
        no, name, word = row.get("employee_no", ""), row.get("name", ""), row.get("status", "")
        label = name or no or "—"
        teacher: Teacher | None = None
        if no:
            teacher = by_no.get(no)
            if teacher is None:
                report.errors.append(RowError(number, label, _("本校没有工号为 %(no)s 的教师", no=no)))
                continue
            if name and teacher.name != name:
                report.errors.append(RowError(number, label, _("工号 %(no)s 是 %(real)s，与姓名「%(name)s」不符",
                                                               no=no, real=teacher.name, name=name)))
                continue
        elif name:
            matches = by_name.get(name, [])
            if not matches:
                report.errors.append(RowError(number, label, _("本校没有名为「%(name)s」的教师", name=name)))
                continue
            if len(matches) > 1:
                report.errors.append(RowError(number, label, _("本校有 %(n)s 位「%(name)s」，请填写工号", n=len(matches),
                                                               name=name)))
                continue
            teacher = matches[0]
        else:
            report.errors.append(RowError(number, label, _("请填写工号或姓名")))
            continue
        status = STATUS_WORDS.get(word.strip().lower()) if word else None
        if status is None:
            message = _("考勤状态「%(word)s」无法识别，可填：%(words)s", word=word, words=words) if word \
                else _("请填写考勤状态（%(words)s）", words=words)
            report.errors.append(RowError(number, label, message))
            continue
        if teacher.id in first_row:
            report.errors.append(RowError(number, label, _("与第 %(row)s 行是同一位教师", row=first_row[teacher.id])))
            continue
        first_row[teacher.id] = number
        entries[teacher.id] = (status, row.get("note", ""))
    if report.errors:
        return report
    report.written = set_attendance(record, entries, actor=actor, method="import")
    return report


def attendance_counts(records: list[ActivityRecord]) -> dict[str, int]:
    counts = {s.value: 0 for s in AttendanceStatus}
    for r in records:
        for a in r.attendance:
            counts[a.status.value] += 1
    return counts


def attendance_rate(records: list[ActivityRecord]) -> Decimal | None:
    """Share of attendance entries that count as taking part: present, late or self-study."""
    counts = attendance_counts(records)
    total = sum(counts.values())
    if not total:
        return None
    attended = counts["present"] + counts["late"] + counts["self_study"]
    return Decimal(attended * 100) / total
