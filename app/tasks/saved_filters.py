"""Saved 待办 filters, kept on the server: personal, or shared with a role in the owner's region."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app import audit
from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.models import Role, SavedFilter, User
from app.tasks.filters import InboxFilter

NAME_MAX = 40


def _regions(user: User) -> set[int]:
    return {int(ra.org.path.strip("/").split("/")[0]) for ra in user.roles}


def visible_filters(user: User) -> list[SavedFilter]:
    """The user's own filters, then those shared with a role they hold in their region."""
    roles = {ra.role for ra in user.roles}
    shared = (SavedFilter.shared_role.in_(roles) & SavedFilter.region_id.in_(_regions(user))) if roles else None
    condition = or_(SavedFilter.owner_id == user.id, shared) if shared is not None else SavedFilter.owner_id == user.id
    rows = db.session.scalars(select(SavedFilter).where(condition).order_by(SavedFilter.name))
    return sorted(rows, key=lambda f: (f.owner_id != user.id, f.name))


def save_filter(user: User, *, name: str | None, criteria: InboxFilter, share_role: str | None) -> SavedFilter:
    """Store the current filter under ``name`` (replacing the user's filter of that name)."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("请给筛选起个名字"), field="name")
    if len(name) > NAME_MAX:
        raise InvalidInput(_("名称不能超过 %(n)s 字", n=NAME_MAX), field="name")
    if criteria.is_empty:
        raise InvalidInput(_("请先设置筛选条件再保存"), field="name")
    role = None
    if share_role:
        held = {ra.role.value: ra.role for ra in user.roles}
        if share_role not in held:
            raise InvalidInput(_("只能共享给您自己担任的角色"), field="share_role")
        role = Role(share_role)
    saved = db.session.scalars(select(SavedFilter).where(SavedFilter.owner_id == user.id,
                                                         SavedFilter.name == name)).first()
    if saved is None:
        saved = SavedFilter(owner_id=user.id, name=name)
        db.session.add(saved)
    saved.criteria = criteria.to_args()
    saved.shared_role = role
    saved.region_id = min(_regions(user)) if role else None
    db.session.flush()
    audit.record("inbox.save_filter", actor=user, filter_id=saved.id, name=name, shared=share_role)
    return saved


def delete_filter(user: User, filter_id: int) -> None:
    saved = db.session.get(SavedFilter, filter_id)
    if saved is None or saved.owner_id != user.id:
        raise NotFound(_("筛选不存在，或不是您创建的"))
    audit.record("inbox.delete_filter", actor=user, filter_id=saved.id, name=saved.name)
    db.session.delete(saved)
