"""Notifications: written with the state change, deduplicated, shown in the centre, and e-mailed
after commit by the delivery run — tested against a real SMTP server (aiosmtpd) on a free port."""

from __future__ import annotations

import email
import email.policy
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update

from app.clock import FrozenClock, use_clock
from app.extensions import db
from app.models import EmailMode, EmailStatus, Notification, NotificationPreference, ProjectApplication, User
from app.models.base import utcnow
from app.notifications.delivery import BACKOFF, MAX_ATTEMPTS, MailSettings, deliver_once, send_digests
from app.notifications.services import notify
from tests.helpers import open_task, start_application, valid_application


class Inbox:
    def __init__(self):
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(envelope)
        return "250 OK"


def _text(envelope) -> tuple[str, str]:
    """Subject and body of a received message, decoded."""
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    return str(message["Subject"]), message.get_content()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield handler, MailSettings(host="127.0.0.1", port=controller.port, sender="yanxiu@test.local",
                                    base_url="http://yanxiu.test")
    finally:
        controller.stop()


def _set_email(app, username: str, email: str | None, mode: EmailMode | None = None) -> int:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == username)).one()
        user.email = email
        if mode is not None:
            db.session.merge(NotificationPreference(user_id=user.id, email_mode=mode))
        db.session.commit()
        return user.id


def _submit(app, world, make_browser) -> int:
    drafter = make_browser("s1_admin")
    pid = start_application(app, drafter, world.orgs["YY-S1"])
    assert drafter.post(f"/tasks/{open_task(app, pid).id}", data=valid_application(app)).status_code == 302
    return pid


def _rows(app, username: str) -> list[Notification]:
    with app.app_context():
        uid = db.session.scalars(select(User.id).where(User.username == username)).one()
        rows = list(db.session.scalars(select(Notification).where(Notification.recipient_id == uid)
                                       .order_by(Notification.id)))
        db.session.expunge_all()
        return rows


def test_a_new_task_notifies_its_candidates_once(app, world, make_browser):
    pid = _submit(app, world, make_browser)
    rows = _rows(app, "s1_principal")
    assert [(n.event, n.human_task_id) for n in rows] == [("task_created", open_task(app, pid).id)]
    assert _rows(app, "s1_admin") == []  # nobody is told about their own action
    with app.app_context():
        task = open_task(app, pid)
        instance = db.session.get(ProjectApplication, pid).instance
        task = db.session.merge(task)
        # The same event again (a retried job, a repeated hook) is dropped by the unique key.
        assert notify(rows[0].recipient_id, "task_created", instance=instance, task=task) is False
        db.session.commit()
    assert len(_rows(app, "s1_principal")) == 1


def test_a_rolled_back_command_notifies_nobody(app, world, make_browser):
    pid = _submit(app, world, make_browser)
    with app.app_context():
        instance = db.session.get(ProjectApplication, pid).instance
        town = db.session.scalars(select(User).where(User.username == "town1")).one()
        assert notify(town.id, "cc", instance=instance, actor=town) is True
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.recipient_id == town.id)) == 0


def test_centre_shows_unread_count_and_marks_read(app, world, make_browser):
    pid = _submit(app, world, make_browser)
    principal = make_browser("s1_principal")
    html = principal.get("/tasks").get_data(as_text=True)
    assert 'aria-label="未读通知数量">1<' in html
    page = principal.get("/notifications").get_data(as_text=True)
    assert "新待办：「校长审核签字」" in page
    n = _rows(app, "s1_principal")[0]
    r = principal.get(f"/notifications/{n.id}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/tasks/{open_task(app, pid).id}")
    assert _rows(app, "s1_principal")[0].read_at is not None
    assert 'aria-label="未读通知数量"' not in principal.get("/tasks").get_data(as_text=True)
    assert make_browser("s1_admin").get(f"/notifications/{n.id}").status_code == 404  # not theirs


def test_delivery_sends_after_commit_and_only_once(app, world, make_browser, smtp):
    handler, settings = smtp
    _set_email(app, "s1_principal", "principal@s1.test")
    _submit(app, world, make_browser)
    with app.app_context():
        report = deliver_once(settings)
        assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
        assert deliver_once(settings).sent == 0  # already sent
    assert len(handler.messages) == 1
    message = handler.messages[0]
    assert message.rcpt_tos == ["principal@s1.test"]
    subject, body = _text(message)
    assert subject == "[研修通] 新待办：「校长审核签字」（基于课堂观察的青年教师成长研究）"
    assert "http://yanxiu.test/tasks/" in body
    row = _rows(app, "s1_principal")[0]
    assert row.email_status == EmailStatus.SENT and row.sent_at is not None and row.claim_token is None


def test_failed_sends_are_retried_with_back_off_then_given_up(app, world, make_browser):
    _set_email(app, "s1_principal", "principal@s1.test")
    _submit(app, world, make_browser)
    dead = MailSettings(host="127.0.0.1", port=_free_port(), timeout=2)  # nothing listens there
    start = utcnow()
    with use_clock(FrozenClock(start)) as clock, app.app_context():
        report = deliver_once(dead)
        assert (report.sent, report.retrying) == (0, 1)
        row = db.session.scalars(select(Notification)).one()
        assert row.email_status == EmailStatus.PENDING and row.attempts == 1
        assert row.next_attempt_at == start + timedelta(seconds=BACKOFF[0])
        assert deliver_once(dead).retrying == 0  # not due yet
        for _attempt in range(MAX_ATTEMPTS - 1):
            clock.advance(timedelta(days=1))
            deliver_once(dead)
        db.session.expire_all()
        row = db.session.scalars(select(Notification)).one()
        assert row.email_status == EmailStatus.FAILED and row.attempts == MAX_ATTEMPTS and row.last_error


def test_a_stale_claim_is_taken_over_after_its_lease(app, world, make_browser, smtp):
    handler, settings = smtp
    _set_email(app, "s1_principal", "principal@s1.test")
    _submit(app, world, make_browser)
    with app.app_context():
        # A delivery run claimed the row and died before sending.
        db.session.execute(update(Notification).values(claim_token="dead-run", locked_until=utcnow() + timedelta(minutes=5)))
        db.session.commit()
        assert deliver_once(settings).sent == 0
        with use_clock(FrozenClock(utcnow() + timedelta(minutes=6))):
            assert deliver_once(settings).sent == 1
    assert len(handler.messages) == 1


def test_digest_users_get_one_email_for_the_day(app, world, make_browser, smtp):
    handler, settings = smtp
    _set_email(app, "s1_principal", "principal@s1.test", EmailMode.DIGEST)
    _submit(app, world, make_browser)
    _submit(app, world, make_browser)
    with app.app_context():
        assert deliver_once(settings).sent == 0  # collected, not sent one by one
        report = send_digests(settings)
        assert report.sent == 1
        assert send_digests(settings).sent == 0
    assert len(handler.messages) == 1
    subject, body = _text(handler.messages[0])
    assert "2 条" in subject and body.count("http://yanxiu.test/tasks/") == 2
    assert {n.email_status for n in _rows(app, "s1_principal")} == {EmailStatus.SENT}


def test_users_without_email_or_with_email_off_are_skipped(app, world, make_browser, smtp):
    handler, settings = smtp
    _set_email(app, "s1_principal", "principal@s1.test", EmailMode.OFF)
    _submit(app, world, make_browser)
    with app.app_context():
        assert deliver_once(settings).sent == 0
    assert handler.messages == []
    assert _rows(app, "s1_principal")[0].email_status == EmailStatus.SKIPPED


def test_settings_page_validates_beside_the_field(app, world, make_browser):
    principal = make_browser("s1_principal")
    r = principal.post("/notifications/settings", data={"email": "", "email_mode": "digest"})
    assert r.status_code == 422 and "要接收邮件通知，请填写电子邮箱" in r.get_data(as_text=True)
    r = principal.post("/notifications/settings", data={"email": "not-an-address", "email_mode": "digest"})
    assert r.status_code == 422 and 'value="not-an-address"' in r.get_data(as_text=True)
    assert principal.post("/notifications/settings", data={"email": "p@s1.test", "email_mode": "digest"}
                          ).status_code == 302
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == "s1_principal")).one()
        assert user.email == "p@s1.test"
        assert db.session.get(NotificationPreference, user.id).email_mode == EmailMode.DIGEST


def test_notify_command_sends_once(app, world, make_browser, smtp):
    handler, settings = smtp
    _set_email(app, "s1_principal", "principal@s1.test")
    _submit(app, world, make_browser)
    runner = app.test_cli_runner()
    app.config.update(SMTP_HOST=settings.host, SMTP_PORT=settings.port)
    try:
        result = runner.invoke(args=["notify", "--once"])
    finally:
        app.config.update(SMTP_HOST=None, SMTP_PORT=25)
    assert result.exit_code == 0, result.output
    assert "已发送 1 封" in result.output and len(handler.messages) == 1
    assert runner.invoke(args=["notify"]).exit_code == 2
