"""Who may see and act on what. Services call these; views may call them to hide links."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, CompoundSelect, exists, false, or_, select, union_all

from app.errors import Forbidden, NotFound
from app.models import CarbonCopy, HumanTask, OrgUnit, ProcessInstance, Role, TaskStatus, User
from app.models.user import OVERSIGHT_ROLES


def oversight_paths(user: User) -> list[str]:
    """Org paths under which ``user`` may see workflow records (their role's org and below)."""
    return sorted({ra.org.path for ra in user.roles if ra.role in OVERSIGHT_ROLES})


def oversees(user: User, org: OrgUnit) -> bool:
    return any(org.path.startswith(path) for path in oversight_paths(user))


def org_scope_clause(user: User, path_column: ColumnElement[str]) -> ColumnElement[bool]:
    """SQL condition: ``path_column`` lies in the user's oversight scope."""
    paths = oversight_paths(user)
    if not paths:
        return false()
    return or_(*[path_column.startswith(path, autoescape=True) for path in paths])


def _involved(user: User) -> ColumnElement[bool]:
    """The user holds, held, delegated or completed one of the instance's tasks."""
    return or_(HumanTask.assignee_id == user.id, HumanTask.completed_by_id == user.id,
               HumanTask.owner_id == user.id)


def instance_visible_clause(user: User) -> ColumnElement[bool]:
    """SQL condition on ProcessInstance (joined with its school as OrgUnit) for visibility."""
    involved = exists(select(HumanTask.id).where(HumanTask.instance_id == ProcessInstance.id, _involved(user)))
    copied = exists(select(CarbonCopy.id).where(CarbonCopy.instance_id == ProcessInstance.id,
                                                CarbonCopy.user_id == user.id))
    return or_(org_scope_clause(user, OrgUnit.path), ProcessInstance.starter_id == user.id, involved, copied)


def is_copied(user: User, instance: ProcessInstance) -> bool:
    """The user was copied in (抄送) on the instance: they may read it, never act on it."""
    from app.extensions import db

    return db.session.scalar(select(exists().where(
        CarbonCopy.instance_id == instance.id, CarbonCopy.user_id == user.id))) or False


def can_view_instance(user: User, instance: ProcessInstance) -> bool:
    if oversees(user, instance.school) or instance.starter_id == user.id:
        return True
    from app.extensions import db

    involved = db.session.scalar(select(exists().where(HumanTask.instance_id == instance.id, _involved(user))))
    return bool(involved) or is_copied(user, instance)


def require_instance_visible(user: User, instance: ProcessInstance | None) -> ProcessInstance:
    """Return the instance, or raise NotFound when it does not exist or is not the user's business.

    Records outside the user's scope answer 404 rather than 403, so ids do not leak whether a
    record exists.
    """
    if instance is None or not can_view_instance(user, instance):
        raise NotFound(_("找不到该记录，或您没有查看权限"))
    return instance


def is_candidate(user: User, task: HumanTask) -> bool:
    """The user holds the task's role at the task's org."""
    return task.role is not None and task.org_id is not None and user.has_role(Role(task.role), task.org_id)


def can_act(user: User, task: HumanTask) -> bool:
    if task.status != TaskStatus.OPEN:
        return False
    if task.assignee_id is not None:
        return task.assignee_id == user.id
    return is_candidate(user, task)


def require_can_act(user: User, task: HumanTask) -> None:
    if task.assignee_id is not None and task.assignee_id != user.id:
        name = task.assignee.display_name if task.assignee else _("他人")
        raise Forbidden(_("该任务已由 %(name)s 认领，您不能办理", name=name))
    if not can_act(user, task):
        raise Forbidden(_("您不是该任务的办理人"))


def task_holder_ids(task: HumanTask) -> list[int]:
    """Who a task waits for: its assignee, or every active holder of its role at its org."""
    if task.assignee_id is not None:
        return [task.assignee_id]
    if task.role is None or task.org_id is None:
        return []
    from app.extensions import db
    from app.models import RoleAssignment

    return list(db.session.scalars(select(User.id).join(RoleAssignment).where(
        RoleAssignment.role == Role(task.role), RoleAssignment.org_id == task.org_id, User.active.is_(True))
        .order_by(User.id)))


def task_candidate_ids(user: User) -> CompoundSelect:
    """Ids of the open tasks in the user's 待办: assigned to them, or unassigned for one of their roles.

    One SELECT per (role, org) pair, glued with UNION ALL, so that every branch is an exact match
    on an index; an OR across them would make the database scan every open task.
    """
    branches = [select(HumanTask.id).where(HumanTask.status == TaskStatus.OPEN, HumanTask.assignee_id == user.id)]
    for role, org_id in user.role_pairs():
        branches.append(select(HumanTask.id).where(
            HumanTask.status == TaskStatus.OPEN, HumanTask.role == role, HumanTask.org_id == org_id,
            HumanTask.assignee_id.is_(None)))
    return union_all(*branches)
