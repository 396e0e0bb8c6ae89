"""Sending the outbox by e-mail, after commit.

A delivery run claims a batch of due rows — ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, a
conditional UPDATE on SQLite — by stamping them with a claim token and a lease (``locked_until``),
commits, sends, and records each outcome in its own short transaction, guarded by the token. A
run killed mid-way leaves rows whose lease simply expires; a failed send is retried with back-off
and given up after :data:`MAX_ATTEMPTS`. Rows of users who chose the daily digest are sent by
:func:`send_digests`, one e-mail per user. These functions commit: they are edges, like a CLI
command or a worker job.
"""

from __future__ import annotations

import smtplib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from uuid import uuid4

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, update

from app.extensions import db
from app.models import EmailStatus, Notification, User
from app.models.base import utcnow
from app.notifications.services import render

#: Seconds to wait before the next attempt, by attempts made so far.
BACKOFF = (60, 300, 1800, 7200)
MAX_ATTEMPTS = len(BACKOFF) + 1
LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    #: STARTTLS after connecting (port 587); ``ssl`` for implicit TLS (port 465).
    tls: bool = False
    ssl: bool = False
    sender: str = "yanxiu@localhost"
    base_url: str = "http://127.0.0.1:5000"
    timeout: float = 20.0
    default_locale: str = "zh_CN"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailSettings | None:
        """Settings from ``YANXIU_SMTP_*``; None when no SMTP host is configured."""
        host = config.get("SMTP_HOST")
        if not host:
            return None
        return cls(host=host, port=int(config.get("SMTP_PORT") or 25), user=config.get("SMTP_USER") or None,
                   password=config.get("SMTP_PASSWORD") or None, tls=bool(config.get("SMTP_TLS")),
                   ssl=bool(config.get("SMTP_SSL")), sender=config.get("MAIL_SENDER") or cls.sender,
                   base_url=(config.get("BASE_URL") or cls.base_url).rstrip("/"),
                   default_locale=config.get("BABEL_DEFAULT_LOCALE") or "zh_CN")


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _claimable(status: EmailStatus, now: datetime) -> Any:
    lease_free = or_(Notification.locked_until.is_(None), Notification.locked_until < now)
    due = Notification.next_attempt_at <= now if status == EmailStatus.PENDING else True
    return and_(Notification.email_status == status, due, lease_free)


def claim_batch(status: EmailStatus, limit: int) -> tuple[str, list[Notification]]:
    """Claim up to ``limit`` due rows of ``status`` for this run; commits the claim."""
    now = utcnow()
    token = uuid4().hex
    candidates = (select(Notification.id).where(_claimable(status, now))
                  .order_by(Notification.next_attempt_at, Notification.id).limit(limit))
    if db.engine.dialect.name == "postgresql":
        # Concurrent runs skip each other's rows instead of waiting for them.
        ids = list(db.session.scalars(candidates.with_for_update(skip_locked=True)))
        target = Notification.id.in_(ids) if ids else None
    else:
        # SQLite runs one writer at a time, so the conditional UPDATE is the claim.
        target = and_(Notification.id.in_(candidates.scalar_subquery()), _claimable(status, now))
    if target is not None:
        db.session.execute(update(Notification).where(target)
                           .values(claim_token=token, locked_until=now + LEASE)
                           .execution_options(synchronize_session=False))
    db.session.commit()
    rows = list(db.session.scalars(select(Notification).where(Notification.claim_token == token)
                                   .order_by(Notification.id)))
    return token, rows


def _finish(ids: list[int], token: str, **values: Any) -> None:
    db.session.execute(update(Notification).where(Notification.id.in_(ids), Notification.claim_token == token)
                       .values(claim_token=None, locked_until=None, **values)
                       .execution_options(synchronize_session=False))
    db.session.commit()


def _send(settings: MailSettings, to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    smtp_class = smtplib.SMTP_SSL if settings.ssl else smtplib.SMTP
    with smtp_class(settings.host, settings.port, timeout=settings.timeout) as smtp:
        if settings.tls and not settings.ssl:
            smtp.starttls()
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        smtp.send_message(message)


def _link(settings: MailSettings, notification: Notification) -> str:
    return settings.base_url + (notification.url or "/")


def _compose_one(settings: MailSettings, notification: Notification) -> tuple[str, str]:
    text = render(notification)
    lines = [text]
    note = (notification.params or {}).get("note")
    if note:
        lines += ["", note]
    lines += ["", _("查看：%(url)s", url=_link(settings, notification)), "", _("—— 研修通（本邮件由系统自动发送）")]
    return _("[研修通] %(text)s", text=text), "\n".join(lines)


def _record_failure(notifications: list[Notification], token: str, err: Exception, report: DeliveryReport) -> None:
    now = utcnow()
    for n in notifications:
        attempts = n.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            _finish([n.id], token, attempts=attempts, email_status=EmailStatus.FAILED, last_error=str(err)[:500])
            report.failed += 1
        else:
            _finish([n.id], token, attempts=attempts, last_error=str(err)[:500],
                    next_attempt_at=now + timedelta(seconds=BACKOFF[attempts - 1]))
            report.retrying += 1
    report.errors.append(str(err))


def deliver_once(settings: MailSettings, *, batch_size: int = 50, max_batches: int = 100) -> DeliveryReport:
    """Send every due immediate notification, batch by batch; return what happened."""
    report = DeliveryReport()
    for _batch in range(max_batches):
        token, rows = claim_batch(EmailStatus.PENDING, batch_size)
        if not rows:
            break
        for n in rows:
            recipient = db.session.get(User, n.recipient_id)
            if recipient is None or not recipient.email:
                _finish([n.id], token, email_status=EmailStatus.SKIPPED)
                continue
            with force_locale(recipient.locale or settings.default_locale):
                subject, body = _compose_one(settings, n)
            try:
                _send(settings, recipient.email, subject, body)
            except (OSError, smtplib.SMTPException) as err:
                _record_failure([n], token, err, report)
                continue
            _finish([n.id], token, email_status=EmailStatus.SENT, sent_at=utcnow(), attempts=n.attempts + 1)
            report.sent += 1
    return report


def send_digests(settings: MailSettings, *, batch_size: int = 500) -> DeliveryReport:
    """The daily digest: one e-mail per user listing their collected notifications."""
    report = DeliveryReport()
    while True:
        token, rows = claim_batch(EmailStatus.DIGEST, batch_size)
        if not rows:
            break
        by_user: dict[int, list[Notification]] = defaultdict(list)
        for n in rows:
            by_user[n.recipient_id].append(n)
        for user_id, items in by_user.items():
            recipient = db.session.get(User, user_id)
            if recipient is None or not recipient.email:
                _finish([n.id for n in items], token, email_status=EmailStatus.SKIPPED)
                continue
            with force_locale(recipient.locale or settings.default_locale):
                subject = _("[研修通] 今日通知汇总（%(n)s 条）", n=len(items))
                lines = [f"{i}. {render(n)}\n   {_link(settings, n)}" for i, n in enumerate(items, 1)]
                body = "\n".join([_("%(name)s，您好：", name=recipient.display_name), "", *lines, "",
                                  _("—— 研修通（本邮件由系统自动发送）")])
            try:
                _send(settings, recipient.email, subject, body)
            except (OSError, smtplib.SMTPException) as err:
                # Digest rows stay collected for the next digest run; they keep their lease, so this
                # run does not claim them again.
                db.session.execute(update(Notification).where(
                    Notification.id.in_([n.id for n in items]), Notification.claim_token == token)
                    .values(attempts=Notification.attempts + 1, last_error=str(err)[:500])
                    .execution_options(synchronize_session=False))
                db.session.commit()
                report.retrying += len(items)
                report.errors.append(str(err))
                continue
            _finish([n.id for n in items], token, email_status=EmailStatus.SENT, sent_at=utcnow())
            report.sent += 1
        if len(rows) < batch_size:
            break
    return report
