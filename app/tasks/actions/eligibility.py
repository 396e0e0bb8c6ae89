"""Whom an action may name: who can take over a task, be delegated to, sign or be copied in."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import CarbonCopy, HumanTask, ProcessInstance, Role, RoleAssignment, SignKind, User
from app.processes.signing import step_rows


def _active_users(*conditions) -> list[User]:
    stmt = (select(User).join(RoleAssignment).where(User.active.is_(True), *conditions)
            .order_by(User.id).distinct())
    return list(db.session.scalars(stmt))


def _already_signing(task: HumanTask, step: list[HumanTask] | None = None) -> set[int]:
    rows = step_rows(task) if step is None else step
    return {r.assignee_id for r in rows if r.is_live and r.assignee_id is not None}


def _chain(instance: ProcessInstance) -> list[int]:
    return instance.school.ancestor_ids()


@dataclass
class CandidatePool:
    """The active users holding a role at the instance's school or an org above it, read once.

    The task page offers four lists of people (转办, 委派, 加签, 抄送) that are all slices of this
    set; filtering it here instead of asking the database four times gives the same users in the
    same order (by id).
    """

    org_ids: set[int]
    users: list[User]

    @classmethod
    def of(cls, instance: ProcessInstance) -> CandidatePool:
        chain = _chain(instance)
        return cls(set(chain), _active_users(RoleAssignment.org_id.in_(chain)))

    def holding(self, org_id: int, role: Role | None = None) -> list[User] | None:
        """Users with ``role`` (any role when None) at ``org_id``; None when the org is not in the pool."""
        if org_id not in self.org_ids:
            return None
        return [u for u in self.users
                if any(ra.org_id == org_id and (role is None or ra.role == role) for ra in u.roles)]


def transfer_candidates(task: HumanTask, actor: User, *, step: list[HumanTask] | None = None,
                        pool: CandidatePool | None = None) -> list[User]:
    """转办: someone who could have been given this step in the first place.

    A lane step goes to holders of its role at its org; an added signer's row to anyone who may sign.
    Nobody who already signs in this step, and not the actor.
    """
    if task.sign_kind in (SignKind.BEFORE, SignKind.AFTER, SignKind.PARALLEL):
        return signer_candidates(task, actor, step=step, pool=pool)
    if task.role is None or task.org_id is None:
        return []
    busy = _already_signing(task, step) | {actor.id}
    users = pool.holding(task.org_id, Role(task.role)) if pool is not None else None
    if users is None:
        users = _active_users(RoleAssignment.role == Role(task.role), RoleAssignment.org_id == task.org_id)
    return [u for u in users if u.id not in busy]


def delegate_candidates(task: HumanTask, actor: User, *, step: list[HumanTask] | None = None,
                        pool: CandidatePool | None = None) -> list[User]:
    """委派: a colleague at the task's org (any role), who prepares the work and hands it back."""
    if task.org_id is None:
        return []
    busy = _already_signing(task, step) | {actor.id}
    users = pool.holding(task.org_id) if pool is not None else None
    if users is None:
        users = _active_users(RoleAssignment.org_id == task.org_id)
    return [u for u in users if u.id not in busy]


def signer_candidates(task: HumanTask, actor: User, *, step: list[HumanTask] | None = None,
                      pool: CandidatePool | None = None) -> list[User]:
    """加签: anyone holding a role at the instance's school or an org above it (who can see the case)."""
    busy = _already_signing(task, step) | {actor.id}
    users = pool.users if pool is not None else CandidatePool.of(task.instance).users
    return [u for u in users if u.id not in busy]


def cc_candidates(instance: ProcessInstance, actor: User, *, pool: CandidatePool | None = None) -> list[User]:
    """抄送: anyone holding a role at the school or above who is not copied in yet."""
    copied = set(db.session.scalars(select(CarbonCopy.user_id).where(CarbonCopy.instance_id == instance.id)))
    users = pool.users if pool is not None else CandidatePool.of(instance).users
    return [u for u in users if u.id != actor.id and u.id not in copied]


def choice_label(user: User) -> str:
    roles = _("、").join(f"{_(ra.role.label)}·{ra.org.display_name}" for ra in user.roles)
    return f"{user.display_name}（{roles}）" if roles else user.display_name
