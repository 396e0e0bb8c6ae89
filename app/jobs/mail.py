"""The worker sends the notification e-mail outbox (app.notifications): immediately-due e-mail every
half minute, and the daily digest at 17:00 local time, as two self-rescheduling jobs.

Both are edge jobs: the delivery functions claim, send and mark outbox rows in their own short
transactions (a row is never sent twice), so a worker dying mid-run only leaves rows to the next run.
Nothing is scheduled unless SMTP is configured (``YANXIU_SMTP_HOST``).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import current_app

from app.jobs.registry import RunAgainAt, register_job_kind
from app.jobs.services import ClaimedJob, schedule
from app.models.base import utcnow
from app.notifications.delivery import MailSettings, deliver_once, send_digests
from app.workdays.calendar import LOCAL_ZONE

DELIVER = "notifications.deliver"
DIGEST = "notifications.digest"
DELIVER_EVERY = timedelta(seconds=30)
DIGEST_AT = time(17, 0)


def next_digest(now: datetime) -> datetime:
    """The next 17:00 in the bureau's time zone."""
    local = now.astimezone(LOCAL_ZONE)
    moment = datetime.combine(local.date(), DIGEST_AT, LOCAL_ZONE)
    return moment if moment > local else moment + timedelta(days=1)


def _settings() -> MailSettings | None:
    return MailSettings.from_config(current_app.config)


def deliver(job: ClaimedJob) -> RunAgainAt | None:
    settings = _settings()
    if settings is None:
        return None  # SMTP was switched off: stop until a worker starts with it configured again
    deliver_once(settings)
    return RunAgainAt(utcnow() + DELIVER_EVERY)


def digest(job: ClaimedJob) -> RunAgainAt | None:
    settings = _settings()
    if settings is None:
        return None
    send_digests(settings)
    return RunAgainAt(next_digest(utcnow()))


def ensure_mail_jobs() -> bool:
    """Schedule the two mail jobs if SMTP is configured (idempotent; the caller commits)."""
    if _settings() is None:
        return False
    now = utcnow()
    schedule(DELIVER, {}, now, dedupe_key=DELIVER)
    schedule(DIGEST, {}, next_digest(now), dedupe_key=DIGEST)
    return True


register_job_kind(DELIVER, deliver, edge=True, max_attempts=1000)
register_job_kind(DIGEST, digest, edge=True, max_attempts=1000)
