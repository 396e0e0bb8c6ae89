"""The working-day calendar of a region."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import select

from app.extensions import db
from app.models.calendar import CalendarOverride

#: Deadlines fall at the end of a day in the bureau's time zone, not at UTC midnight.
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


@lru_cache(maxsize=64)
def _national(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(public holidays incl. 调休 days off, weekend make-up workdays) for one year."""
    cn = holidays.country_holidays("CN", years=year)
    return frozenset(cn.keys()), frozenset(d for d in cn.weekend_workdays if d.year == year)


class WorkdayCalendar:
    """Answers "is this a working day?" for one region; overrides win over the national schedule."""

    def __init__(self, overrides: Mapping[date, bool] | None = None):
        self._overrides = dict(overrides or {})

    def is_working_day(self, day: date) -> bool:
        if day in self._overrides:
            return self._overrides[day]
        days_off, makeup = _national(day.year)
        if day in makeup:
            return True
        if day in days_off:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: date, count: int) -> date:
        """The ``count``-th working day after ``start`` (``start`` itself is not counted)."""
        if count < 0:
            raise ValueError("count must be >= 0")
        day = start
        remaining = count
        while remaining:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]."""
        return sum(1 for n in range((end - start).days) if self.is_working_day(start + timedelta(days=n + 1)))

    def working_days(self, start: date, end: date) -> Iterable[date]:
        day = start
        while day <= end:
            if self.is_working_day(day):
                yield day
            day += timedelta(days=1)


def calendar_for_region(region_id: int) -> WorkdayCalendar:
    """The calendar of a region with its admin overrides loaded."""
    rows = db.session.execute(select(CalendarOverride.day, CalendarOverride.is_working_day)
                              .where(CalendarOverride.region_id == region_id))
    return WorkdayCalendar({day: working for day, working in rows})


def deadline_after_working_days(region_id: int, start: datetime, count: int) -> datetime:
    """The end (23:59:59 local time) of the ``count``-th working day after ``start``, in UTC."""
    local_start = start.astimezone(LOCAL_ZONE).date()
    day = calendar_for_region(region_id).add_working_days(local_start, count)
    return datetime.combine(day, time(23, 59, 59), LOCAL_ZONE).astimezone(start.tzinfo or LOCAL_ZONE)
