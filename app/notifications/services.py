"""Writing notifications to the outbox, and reading them in the notification centre.

:func:`notify` runs inside the command's transaction. Its row is unique per (event, task or
instance, recipient[, discriminator]); a second identical event is dropped by the database
(``ON CONFLICT DO NOTHING``), so retried commands and repeated hooks never notify twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import case, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.errors import NotFound
from app.extensions import db
from app.i18n import N_
from app.models import (
    EmailMode,
    EmailStatus,
    HumanTask,
    Notification,
    NotificationPreference,
    ProcessInstance,
    User,
)
from app.models.base import utcnow
from app.pagination import Page, paginate

#: What each event says; params: task, title (the instance), actor, note.
EVENT_TEXT = {
    "task_created": N_("新待办：「%(task)s」（%(title)s）"),
    "transferred": N_("%(actor)s 将「%(task)s」转办给您（%(title)s）"),
    "delegated": N_("%(actor)s 将「%(task)s」委派给您处理，处理完请交还（%(title)s）"),
    "resolved": N_("%(actor)s 已处理您委派的「%(task)s」并交还给您（%(title)s）"),
    "signer_added": N_("%(actor)s 请您对「%(task)s」加签（%(title)s）"),
    "withdrawn": N_("%(actor)s 撤回了提交，您的待办「%(task)s」已取消（%(title)s）"),
    "cc": N_("%(actor)s 抄送给您：%(title)s"),
    "urged": N_("%(actor)s 催办：请尽快办理「%(task)s」（%(title)s）"),
    "commented": N_("%(actor)s 评论了「%(task)s」（%(title)s）"),
    "finished": N_("您发起的「%(title)s」已办结"),
}


def task_path(task_id: int) -> str:
    # Stored as paths, because rows are written from requests, CLI commands and workers alike.
    return f"/tasks/{task_id}"


def instance_path(instance_id: int) -> str:
    return f"/instances/{instance_id}"


def email_mode(user_id: int) -> EmailMode:
    mode = db.session.scalar(select(NotificationPreference.email_mode).where(
        NotificationPreference.user_id == user_id))
    return mode or EmailMode.IMMEDIATE


def _initial_email_status() -> Any:
    """SQL for how a notification's e-mail starts out, from the recipient's row and preference.

    Evaluated inside the INSERT (see :func:`notify`): this runs for every task a command opens,
    timers included, so it costs no statement of its own and never loads the user with their roles.
    """
    mode = NotificationPreference.email_mode
    return case(
        (or_(User.email.is_(None), User.email == "", User.active.is_(False)), literal(EmailStatus.SKIPPED.value)),
        (mode == EmailMode.DIGEST, literal(EmailStatus.DIGEST.value)),
        (mode == EmailMode.OFF, literal(EmailStatus.SKIPPED.value)),
        else_=literal(EmailStatus.PENDING.value))


def dedupe_key(event: str, recipient_id: int, *, task_id: int | None, instance_id: int | None,
               discriminator: str | None = None) -> str:
    subject = f"t{task_id}" if task_id is not None else f"i{instance_id}"
    key = f"{event}:{subject}:{recipient_id}"
    return f"{key}:{discriminator}" if discriminator else key


def notify(recipient_id: int, event: str, *, instance: ProcessInstance, task: HumanTask | None = None,
           actor: User | None = None, note: str | None = None, discriminator: str | None = None) -> bool:
    """Write one notification to the outbox (in the caller's transaction). False if it was a duplicate."""
    if task is not None and task.id is None:
        db.session.flush()
    params: dict[str, Any] = {"task": task.name if task else "", "title": instance.title,
                              "actor": actor.display_name if actor else _("系统"), "note": note or ""}
    values = dict(recipient_id=recipient_id, event=event, instance_id=instance.id,
                  human_task_id=task.id if task else None, actor_id=actor.id if actor else None, params=params,
                  url=task_path(task.id) if task is not None and event != "finished" else instance_path(instance.id),
                  dedupe_key=dedupe_key(event, recipient_id, task_id=task.id if task else None,
                                        instance_id=instance.id, discriminator=discriminator),
                  created_at=utcnow(), attempts=0, next_attempt_at=utcnow())
    table = Notification.__table__
    # INSERT … SELECT from the recipient's row: no row (an unknown user) inserts nothing, and the
    # e-mail status comes from their address and preference in the same statement.
    source = (select(*[literal(value, type_=table.c[key].type) for key, value in values.items()],
                     _initial_email_status())
              .select_from(User).outerjoin(NotificationPreference, NotificationPreference.user_id == User.id)
              .where(User.id == recipient_id))
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    stmt = (dialect.insert(table).from_select([*values, "email_status"], source)
            .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.id))
    return db.session.execute(stmt).scalar() is not None


def render(notification: Notification) -> str:
    """The notification's text in the current language."""
    template = EVENT_TEXT.get(notification.event)
    params = {"task": "", "title": "", "actor": "", "note": "", **(notification.params or {})}
    return _(template, **params) if template else notification.event


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.recipient_id == user.id, Notification.read_at.is_(None))) or 0


def for_user(user: User, *, page: int = 1, per_page: int = 30, unread_only: bool = False) -> Page:
    where = [Notification.recipient_id == user.id]
    if unread_only:
        where.append(Notification.read_at.is_(None))
    stmt = select(Notification).where(*where).order_by(Notification.id.desc())
    return paginate(stmt, select(func.count(Notification.id)).where(*where), page, per_page)


@dataclass(frozen=True)
class Opened:
    url: str


def open_notification(user: User, notification_id: int) -> Opened:
    """Mark one of the user's notifications read and say where it points."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.recipient_id != user.id:
        raise NotFound(_("通知不存在"))
    if notification.read_at is None:
        notification.read_at = utcnow()
    return Opened(notification.url or "/")


def mark_all_read(user: User) -> int:
    result = db.session.execute(update(Notification).where(
        Notification.recipient_id == user.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
    return result.rowcount  # type: ignore[attr-defined]


def set_preferences(user: User, *, mode: EmailMode, email: str | None) -> None:
    """Store the user's e-mail address and how they want e-mail (immediately, daily digest, or none)."""
    pref = db.session.get(NotificationPreference, user.id)
    if pref is None:
        pref = NotificationPreference(user_id=user.id)
        db.session.add(pref)
    pref.email_mode = mode
    user.email = email or None
