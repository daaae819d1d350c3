"""The German holiday table in ``chalicelib/reviews/workdays.py`` replaced the ``holidays``
package in the Lambda zip (issue 7). The package stays a dev dependency as the reference:
every day of 1995–2060, nationwide and for every state, must agree with it, and so must
the working-day arithmetic built on top."""

from __future__ import annotations

from datetime import date, timedelta

import holidays as reference
import pytest

from chalicelib.reviews.workdays import WorkingDays, easter_sunday
from chalicelib.reviews.workdays import holidays as our_holidays

YEARS = range(1995, 2061)
STATES = [None, "BB", "BE", "BW", "BY", "HB", "HE", "HH", "MV", "NI", "NW", "RP", "SH",
          "SL", "SN", "ST", "TH", "Augsburg"]


@pytest.mark.parametrize("state", STATES)
def test_holidays_equal_the_reference_package(state: str | None) -> None:
    for year in YEARS:
        expected = set(reference.country_holidays("DE", subdiv=state, years=year))
        assert set(our_holidays(state, year)) == expected, (state, year)


def test_every_state_of_the_reference_is_covered() -> None:
    assert set(reference.country_holidays("DE").subdivisions) == set(STATES) - {None}


@pytest.mark.parametrize(("saturday", "state"), [(True, None), (False, None), (True, "BY"),
                                                 (False, "SN"), (True, "BE")])
def test_working_day_arithmetic_equals_the_reference(saturday: bool, state: str | None) -> None:
    """``add`` over every start day of 2024–2031 against a reference implementation on
    the ``holidays`` package (the code this module replaced)."""
    ours = WorkingDays(saturday=saturday, state=state)
    calendar = reference.country_holidays("DE", subdiv=state, years=range(2024, 2033))

    def reference_add(start: date, days: int) -> date:
        current = start
        while days:
            current += timedelta(days=1)
            weekday = current.weekday()
            if weekday != 6 and (saturday or weekday != 5) and current not in calendar:
                days -= 1
        return current

    start = date(2024, 1, 1)
    while start.year < 2032:
        for days in (0, 1, 2, 5):
            assert ours.add(start, days) == reference_add(start, days), (start, days)
        start += timedelta(days=1)


def test_easter_dates_known_by_heart() -> None:
    assert [easter_sunday(y) for y in (2024, 2025, 2026, 2038, 2285)] == [
        date(2024, 3, 31), date(2025, 4, 20), date(2026, 4, 5), date(2038, 4, 25),
        date(2285, 3, 22)]


def test_unknown_state_is_refused() -> None:
    with pytest.raises(ValueError):
        WorkingDays(state="XX").is_working_day(date(2026, 11, 23))
