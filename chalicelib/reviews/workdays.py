"""German working days ("Werktage") for the QA promise "within 2 Werktage".

In German usage a Werktag is every day from Monday to Saturday that is not a public
holiday; some prefer Monday to Friday, so Saturday is configurable. National holidays
always count, a state code (``"BY"``, ``"NW"``, …) adds that state's own statutory ones.

The holidays are computed here (Easter plus fixed offsets) instead of with the
``holidays`` package: that package and its dependency python-dateutil were 1.8 MB of
the 6 MB deployment zip for a dozen dates a year. ``tests/unit/test_workdays_holidays.py``
compares this table with ``holidays.country_holidays("DE", subdiv=…)`` day by day
from 1995 (reunified Germany's current rules) to 2060.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

# Offsets from Easter Sunday of the movable feasts.
_GOOD_FRIDAY, _EASTER_SUNDAY, _EASTER_MONDAY = -2, 0, 1
_ASCENSION, _WHIT_SUNDAY, _WHIT_MONDAY, _CORPUS_CHRISTI = 39, 49, 50, 60

# Per state: (month, day) of fixed holidays, Easter offsets, and holidays introduced in a
# given year as (first year, month, day). Statutory ("PUBLIC") holidays only: Mariä
# Himmelfahrt in Bavaria and Fronleichnam in Saxony/Thuringia hold only in Catholic
# municipalities and are no state-wide Werktag exception.
_EPIPHANY, _ASSUMPTION, _REFORMATION, _ALL_SAINTS = (1, 6), (8, 15), (10, 31), (11, 1)
_STATES: dict[str, tuple[tuple[tuple[int, int], ...], tuple[int, ...],
                         tuple[tuple[int, int, int], ...]]] = {
    "BB": ((_REFORMATION,), (_EASTER_SUNDAY, _WHIT_SUNDAY), ()),
    "BE": ((), (), ((2019, 3, 8),)),
    "BW": ((_EPIPHANY, _ALL_SAINTS), (_CORPUS_CHRISTI,), ()),
    "BY": ((_EPIPHANY, _ALL_SAINTS), (_CORPUS_CHRISTI,), ()),
    "HB": ((), (), ((2018, 10, 31),)),
    "HE": ((), (_CORPUS_CHRISTI,), ()),
    "HH": ((), (), ((2018, 10, 31),)),
    "MV": ((_REFORMATION,), (), ((2023, 3, 8),)),
    "NI": ((), (), ((2018, 10, 31),)),
    "NW": ((_ALL_SAINTS,), (_CORPUS_CHRISTI,), ()),
    "RP": ((_ALL_SAINTS,), (_CORPUS_CHRISTI,), ()),
    "SH": ((), (), ((2018, 10, 31),)),
    "SL": ((_ASSUMPTION, _ALL_SAINTS), (_CORPUS_CHRISTI,), ()),
    "SN": ((_REFORMATION,), (), ()),  # plus Buß- und Bettag, see _state_holidays
    "ST": ((_EPIPHANY, _REFORMATION), (), ()),
    "TH": ((_REFORMATION,), (), ((2019, 9, 20),)),
    # The city of Augsburg: Bavaria plus Mariä Himmelfahrt and the Hohes Friedensfest.
    "Augsburg": ((_EPIPHANY, _ASSUMPTION, (8, 8), _ALL_SAINTS), (_CORPUS_CHRISTI,), ()),
}
# One-off holidays by law: Reformationstag 2017 nationwide, Berlin's anniversaries.
_ONE_OFF: dict[str | None, tuple[date, ...]] = {
    None: (date(2017, 10, 31),),
    "BE": (date(2020, 5, 8), date(2025, 5, 8), date(2028, 6, 17)),
}


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    r = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * r) // 451
    month, day = divmod(h + r - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _repentance_day(year: int) -> date:
    """Buß- und Bettag: the Wednesday before 23 November."""
    nov22 = date(year, 11, 22)
    return nov22 - timedelta(days=(nov22.weekday() - 2) % 7)


@functools.cache
def holidays(state: str | None, year: int) -> frozenset[date]:
    """The public holidays of ``year`` nationwide plus those of ``state`` (if given)."""
    if state is not None and state not in _STATES:
        raise ValueError(f"unknown German state code: {state}")
    easter = easter_sunday(year)
    days = {date(year, 1, 1), date(year, 5, 1), date(year, 10, 3),
            date(year, 12, 25), date(year, 12, 26)}
    days.update(easter + timedelta(days=offset) for offset in
                (_GOOD_FRIDAY, _EASTER_MONDAY, _ASCENSION, _WHIT_MONDAY))
    days.update(d for d in _ONE_OFF[None] if d.year == year)
    if state is not None:
        fixed, movable, introduced = _STATES[state]
        days.update(date(year, month, day) for month, day in fixed)
        days.update(easter + timedelta(days=offset) for offset in movable)
        days.update(date(year, month, day) for first, month, day in introduced
                    if year >= first)
        days.update(d for d in _ONE_OFF.get(state, ()) if d.year == year)
        if state == "SN":
            days.add(_repentance_day(year))
    return frozenset(days)


class WorkingDays:
    def __init__(self, *, saturday: bool = True, state: str | None = None) -> None:
        self.saturday = saturday
        self.state = state or None

    def is_holiday(self, day: date) -> bool:
        return day in holidays(self.state, day.year)

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
