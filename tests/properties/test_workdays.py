"""Working-day arithmetic ("2 Werktage") against a reference written independently: the
nationwide holidays from the statutes with Easter by Oudin's algorithm (the code uses
Meeus/Jones/Butcher), and counting day by day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.clock import berlin_date
from chalicelib.reviews import schedule
from chalicelib.reviews.workdays import WorkingDays

STATES = ["BB", "BE", "BW", "BY", "HB", "HE", "HH", "MV", "NI", "NW", "RP", "SH", "SL", "SN",
          "ST", "TH"]
days = st.dates(min_value=date(1995, 1, 1), max_value=date(2099, 12, 1))
counts = st.integers(min_value=0, max_value=40)
saturday = st.booleans()


def oudin_easter(year: int) -> date:
    g, c = year % 19, year // 100
    h = (c - c // 4 - (8 * c + 13) // 25 + 19 * g + 15) % 30
    i = h - (h // 28) * (1 - (h // 28) * (29 // (h + 1)) * ((21 - g) // 11))
    j = (year + year // 4 + i + 2 - c + c // 4) % 7
    lunar = i - j
    month = 3 + (lunar + 40) // 44
    return date(year, month, lunar + 28 - 31 * (month // 4))


def national_holidays(year: int) -> set[date]:
    """Neujahr, Karfreitag, Ostermontag, Tag der Arbeit, Christi Himmelfahrt,
    Pfingstmontag, Tag der Deutschen Einheit, 1. und 2. Weihnachtstag (and the one-off
    Reformationstag 2017)."""
    easter = oudin_easter(year)
    found = {date(year, 1, 1), date(year, 5, 1), date(year, 10, 3), date(year, 12, 25),
             date(year, 12, 26)}
    found |= {easter + timedelta(days=d) for d in (-2, 1, 39, 50)}
    if year == 2017:
        found.add(date(2017, 10, 31))
    return found


def reference_working_day(day: date, with_saturday: bool) -> bool:
    if day.weekday() == 6 or (day.weekday() == 5 and not with_saturday):
        return False
    return day not in national_holidays(day.year)


def reference_add(start: date, n: int, with_saturday: bool) -> date:
    day = start
    while n:
        day += timedelta(days=1)
        n -= reference_working_day(day, with_saturday)
    return day


@given(days, counts, saturday)
def test_adding_working_days_matches_the_reference(start: date, n: int, sat: bool) -> None:
    assert WorkingDays(saturday=sat).add(start, n) == reference_add(start, n, sat)


@given(days, st.integers(min_value=1, max_value=40), saturday,
       st.one_of(st.none(), st.sampled_from(STATES)))
def test_the_result_is_a_working_day_and_exactly_n_were_counted(
        start: date, n: int, sat: bool, state: str | None) -> None:
    calendar = WorkingDays(saturday=sat, state=state)
    due = calendar.add(start, n)
    assert due > start
    assert calendar.is_working_day(due)
    assert due.weekday() != 6 and (sat or due.weekday() != 5)
    assert not calendar.is_holiday(due)
    between = [start + timedelta(days=k) for k in range(1, (due - start).days + 1)]
    assert sum(calendar.is_working_day(d) for d in between) == n


@given(days, counts, saturday, st.one_of(st.none(), st.sampled_from(STATES)))
def test_adding_is_strictly_monotonic_in_n_and_composes(start: date, n: int, sat: bool,
                                                         state: str | None) -> None:
    calendar = WorkingDays(saturday=sat, state=state)
    assert calendar.add(start, 0) == start
    assert calendar.add(start, n + 1) > calendar.add(start, n)
    for split in range(n + 1):
        assert calendar.add(calendar.add(start, split), n - split) == calendar.add(start, n)


@given(days, days, counts, saturday)
def test_adding_is_monotonic_in_the_start(a: date, b: date, n: int, sat: bool) -> None:
    calendar = WorkingDays(saturday=sat)
    low, high = sorted((a, b))
    assert calendar.add(low, n) <= calendar.add(high, n)


@given(days, counts, st.sampled_from(STATES))
def test_fewer_working_days_never_make_a_deadline_earlier(start: date, n: int,
                                                          state: str) -> None:
    """Monday–Friday is never earlier than Monday–Saturday, and a state's holidays never
    make a deadline earlier than the nationwide ones."""
    assert WorkingDays(saturday=False).add(start, n) >= WorkingDays(saturday=True).add(start, n)
    assert WorkingDays(state=state).add(start, n) >= WorkingDays().add(start, n)


@given(st.datetimes(min_value=datetime(1996, 1, 1), max_value=datetime(2099, 1, 1),
                    timezones=st.just(UTC)), saturday)
def test_the_qa_due_date_is_two_working_days_after_the_berlin_date(moment: datetime,
                                                                  sat: bool) -> None:
    """``schedule.due_by``: 2 Werktage after the confirmation's date in
    Berlin (a confirmation at 23:30 UTC already counts from the next Berlin day)."""
    due = date.fromisoformat(schedule.due_by(WorkingDays(saturday=sat), moment, 2))
    local = berlin_date(moment)
    assert due == reference_add(local, 2, sat)
    # Two working days are never fewer than 2 nor (Christmas and Easter included) more
    # than 6 calendar days away.
    assert 2 <= (due - local).days <= 6
