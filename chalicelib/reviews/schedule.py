"""When things are due in the review flows, as pure functions: the QA deadline
(``due_by``) and the re-verification sample (``draw``, ``next_sample``). No storage, no
clock: the callers pass the moment and the key, so tests reach every rule without a
service.

The sample (contract v2): in each 365-day period since its first publication a review is
drawn iff a keyed hash of (review id, period) falls below the yearly share, and then
asked on a day of that period derived from the same hash; never twice in one period.
The draw is a keyed hash, not a random number, so nobody (agency or reviewer) can predict
or steer it, every run of the sweep agrees with every other, and the next date can be
written into the sparse index when the review is published: the nightly sweep then
reads only what is due that day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from chalicelib.clock import berlin_date
from chalicelib.reviews.signals import keyed_hash
from chalicelib.reviews.workdays import WorkingDays

# Re-verification by sample only asks reviews this old (the confirmation is fresh before).
REVERIFY_MIN_AGE_DAYS = 14


def due_by(calendar: WorkingDays, moment: datetime, working_days: int) -> str:
    """The QA decision deadline: ``working_days`` Werktage after ``moment`` (Berlin)."""
    return calendar.add(berlin_date(moment), working_days).isoformat()


# -- re-verification by sample (contract v2) -------------------------------------------------

PERIOD_DAYS = 365
# A flagged review is asked once within this many days of its flag.
FLAG_WINDOW_DAYS = 30
# How many periods ahead the next draw is looked for; beyond it a review is not planned
# (at a share of 0.05, 50 periods without a draw happen to 1 review in 13 — after 50 years).
HORIZON_PERIODS = 50
_FRACTION_DIGITS = 13  # 52 bits of the keyed hash decide the draw, the next 32 bits the day


def draw(hash_key: str, review_id: str, period: int, share: float) -> int | None:
    """The day of ``period`` (days after its start) on which the review is asked, or
    ``None`` when the period does not draw it: a keyed hash of (review id, period) below
    ``share``. The day lies in ``[REVERIFY_MIN_AGE_DAYS, PERIOD_DAYS)``, so nobody is asked
    in the first two weeks after publication."""
    digest = keyed_hash(hash_key, "reverify", f"{review_id}#{period}")
    fraction = int(digest[:_FRACTION_DIGITS], 16) / 16 ** _FRACTION_DIGITS
    if fraction >= share:
        return None
    span = PERIOD_DAYS - REVERIFY_MIN_AGE_DAYS
    return REVERIFY_MIN_AGE_DAYS + int(digest[_FRACTION_DIGITS:_FRACTION_DIGITS + 8], 16) % span


def period_of(published_on: date, day: date) -> int:
    return max(0, (day - published_on).days // PERIOD_DAYS)


def next_sample(hash_key: str, review_id: str, published_on: date, share: float, *,
                not_before: date, after_period: int | None = None) -> tuple[date, int] | None:
    """The next day (≥ ``not_before``) the sample asks the review and that day's period;
    periods up to ``after_period`` (already asked) are skipped: never twice in one period.
    ``None`` when no period within the horizon draws it."""
    first = period_of(published_on, not_before)
    if after_period is not None:
        first = max(first, after_period + 1)
    for period in range(first, first + HORIZON_PERIODS):
        offset = draw(hash_key, review_id, period, share)
        if offset is None:
            continue
        day = published_on + timedelta(days=period * PERIOD_DAYS + offset)
        if day >= not_before:
            return day, period
    return None
