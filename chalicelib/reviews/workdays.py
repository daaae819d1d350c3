"""German working days ("Werktage") for the QA promise "within 2 Werktage".

In German usage a Werktag is every day from Monday to Saturday that is not a public
holiday; some prefer Monday to Friday, so Saturday is configurable. National holidays
always count, a state code (``"BY"``, ``"NW"``, …) adds that state's own. The ``holidays``
package is imported on first use only (cold starts of routes that never ask pay nothing).
"""

from __future__ import annotations

import functools
from datetime import date, timedelta
from typing import Any


@functools.cache
def _holidays(state: str | None, year: int) -> Any:
    import holidays

    return holidays.country_holidays("DE", subdiv=state, years=year)


class WorkingDays:
    def __init__(self, *, saturday: bool = True, state: str | None = None) -> None:
        self.saturday = saturday
        self.state = state or None

    def is_holiday(self, day: date) -> bool:
        return day in _holidays(self.state, day.year)

    def is_working_day(self, day: date) -> bool:
        weekday = day.weekday()  # Monday 0 … Sunday 6
        if weekday == 6 or (weekday == 5 and not self.saturday):
            return False
        return not self.is_holiday(day)

    def add(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself never counts:
        a review confirmed on a Thursday is due by the end of the 2nd working day after)."""
        if days < 0:
            raise ValueError("days must not be negative")
        current = start
        remaining = days
        while remaining:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current
