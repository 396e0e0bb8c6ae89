"""Working days: Chinese public holidays and make-up workdays (调休) from the ``holidays`` library,
weekends, and per-region admin overrides. Deadlines counted "in working days" use this."""

from app.workdays.calendar import WorkdayCalendar, calendar_for_region, deadline_after_working_days

__all__ = ["WorkdayCalendar", "calendar_for_region", "deadline_after_working_days"]
