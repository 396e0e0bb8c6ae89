"""整改 deadlines on durable timers: with the clock moved, each reminder goes out once before its
deadline and the escalation once after it — also when the worker running it is killed mid-job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.clock import FrozenClock, use_clock
from app.extensions import db
from app.jobs.services import DEFAULT_LEASE, run_due_jobs
from app.models import AuditEvent, Job, JobStatus, NoticeKind, OrgUnit, RectificationNotice, Role
from app.rectification.services import school_has_overdue_rectification
from tests.rect_helpers import acknowledge_and_assign, issue, order, report, respond

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)   # Monday 09:00 in Yuyao
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def clock():
    with use_clock(FrozenClock(T0)) as c:
        yield c


def notices(app) -> Counter:
    with app.app_context():
        rows = db.session.execute(select(RectificationNotice.kind, OrgUnit.code, RectificationNotice.role)
                                  .join(OrgUnit, RectificationNotice.org_id == OrgUnit.id))
        return Counter((kind, code, role) for kind, code, role in rows)


def work(app) -> list[str]:
    with app.app_context():
        outcomes = [o.result for o in run_due_jobs("test-worker")]
        db.session.remove()
        return outcomes


def audit_count(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_reminders_fire_once_before_the_deadline_and_escalation_once_after(app, world, make_browser, clock):
    order_id = issue(app, world, make_browser)
    assert work(app) == []                                    # nothing is due yet
    clock.set(datetime(2026, 3, 4, 0, 0, 1, tzinfo=UTC))     # Wed 08:00: the day before 签收 is due
    assert work(app) == ["done"]
    ack = (NoticeKind.ACK_REMINDER, "YY-S1", Role.PRINCIPAL.value)
    assert notices(app) == {ack: 1}
    assert work(app) == []
    clock.advance(timedelta(hours=3))
    assert work(app) == [] and notices(app) == {ack: 1}

    principal = make_browser("s1_principal")
    acknowledge_and_assign(app, order_id, principal, ["s1_teacher", "s1_admin"])
    clock.set(datetime(2026, 3, 17, 23, 59, tzinfo=UTC))     # Wed 18 March 07:59 local: just before
    assert work(app) == []
    clock.set(datetime(2026, 3, 18, 0, 0, 1, tzinfo=UTC))    # 2 working days before Fri 20 March
    assert work(app) == ["done"]
    remind = (NoticeKind.DEADLINE_REMINDER, "YY-S1", Role.PRINCIPAL.value)
    assert notices(app) == {ack: 1, remind: 1}
    assert not order(app, order_id).overdue

    clock.set(datetime(2026, 3, 20, 15, 59, 59, tzinfo=UTC))  # deadline is 23:59:59 local
    assert work(app) == []
    clock.set(datetime(2026, 3, 20, 16, 0, 0, tzinfo=UTC))
    assert work(app) == ["done"]
    overdue = {(NoticeKind.OVERDUE, "YY-T1", Role.TOWNSHIP_REVIEWER.value): 1,
               (NoticeKind.OVERDUE, "YY-C", Role.INSPECTOR.value): 1}
    assert notices(app) == {ack: 1, remind: 1, **overdue}
    clock.advance(timedelta(days=3))
    assert work(app) == [] and notices(app) == {ack: 1, remind: 1, **overdue}
    o = order(app, order_id)
    assert o.overdue and o.overdue_since == datetime(2026, 3, 20, 16, 0, 0, tzinfo=UTC)
    with app.app_context():
        assert school_has_overdue_rectification(world.orgs["YY-S1"])
    # The township and the 督导 see it in their 整改 page; the school can still report, late.
    assert "已逾期" in make_browser("town1").get("/rectification").get_data(as_text=True)
    for item in o.items:
        assert respond(principal, item.id, on="2026-03-23").status_code == 302
    assert report(app, order_id, principal).status_code == 302
    assert not order(app, order_id).overdue
    with app.app_context():
        assert not school_has_overdue_rectification(world.orgs["YY-S1"])
        assert db.session.scalar(select(func.count()).select_from(Job).where(Job.status == JobStatus.PENDING)) == 0
    timeline = make_browser("inspector").get(f"/instances/{o.instance_id}").get_data(as_text=True)
    assert "定时器到期：整改期限已到" in timeline and "发出逾期督办（第 1 轮）" in timeline


def test_a_timer_completed_by_the_school_first_does_not_fire(app, world, make_browser, clock):
    order_id = issue(app, world, make_browser)
    make_browser("s1_principal").post(f"/tasks/{_task(app, order_id)}", data={"confirm": "y", "action": "submit"})
    clock.set(datetime(2026, 3, 10, 1, 0, tzinfo=UTC))   # long past the 签收 reminder moment
    assert work(app) == []                                   # its job was cancelled when the step completed
    assert notices(app) == {}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job).where(Job.status == JobStatus.CANCELLED)) == 1


def _task(app, order_id):
    from tests.rect_helpers import task_of

    return task_of(app, order_id, "Task_ack").id


def test_a_worker_killed_mid_job_leaves_it_to_be_retried_and_escalates_exactly_once(app, world, make_browser,
                                                                                      clock):
    order_id = issue(app, world, make_browser)
    acknowledge_and_assign(app, order_id, make_browser("s1_principal"), ["s1_teacher", "s1_admin"])
    clock.set(datetime(2026, 3, 21, 1, 0, tzinfo=UTC))   # past the reminder and the deadline
    victim = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "job_victim.py"), app.config["SQLALCHEMY_DATABASE_URI"],
         clock.now().isoformat(), app.config["ATTACHMENT_ROOT"]],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        lines = [victim.stdout.readline().strip() for _ in range(2)]
        assert lines[0].startswith("CLAIMED") and lines[1] == "INSIDE", (lines, victim.stderr.read()[-2000:])
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(30)
    finally:
        if victim.poll() is None:
            victim.kill()
            victim.wait(30)
        victim.stdout.close()
        victim.stderr.close()
    assert victim.returncode == -signal.SIGKILL
    # Nothing of the killed run was committed; its claim holds until the lease runs out.
    assert notices(app) == {}
    assert work(app) == []
    with app.app_context():
        claimed = list(db.session.scalars(select(Job).where(Job.status == JobStatus.RUNNING)))
        assert claimed and all(j.locked_by.startswith("victim/") for j in claimed)
    clock.advance(DEFAULT_LEASE + timedelta(seconds=1))
    assert sorted(work(app)) == ["done", "done"]
    assert notices(app) == {(NoticeKind.DEADLINE_REMINDER, "YY-S1", Role.PRINCIPAL.value): 1,
                            (NoticeKind.OVERDUE, "YY-T1", Role.TOWNSHIP_REVIEWER.value): 1,
                            (NoticeKind.OVERDUE, "YY-C", Role.INSPECTOR.value): 1}
    assert audit_count(app, "rect.overdue") == 1 and audit_count(app, "timer.fire") == 2
    clock.advance(timedelta(days=1))
    assert work(app) == []
    assert order(app, order_id).overdue


def test_reminders_reach_the_notification_centre_and_the_worker_mails_them(app, world, make_browser, clock):
    import email
    import email.policy

    from aiosmtpd.controller import Controller

    from app.jobs.mail import DELIVER, DIGEST
    from app.jobs.worker import Worker
    from app.models import Notification, User
    from tests.test_notifications import Inbox, _free_port

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        with app.app_context():
            principal = db.session.scalars(select(User).where(User.username == "s1_principal")).one()
            principal.email = "principal@school.test"
            db.session.commit()
            principal_id = principal.id
        issue(app, world, make_browser)
        clock.set(datetime(2026, 3, 4, 0, 0, 1, tzinfo=UTC))
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, MAIL_SENDER="yanxiu@test.local")
        worker = Worker(app, name="mail-test")
        worker.start()                      # SMTP is configured: the worker schedules the mail jobs
        while worker.run_once():
            pass
        with app.app_context():
            rows = list(db.session.scalars(select(Notification).where(Notification.event == "rect_ack_reminder")))
            assert [r.recipient_id for r in rows] == [principal_id]
            jobs = {j.kind: j.status for j in db.session.scalars(select(Job).where(Job.kind.in_([DELIVER, DIGEST])))}
            assert jobs == {DELIVER: JobStatus.PENDING, DIGEST: JobStatus.PENDING}  # rescheduled, not done
        # The principal also got the new 待办 (签收) by e-mail; the reminder is one more, sent once.
        messages = [email.message_from_bytes(m.content, policy=email.policy.default) for m in inbox.messages]
        reminders = [m for m in messages if "请及时签收整改通知书" in m.get_content()]
        assert len(reminders) == 1 and reminders[0]["To"] == "principal@school.test"
        clock.advance(timedelta(minutes=5))
        while worker.run_once():
            pass
        assert len(inbox.messages) == len(messages)  # the next delivery run finds nothing new to send
        page = make_browser("s1_principal").get("/notifications").get_data(as_text=True)
        assert "请及时签收整改通知书" in page
    finally:
        app.config.update(SMTP_HOST=None)
        controller.stop()
