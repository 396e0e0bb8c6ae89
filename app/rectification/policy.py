"""Rectification policy and deadline arithmetic.

The numbers differ by region (domain.md §2.2 ``rectification.*``). Until the region policy profiles
land (issue 3), :func:`policy_for_region` returns these defaults; an order copies them when it is
created, so the numbers it was issued under stay with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.workdays import calendar_for_region
from app.workdays.calendar import LOCAL_ZONE

#: Timers that must never fire (a reminder whose moment has already passed) wait until this.
NEVER = datetime(9999, 1, 1, tzinfo=LOCAL_ZONE)


@dataclass(frozen=True)
class RectificationPolicy:
    #: The principal signs for (签收) an issued order within this many working days.
    ack_working_days: int = 3
    #: Default time allowed for an item, in working days from the day the order is drafted.
    default_deadline_working_days: int = 20
    #: A reminder goes out this many working days before the deadline.
    remind_working_days: int = 2
    #: Verification rounds allowed before the case goes to 督导 unresolved.
    max_rounds: int = 3


DEFAULT_POLICY = RectificationPolicy()


def policy_for_region(region_id: int) -> RectificationPolicy:
    """The rectification policy in force for a region (the defaults until region profiles exist)."""
    return DEFAULT_POLICY


def end_of_day(day: date) -> datetime:
    """23:59:59 local time of ``day``: a deadline falls at the end of the bureau's day."""
    return datetime.combine(day, time(23, 59, 59), LOCAL_ZONE)


def local_today(now: datetime) -> date:
    return now.astimezone(LOCAL_ZONE).date()


def add_working_days(region_id: int, start: date, count: int) -> date:
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
    the moment an order is issued, would only be noise.
    """
    day = working_days_before(region_id, deadline, working_days)
    moment = datetime.combine(day, time(8, 0), LOCAL_ZONE)
    return moment if moment > now else NEVER
