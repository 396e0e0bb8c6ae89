"""Working days: national holidays, 调休 make-up workdays, region overrides, deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from app.clock import FrozenClock, use_clock
from app.extensions import db
from app.models import CalendarOverride, HumanTask
from app.models.base import utcnow
from app.workdays import WorkdayCalendar, calendar_for_region, deadline_after_working_days
from tests.helpers import open_task, start_application, valid_application


def test_national_schedule_and_make_up_workdays():
    cal = WorkdayCalendar()
    assert cal.is_working_day(date(2026, 11, 23))            # a Monday
    assert not cal.is_working_day(date(2026, 11, 22))        # a Sunday
    assert not cal.is_working_day(date(2026, 10, 1))         # 国庆节
    assert not cal.is_working_day(date(2026, 2, 17))         # 春节
    assert cal.is_working_day(date(2026, 2, 14))             # a Saturday, 调休 make-up workday
    # 5 working days after the Friday before Spring Festival 2026: the holiday week does not count.
    assert cal.add_working_days(date(2026, 2, 13), 5) == date(2026, 2, 27)
    # 国庆 2026: 10-01..10-07 off, Thu 10-08 and Fri 10-09 work, Sat 10-10 is a make-up workday.
    assert cal.working_days_between(date(2026, 9, 30), date(2026, 10, 10)) == 3


def test_overrides_win_and_are_per_region(world, ctx):
    region_id, other_id = world.orgs["YY"], world.orgs["YY-C"]
    db.session.add(CalendarOverride(region_id=region_id, day=date(2026, 11, 23), is_working_day=False, note="停课"))
    db.session.add(CalendarOverride(region_id=region_id, day=date(2026, 11, 22), is_working_day=True, note="补课"))
    db.session.flush()
    region = calendar_for_region(region_id)
    assert not region.is_working_day(date(2026, 11, 23)) and region.is_working_day(date(2026, 11, 22))
    assert calendar_for_region(other_id).is_working_day(date(2026, 11, 23))


def test_deadline_is_end_of_the_local_working_day(ctx):
    # 2026-11-27 is a Friday; 3 working days later is Wednesday 12-02, ending 23:59:59 in Beijing.
    start = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    assert deadline_after_working_days(1, start, 3) == datetime(2026, 12, 2, 15, 59, 59, tzinfo=UTC)


def test_the_clock_can_be_frozen_and_moved():
    clock = FrozenClock(datetime(2026, 11, 27, 2, 0, tzinfo=UTC))
    with use_clock(clock):
        assert utcnow() == datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
        from datetime import timedelta

        clock.advance(timedelta(days=1))
        assert utcnow().day == 28
    assert utcnow().year >= 2026 and utcnow() != clock.now()


def test_task_due_dates_count_working_days(app, world, make_browser):
    drafter = make_browser("s1_admin")
    with use_clock(FrozenClock(datetime(2026, 9, 30, 1, 0, tzinfo=UTC))):  # Wed before 国庆
        pid = start_application(app, drafter, world.orgs["YY-S1"])
        drafter.post(f"/tasks/{open_task(app, pid).id}", data=valid_application(app))
    principal_task = open_task(app, pid)
    assert principal_task.bpmn_id == "Task_principal"  # dueDays=3
    with app.app_context():
        due = db.session.scalars(select(HumanTask.due_at).where(HumanTask.id == principal_task.id)).one()
    # 10-01..10-07 are off; Thu 10-08, Fri 10-09 and Sat 10-10 (a make-up workday) count.
    assert due == datetime(2026, 10, 10, 15, 59, 59, tzinfo=UTC)
