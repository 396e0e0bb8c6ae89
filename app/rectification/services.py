"""整改 services: drafting orders, the service-task operations of bpmn/rectification.bpmn, item
responses, extension requests, visibility and the 整改台账.

Services take the acting user and never commit; the request, CLI command or job commits once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app import audit
from app.access import org_scope_clause, oversees
from app.errors import ConfigurationError, Conflict, Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.models import (
    ExtensionRequest,
    ExtensionStatus,
    HumanTask,
    InstanceStatus,
    ItemStatus,
    ItemVerification,
    NoticeKind,
    OrderStatus,
    OrgType,
    OrgUnit,
    ProcessInstance,
    RectificationItem,
    RectificationNotice,
    RectificationOrder,
    Role,
    RoleAssignment,
    TaskStatus,
    User,
)
from app.models.base import utcnow
from app.processes.registry import OperationContext
from app.processes.runtime import finish_run, load_runtime, resolve_candidate_org, start_instance
from app.rectification.policy import policy_for_region
from app.regions import region_id_of as region_of
from app.sequences import next_value
from app.workdays.moments import add_working_days, end_of_day, local_today, reminder_moment

PROCESS_KEY = "rectification"
EXTENSION_MESSAGE = "rect_extension"
#: Orders still open for the school (not 销号, not handed over as unresolved).
ACTIVE = (OrderStatus.ISSUED, OrderStatus.IN_PROGRESS, OrderStatus.VERIFYING)


@dataclass(frozen=True)
class ItemDraft:
    problem: str
    requirement: str
    deadline: date
    area: str = ""
    score_item_id: int | None = None


# -- creating and drafting ----------------------------------------------------------------------
def issuing_orgs(user: User) -> list[OrgUnit]:
    """Orgs on whose behalf the user may draft orders (as 督导检查员)."""
    return [ra.org for ra in user.roles if ra.role == Role.INSPECTOR]


def create_order(*, actor: User, school_id: int, title: str = "", basis: str = "",
                 items: Sequence[ItemDraft] = (), inspection_id: int | None = None) -> RectificationOrder:
    """Create a draft order for a school and start its 整改 process; the draft task goes to ``actor``."""
    school = db.session.get(OrgUnit, school_id)
    if school is None or school.type != OrgType.SCHOOL:
        raise NotFound(_("学校不存在"))
    issuers = [org for org in issuing_orgs(actor) if school.path.startswith(org.path)]
    if not issuers:
        raise Forbidden(_("只有负责该校的督导检查员可以起草整改通知书"))
    policy = policy_for_region(region_of(school), local_today(utcnow()))
    order = RectificationOrder(school_id=school.id, issuing_org_id=issuers[0].id, drafted_by_id=actor.id,
                               title=title or _("关于%(school)s的整改通知", school=school.name), basis=basis,
                               inspection_id=inspection_id, ack_working_days=policy.ack_working_days,
                               remind_working_days=policy.remind_working_days, max_rounds=policy.max_rounds,
                               status=OrderStatus.DRAFT, cc=[])
    for seq, item in enumerate(items, 1):
        order.items.append(RectificationItem(seq=seq, problem=item.problem, requirement=item.requirement,
                                             deadline=item.deadline, area=item.area,
                                             score_item_id=item.score_item_id))
    db.session.add(order)
    db.session.flush()
    instance = start_instance(PROCESS_KEY, actor=actor, school=school, title=order.title,
                              data={"order_id": order.id}, key_prefix="ZG")
    order.instance_id = instance.id
    audit.record("rect.create", actor=actor, instance=instance, order_id=order.id, items=len(order.items))
    return order


def default_deadline(school: OrgUnit, now: datetime | None = None) -> date:
    region, today = region_of(school), local_today(now or utcnow())
    return add_working_days(region, today, policy_for_region(region, today).default_deadline_working_days)


def apply_draft(order: RectificationOrder, *, title: str, basis: str, cc: Iterable[str], items: Sequence[ItemDraft],
                ack_working_days: int, remind_working_days: int, max_rounds: int, submitting: bool) -> None:
    """Replace the draft's fields and items. Deadlines must not lie in the past; a submitted draft
    needs at least one item."""
    if order.status != OrderStatus.DRAFT:
        raise Conflict(_("整改通知书已提交，不能再修改"))
    today = local_today(utcnow())
    for index, item in enumerate(items):
        if item.deadline < today:
            raise InvalidInput(_("第 %(n)s 项的整改期限不能早于今天", n=index + 1), field=f"items-{index}-deadline")
    if submitting and not items:
        raise InvalidInput(_("至少填写一项整改问题"), field="items")
    order.title = title.strip() or order.title
    order.basis = basis.strip()
    order.cc = [c.strip() for c in cc if c.strip()]
    order.ack_working_days = ack_working_days
    order.remind_working_days = remind_working_days
    order.max_rounds = max_rounds
    keep = {item.seq: item for item in order.items}
    order.items = []
    db.session.flush()
    for seq, item in enumerate(items, 1):
        row = keep.get(seq) if keep.get(seq) is not None and keep[seq].problem == item.problem else None
        order.items.append(RectificationItem(seq=seq, problem=item.problem.strip(), requirement=item.requirement.strip(),
                                             deadline=item.deadline, area=item.area.strip(),
                                             score_item_id=item.score_item_id if row is None else row.score_item_id))
    if order.instance is not None:
        order.instance.title = order.title


# -- the operations the BPMN calls ---------------------------------------------------------------
def _order(params: Mapping[str, Any]) -> RectificationOrder:
    order = db.session.get(RectificationOrder, int(params["order_id"]))
    if order is None:
        raise NotFound(_("整改通知书 %(id)s 不存在", id=params["order_id"]))
    return order


def issue_order(ctx: OperationContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """「下发：编号并计算签收期限」: assign the document number, sign, and set the 签收 deadline."""
    order = _order(params)
    now = utcnow()
    if order.doc_number is None:
        year = local_today(now).year
        prefix = order.issuing_org.short_name or order.issuing_org.name
        order.doc_number = _("%(org)s整改〔%(year)s〕%(n)s号", org=prefix, year=year,
                             n=next_value(f"rect_doc:{order.issuing_org_id}:{year}"))
    order.issued_at = now
    order.signed_by_id = ctx.actor.id if ctx.actor else None
    region = region_of(order.school)
    ack_day = add_working_days(region, local_today(now), order.ack_working_days)
    order.ack_due = end_of_day(ack_day)
    remind = reminder_moment(region, ack_day, 1, now)
    audit.record("rect.issue", actor=ctx.actor, instance=ctx.instance, order_id=order.id,
                 doc_number=order.doc_number, ack_due=order.ack_due.isoformat())
    return {"doc_number": order.doc_number, "ack_due": order.ack_due.isoformat(), "ack_remind_at": remind.isoformat()}


def set_round_deadline(ctx: OperationContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """「计算本轮整改期限」: the round's deadline is the latest deadline of its open items; the reminder
    goes out ``remind_working_days`` working days before it."""
    order = _order(params)
    open_items = [i for i in order.items if i.status == ItemStatus.OPEN]
    if not open_items:
        raise ConfigurationError(_("整改通知书没有待整改的项目"))
    now = utcnow()
    last = max(i.deadline for i in open_items)
    order.deadline = end_of_day(last)
    remind = reminder_moment(region_of(order.school), last, order.remind_working_days, now)
    audit.record("rect.deadline", actor=ctx.actor, instance=ctx.instance, order_id=order.id, round=order.round,
                 deadline=order.deadline.isoformat())
    return {"round": order.round, "due_at": order.deadline.isoformat(), "remind_at": remind.isoformat()}


def _notify(order: RectificationOrder, kind: NoticeKind, org_id: int, role: Role, message: str,
            ctx: OperationContext) -> bool:
    """Record one notice unless it was already sent (a re-run timer job must not send it twice)."""
    already = db.session.scalar(select(exists().where(
        RectificationNotice.order_id == order.id, RectificationNotice.kind == kind,
        RectificationNotice.round == order.round, RectificationNotice.org_id == org_id,
        RectificationNotice.role == role.value)))
    if already:
        return False
    db.session.add(RectificationNotice(order_id=order.id, kind=kind, round=order.round, org_id=org_id,
                                       role=role.value, message=message))
    # Each person holding the role there also gets it in the notification centre (and by e-mail).
    from app.notifications.services import notify

    holders = db.session.scalars(select(User.id).join(RoleAssignment).where(
        RoleAssignment.role == role, RoleAssignment.org_id == org_id, User.active.is_(True)))
    if order.instance is not None:
        for user_id in holders:
            notify(user_id, f"rect_{kind.value}", instance=order.instance, actor=ctx.actor,
                   discriminator=f"r{order.round}")
    audit.record("rect.notice", actor=ctx.actor, instance=ctx.instance, order_id=order.id, kind=kind.value,
                 round=order.round, org_id=org_id, role=role.value)
    return True


def _org_with_role(school: OrgUnit, role: Role) -> int | None:
    try:
        return resolve_candidate_org(school, role.value)
    except ConfigurationError:
        return None


def send_reminder(ctx: OperationContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """「提醒校长签收」/「提醒整改期限」: remind the school's principal (once per round)."""
    order = _order(params)
    if params.get("kind") == "ack":
        kind = NoticeKind.ACK_REMINDER
        message = _("整改通知书 %(no)s 尚未签收，签收期限为 %(due)s", no=order.doc_number,
                    due=_local(order.ack_due))
    else:
        kind = NoticeKind.DEADLINE_REMINDER
        message = _("整改通知书 %(no)s 第 %(round)s 轮整改期限为 %(due)s，请按期提交整改报告", no=order.doc_number,
                    round=order.round, due=_local(order.deadline))
    sent = _notify(order, kind, order.school_id, Role.PRINCIPAL, message, ctx)
    return {"sent": sent}


def _local(moment: datetime | None) -> str:
    from app.workdays.calendar import LOCAL_ZONE

    return moment.astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M") if moment else ""


def _supervisors(order: RectificationOrder) -> list[tuple[int, Role]]:
    """Who hears of an overdue order: the school's township reviewer (none for 直属) and the 督导."""
    targets = []
    for role in (Role.TOWNSHIP_REVIEWER, Role.INSPECTOR):
        org_id = _org_with_role(order.school, role)
        if org_id is not None and (role != Role.TOWNSHIP_REVIEWER or not order.school.is_direct):
            targets.append((org_id, role))
    return targets


def escalate_overdue(ctx: OperationContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """「逾期：标记并报乡镇、督导」: flag the order overdue and notify the township and the 督导."""
    order = _order(params)
    if order.reported_at is not None and order.deadline is not None and order.reported_at <= order.deadline:
        return {"escalated": False}
    if not order.overdue:
        order.overdue = True
        order.overdue_since = utcnow()
    message = _("%(school)s未在 %(due)s 前提交整改通知书 %(no)s 第 %(round)s 轮整改报告，已逾期",
                school=order.school.name, due=_local(order.deadline), no=order.doc_number, round=order.round)
    sent = [_notify(order, NoticeKind.OVERDUE, org_id, role, message, ctx) for org_id, role in _supervisors(order)]
    audit.record("rect.overdue", actor=ctx.actor, instance=ctx.instance, order_id=order.id, round=order.round)
    return {"escalated": True, "notices": sum(sent)}


def start_next_round(ctx: OperationContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """「开启下一轮整改」: items that failed 复查 go back to the school with their new deadlines."""
    order = _order(params)
    order.round += 1
    order.reported_at = None
    for item in order.items:
        if item.status == ItemStatus.FAILED:
            last = item.verifications[-1] if item.verifications else None
            item.status = ItemStatus.OPEN
            item.round = order.round
            if last is not None and last.new_deadline:
                item.deadline = last.new_deadline
    audit.record("rect.next_round", actor=ctx.actor, instance=ctx.instance, order_id=order.id, round=order.round)
    return {"round": order.round}


def close_order(ctx: OperationContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """「销号」: every item passed 复查."""
    order = _order(params)
    order.status = OrderStatus.CLOSED
    order.closed_at = utcnow()
    order.overdue = False
    audit.record("rect.close", actor=ctx.actor, instance=ctx.instance, order_id=order.id)
    return {"closed": True}


def hand_over_unresolved(ctx: OperationContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """「超过整改轮次：报督导」: the rounds are used up; the case goes to the township and the 督导."""
    order = _order(params)
    order.status = OrderStatus.UNRESOLVED
    message = _("整改通知书 %(no)s 经 %(round)s 轮复查仍未整改到位，请督导处理", no=order.doc_number, round=order.round)
    for org_id, role in _supervisors(order):
        _notify(order, NoticeKind.UNRESOLVED, org_id, role, message, ctx)
    audit.record("rect.unresolved", actor=ctx.actor, instance=ctx.instance, order_id=order.id, round=order.round)
    return {"unresolved": True}


OPERATIONS = {
    "rect.issue": issue_order,
    "rect.deadline": set_round_deadline,
    "rect.remind": send_reminder,
    "rect.escalate": escalate_overdue,
    "rect.next_round": start_next_round,
    "rect.close": close_order,
    "rect.exhausted": hand_over_unresolved,
}


# -- status --------------------------------------------------------------------------------------
_STATUS_BY_STEP = {
    "Task_draft": OrderStatus.DRAFT,
    "Task_approve": OrderStatus.APPROVING,
    "Task_ack": OrderStatus.ISSUED,
    "Task_assign": OrderStatus.IN_PROGRESS,
    "Task_report": OrderStatus.IN_PROGRESS,
    "Task_verify": OrderStatus.VERIFYING,
}


def refresh_status(order: RectificationOrder, instance: ProcessInstance, open_tasks: list[HumanTask]) -> None:
    if instance.status == InstanceStatus.COMPLETED:
        order.status = OrderStatus.CLOSED if instance.outcome == "End_closed" else OrderStatus.UNRESOLVED
        return
    for task in open_tasks:
        if task.bpmn_id in _STATUS_BY_STEP:
            order.status = _STATUS_BY_STEP[task.bpmn_id]
            return


def order_for_instance(instance_id: int) -> RectificationOrder | None:
    return db.session.scalars(select(RectificationOrder).where(RectificationOrder.instance_id == instance_id)
                              .options(selectinload(RectificationOrder.items))).first()


# -- the school's side: assignment, responses, report, extensions --------------------------------
def school_staff(school_id: int) -> list[User]:
    """People at the school who can be made responsible for an item."""
    return list(db.session.scalars(select(User).join(RoleAssignment).where(
        RoleAssignment.org_id == school_id, User.active.is_(True)).order_by(User.display_name, User.id)).unique())


def assign_items(order: RectificationOrder, assignments: Mapping[int, int], actor: User) -> None:
    """Make one staff member responsible for each open item."""
    staff = {u.id for u in school_staff(order.school_id)}
    for item in order.items:
        if item.status != ItemStatus.OPEN:
            continue
        user_id = assignments.get(item.id)
        if user_id is None:
            raise InvalidInput(_("请为第 %(n)s 项指定责任人", n=item.seq), field=f"item_{item.id}")
        if user_id not in staff:
            raise InvalidInput(_("责任人必须是本校人员"), field=f"item_{item.id}")
        item.responsible_id = user_id
    audit.record("rect.assign", actor=actor, instance=order.instance, order_id=order.id,
                 assignments={str(k): v for k, v in assignments.items()})


def may_respond(user: User, item: RectificationItem) -> bool:
    """The item's responsible person, or the school's principal or admin, while the item is open."""
    order = item.order
    if order.status != OrderStatus.IN_PROGRESS or item.status not in (ItemStatus.OPEN, ItemStatus.RESPONDED):
        return False
    if item.round != order.round:
        return False
    return item.responsible_id == user.id or user.has_role(Role.PRINCIPAL, order.school_id) \
        or user.has_role(Role.SCHOOL_ADMIN, order.school_id)


def respond(item: RectificationItem, *, measures: str, completed_on: date, actor: User) -> None:
    """Record what the school did about one item (evidence is uploaded separately)."""
    if not may_respond(actor, item):
        raise Forbidden(_("只有该项的责任人或本校校长、管理员可以在整改期间填报"))
    if completed_on > local_today(utcnow()):
        raise InvalidInput(_("完成日期不能晚于今天"), field="completed_on")
    item.measures = measures.strip()
    item.completed_on = completed_on
    item.status = ItemStatus.RESPONDED
    item.responded_at = utcnow()
    audit.record("rect.respond", actor=actor, instance=item.order.instance, order_id=item.order_id, item=item.seq)


def submit_report(order: RectificationOrder, report: str, actor: User) -> None:
    """The principal submits the 整改报告: every item of this round must have a response."""
    missing = [str(i.seq) for i in order.items if i.round == order.round and i.status == ItemStatus.OPEN]
    if missing:
        raise InvalidInput(_("第 %(items)s 项尚未填报整改情况", items=_("、").join(missing)), field="report")
    order.report = report.strip()
    order.reported_at = utcnow()
    if order.overdue:
        # Reported late: no longer overdue, but overdue_since stays on the record.
        order.overdue = False
    audit.record("rect.report", actor=actor, instance=order.instance, order_id=order.id, round=order.round)


@dataclass(frozen=True)
class Verdict:
    item_id: int
    passed: bool
    comment: str
    new_deadline: date | None


def verify(order: RectificationOrder, verdicts: Sequence[Verdict], actor: User) -> str:
    """Record the 复查 of this round's responded items; return the outcome the BPMN gateway reads:
    ``closed`` (all passed), ``next_round`` or ``exhausted`` (failures and no rounds left)."""
    by_id = {v.item_id: v for v in verdicts}
    today = local_today(utcnow())
    for item in order.items:
        if item.status != ItemStatus.RESPONDED:
            continue
        verdict = by_id.get(item.id)
        if verdict is None:
            raise InvalidInput(_("请复查第 %(n)s 项", n=item.seq), field=f"item_{item.id}")
        if not verdict.passed:
            if not verdict.comment.strip():
                raise InvalidInput(_("不合格时须写明原因"), field=f"comment_{item.id}")
            if order.round < order.max_rounds and (verdict.new_deadline is None or verdict.new_deadline <= today):
                raise InvalidInput(_("不合格时须给出晚于今天的新整改期限"), field=f"deadline_{item.id}")
        item.status = ItemStatus.PASSED if verdict.passed else ItemStatus.FAILED
        item.verify_comment = verdict.comment.strip()
        item.verified_by_id = actor.id
        item.verified_at = utcnow()
        db.session.add(ItemVerification(item=item, round=order.round, passed=verdict.passed,
                                        comment=verdict.comment.strip(), measures=item.measures,
                                        new_deadline=None if verdict.passed else verdict.new_deadline,
                                        verifier_id=actor.id))
    if all(i.status == ItemStatus.PASSED for i in order.items):
        outcome = "closed"
    elif order.round < order.max_rounds:
        outcome = "next_round"
    else:
        outcome = "exhausted"
    audit.record("rect.verify", actor=actor, instance=order.instance, order_id=order.id, round=order.round,
                 outcome=outcome, passed=[i.seq for i in order.items if i.status == ItemStatus.PASSED])
    return outcome


def request_extension(item: RectificationItem, *, requested: date, reason: str, actor: User) -> ExtensionRequest:
    """延期申请 for one item, to the issuer."""
    order = item.order
    if not (actor.has_role(Role.PRINCIPAL, order.school_id) or actor.has_role(Role.SCHOOL_ADMIN, order.school_id)):
        raise Forbidden(_("只有本校校长或管理员可以申请延期"))
    if order.status != OrderStatus.IN_PROGRESS or item.status not in (ItemStatus.OPEN, ItemStatus.RESPONDED):
        raise Conflict(_("当前阶段不能申请延期"))
    if requested <= item.deadline:
        raise InvalidInput(_("申请的期限须晚于现在的期限 %(d)s", d=item.deadline.isoformat()), field="requested_deadline")
    pending = db.session.scalar(select(exists().where(ExtensionRequest.item_id == item.id,
                                                      ExtensionRequest.status == ExtensionStatus.PENDING)))
    if pending:
        raise Conflict(_("该项已有待审批的延期申请"))
    request = ExtensionRequest(order_id=order.id, item_id=item.id, round=order.round, requested_deadline=requested,
                               reason=reason.strip(), requested_by_id=actor.id)
    db.session.add(request)
    db.session.flush()
    audit.record("rect.extension_request", actor=actor, instance=order.instance, order_id=order.id, item=item.seq,
                 requested=requested.isoformat())
    return request


def may_decide_extension(user: User, order: RectificationOrder) -> bool:
    return user.has_role(Role.INSPECTOR, order.issuing_org_id) or user.has_role(Role.CENTER_HEAD, order.issuing_org_id)


def decide_extension(request_id: int, *, approve: bool, comment: str, actor: User) -> ExtensionRequest:
    """The issuer approves or denies; an approval moves the item's deadline, and the workflow
    recomputes the round's deadline and timers (message ``rect_extension``)."""
    request = db.session.get(ExtensionRequest, request_id)
    if request is None:
        raise NotFound(_("延期申请不存在"))
    order = db.session.get(RectificationOrder, request.order_id)
    if not may_decide_extension(actor, order):
        raise Forbidden(_("只有发文单位的督导检查员或中心主任可以审批延期申请"))
    if request.status != ExtensionStatus.PENDING:
        raise Conflict(_("该延期申请已处理"))
    if not approve and not comment.strip():
        raise InvalidInput(_("不批准时须写明理由"), field="comment")
    request.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.DENIED
    request.decided_by_id = actor.id
    request.decided_at = utcnow()
    request.decision_comment = comment.strip()
    audit.record("rect.extension_decide", actor=actor, instance=order.instance, order_id=order.id,
                 item=request.item.seq, approved=approve)
    if approve:
        request.item.deadline = request.requested_deadline
        _deliver_extension(order, actor)
    return request


def _deliver_extension(order: RectificationOrder, actor: User) -> None:
    from app.jobs.timers import lock_instance

    instance = lock_instance(order.instance_id)
    if instance is None or instance.status != InstanceStatus.RUNNING:
        return
    runtime = load_runtime(instance, actor)
    if runtime.catch_message(EXTENSION_MESSAGE, {}):
        if order.overdue and order.deadline is not None:
            order.overdue = False  # the new deadline has not passed yet
        finish_run(instance, runtime, actor, order)


# -- visibility and lists -------------------------------------------------------------------------
def visible_orders_query(user: User) -> Select[Any]:
    responsible = exists().where(RectificationItem.order_id == RectificationOrder.id,
                                 RectificationItem.responsible_id == user.id)
    return (select(RectificationOrder).join(OrgUnit, RectificationOrder.school_id == OrgUnit.id)
            .where(or_(org_scope_clause(user, OrgUnit.path), RectificationOrder.drafted_by_id == user.id,
                       and_(responsible, RectificationOrder.status != OrderStatus.DRAFT))))


def can_view(user: User, order: RectificationOrder) -> bool:
    if oversees(user, order.school) or order.drafted_by_id == user.id:
        return True
    return order.status != OrderStatus.DRAFT and any(i.responsible_id == user.id for i in order.items)


def get_visible_order(order_id: int, user: User) -> RectificationOrder:
    order = db.session.get(RectificationOrder, order_id)
    if order is None or not can_view(user, order):
        raise NotFound(_("找不到该整改通知书，或您没有查看权限"))
    return order


def get_visible_item(item_id: int, user: User) -> RectificationItem:
    item = db.session.get(RectificationItem, item_id)
    if item is None or not can_view(user, item.order):
        raise NotFound(_("找不到该整改项，或您没有查看权限"))
    return item


#: The status filter value that means every issued order not yet closed (整改中, as the dashboard counts).
OPEN_FILTER = "open"


def list_orders(user: User, *, status: str | None = None, overdue: bool = False, school_id: int | None = None,
                issued_between: tuple[datetime, datetime] | None = None) -> list[RectificationOrder]:
    """The orders ``user`` may see, filtered; ``status`` may be :data:`OPEN_FILTER`; ``issued_between`` is a
    half-open range of issue times (a term, as the dashboard counts orders)."""
    stmt = visible_orders_query(user)
    if status == OPEN_FILTER:
        stmt = stmt.where(RectificationOrder.status.in_(ACTIVE))
    elif status:
        stmt = stmt.where(RectificationOrder.status == OrderStatus(status))
    if overdue:
        stmt = stmt.where(RectificationOrder.overdue.is_(True))
    if school_id:
        stmt = stmt.where(RectificationOrder.school_id == school_id)
    if issued_between:
        stmt = stmt.where(RectificationOrder.issued_at >= issued_between[0],
                          RectificationOrder.issued_at < issued_between[1])
    return list(db.session.scalars(stmt.options(joinedload(RectificationOrder.school),
                                                selectinload(RectificationOrder.items))
                                   .order_by(RectificationOrder.updated_at.desc(), RectificationOrder.id.desc())
                                   .limit(500)).unique())


def notices_for(user: User, limit: int = 100) -> list[RectificationNotice]:
    """Reminders and escalations addressed to one of the user's (role, org) pairs."""
    pairs = [and_(RectificationNotice.role == role, RectificationNotice.org_id == org_id)
             for role, org_id in user.role_pairs()]
    if not pairs:
        return []
    return list(db.session.scalars(select(RectificationNotice).where(or_(*pairs))
                                   .options(joinedload(RectificationNotice.order))
                                   .order_by(RectificationNotice.created_at.desc(), RectificationNotice.id.desc())
                                   .limit(limit)))


def ledger_rows(user: User, *, status: str | None = None) -> list[RectificationItem]:
    """整改台账: every item of the orders the user may see (issued ones), school by school."""
    stmt = (select(RectificationItem).join(RectificationOrder).join(OrgUnit, RectificationOrder.school_id == OrgUnit.id)
            .where(RectificationOrder.id.in_(visible_orders_query(user).with_only_columns(RectificationOrder.id)),
                   RectificationOrder.doc_number.is_not(None))
            .options(joinedload(RectificationItem.order).joinedload(RectificationOrder.school),
                     joinedload(RectificationItem.responsible))
            .order_by(OrgUnit.code, RectificationOrder.id, RectificationItem.seq))
    if status:
        stmt = stmt.where(RectificationOrder.status == OrderStatus(status))
    return list(db.session.scalars(stmt).unique())


def item_overdue(item: RectificationItem, now: datetime | None = None) -> bool:
    return item.status == ItemStatus.OPEN and item.order.status in ACTIVE and \
        end_of_day(item.deadline) < (now or utcnow())


def school_has_overdue_rectification(school_id: int, *, now: datetime | None = None) -> bool:
    """Whether the school has a rectification order that is overdue now, or that went unresolved.

    For 评优 eligibility ("no overdue rectification order") and the school's annual assessment. An
    order counts as overdue from its deadline until the school submits its 整改报告, even if the
    worker has not fired the escalation timer yet.
    """
    now = now or utcnow()
    late = and_(RectificationOrder.status == OrderStatus.IN_PROGRESS, RectificationOrder.reported_at.is_(None),
                RectificationOrder.deadline < now)
    return bool(db.session.scalar(select(exists().where(
        RectificationOrder.school_id == school_id,
        or_(RectificationOrder.overdue.is_(True), late, RectificationOrder.status == OrderStatus.UNRESOLVED)))))


def open_task(order: RectificationOrder, bpmn_id: str) -> HumanTask | None:
    return db.session.scalars(select(HumanTask).where(HumanTask.instance_id == order.instance_id,
                                                      HumanTask.status == TaskStatus.OPEN,
                                                      HumanTask.bpmn_id == bpmn_id)).first()
