"""Moments in the bureau's day: deadlines at the end of a local day, reminders at its start.

Every process that counts working days (整改, 学期检查, 评优 公示) places its deadlines and reminders
with these, so that "by the 20th working day" means the same thing everywhere.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from app.workdays.calendar import LOCAL_ZONE, calendar_for_region

#: Timers that must never fire (a reminder whose moment has already passed) wait until this.
NEVER = datetime(9999, 1, 1, tzinfo=LOCAL_ZONE)
#: Reminders go out at the start of the working day.
REMINDER_TIME = time(8, 0)


def end_of_day(day: date) -> datetime:
    """23:59:59 local time of ``day``: a deadline falls at the end of the bureau's day."""
    return datetime.combine(day, time(23, 59, 59), LOCAL_ZONE)


def local_today(now: datetime) -> date:
    """The bureau's calendar day at the instant ``now``."""
    return now.astimezone(LOCAL_ZONE).date()


def add_working_days(region_id: int, start: date, count: int) -> date:
    """The ``count``-th working day after ``start`` in the region's calendar."""
    return calendar_for_region(region_id).add_working_days(start, count)


def working_days_before(region_id: int, day: date, count: int) -> date:
    """The working day ``count`` working days before ``day`` (``day`` itself not counted)."""
    calendar = calendar_for_region(region_id)
    remaining = count
    while remaining:
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            remaining -= 1
    return day


def reminder_moment(region_id: int, deadline: date, working_days: int, now: datetime) -> datetime:
    """When to remind before ``deadline``: the start (08:00) of the working day ``working_days`` before it.

    A reminder whose moment has already passed is not sent at all (:data:`NEVER`): reminding at once,
    the moment a case opens, would only be noise.
    """
    day = working_days_before(region_id, deadline, working_days)
    moment = datetime.combine(day, REMINDER_TIME, LOCAL_ZONE)
    return moment if moment > now else NEVER
