"""Whom an action may name: who can take over a task, be delegated to, sign or be copied in."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import CarbonCopy, HumanTask, ProcessInstance, Role, RoleAssignment, SignKind, User
from app.processes.signing import step_rows


def _active_users(*conditions) -> list[User]:
    stmt = (select(User).join(RoleAssignment).where(User.active.is_(True), *conditions)
            .order_by(User.id).distinct())
    return list(db.session.scalars(stmt))


def _already_signing(task: HumanTask) -> set[int]:
    return {r.assignee_id for r in step_rows(task) if r.is_live and r.assignee_id is not None}


def transfer_candidates(task: HumanTask, actor: User) -> list[User]:
    """转办: someone who could have been given this step in the first place.

    A lane step goes to holders of its role at its org; an added signer's row to anyone who may sign.
    Nobody who already signs in this step, and not the actor.
    """
    if task.sign_kind in (SignKind.BEFORE, SignKind.AFTER, SignKind.PARALLEL):
        return signer_candidates(task, actor)
    if task.role is None or task.org_id is None:
        return []
    busy = _already_signing(task) | {actor.id}
    return [u for u in _active_users(RoleAssignment.role == Role(task.role), RoleAssignment.org_id == task.org_id)
            if u.id not in busy]


def delegate_candidates(task: HumanTask, actor: User) -> list[User]:
    """委派: a colleague at the task's org (any role), who prepares the work and hands it back."""
    if task.org_id is None:
        return []
    busy = _already_signing(task) | {actor.id}
    return [u for u in _active_users(RoleAssignment.org_id == task.org_id) if u.id not in busy]


def _chain(instance: ProcessInstance) -> list[int]:
    return instance.school.ancestor_ids()


def signer_candidates(task: HumanTask, actor: User) -> list[User]:
    """加签: anyone holding a role at the instance's school or an org above it (who can see the case)."""
    busy = _already_signing(task) | {actor.id}
    return [u for u in _active_users(RoleAssignment.org_id.in_(_chain(task.instance))) if u.id not in busy]


def cc_candidates(instance: ProcessInstance, actor: User) -> list[User]:
    """抄送: anyone holding a role at the school or above who is not copied in yet."""
    copied = set(db.session.scalars(select(CarbonCopy.user_id).where(CarbonCopy.instance_id == instance.id)))
    return [u for u in _active_users(RoleAssignment.org_id.in_(_chain(instance)))
            if u.id != actor.id and u.id not in copied]


def choice_label(user: User) -> str:
    roles = _("、").join(f"{_(ra.role.label)}·{ra.org.display_name}" for ra in user.roles)
    return f"{user.display_name}（{roles}）" if roles else user.display_name
