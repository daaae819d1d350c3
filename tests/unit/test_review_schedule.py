"""The pure sampling rule of ``reviews.schedule``: drawn share, one ask per period, days
inside their period, determinism and the QA deadline."""

from __future__ import annotations

import math
from datetime import date, timedelta

from chalicelib.reviews import schedule

KEY = "test-key"


def test_over_a_year_the_drawn_share_matches_the_setting():
    n, share = 20_000, 0.05
    drawn = sum(schedule.draw(KEY, f"r{i}", 0, share) is not None for i in range(n))
    sigma = math.sqrt(n * share * (1 - share))
    assert abs(drawn - n * share) <= 3 * sigma, drawn


def test_each_period_draws_independently_and_a_share_of_zero_or_one_is_exact():
    assert all(schedule.draw(KEY, f"r{i}", p, 0.0) is None for i in range(200) for p in range(3))
    assert all(schedule.draw(KEY, f"r{i}", p, 1.0) is not None
               for i in range(200) for p in range(3))
    again = [i for i in range(2000) if schedule.draw(KEY, f"r{i}", 0, 0.1) is not None
             and schedule.draw(KEY, f"r{i}", 1, 0.1) is not None]
    assert 0 < len(again) < 60  # ≈ 2000 · 0.1 · 0.1, not the same reviews every year


def test_the_day_lies_in_its_period_after_the_first_two_weeks_and_is_stable():
    published = date(2026, 3, 1)
    for i in range(500):
        found = schedule.next_sample(KEY, f"r{i}", published, 1.0, not_before=published)
        assert found is not None
        day, period = found
        assert period == 0
        assert published + timedelta(days=14) <= day < published + timedelta(days=365)
        assert found == schedule.next_sample(KEY, f"r{i}", published, 1.0,
                                             not_before=published)
    # Another key draws other days: the schedule cannot be guessed without it.
    days = {schedule.next_sample(KEY, f"r{i}", published, 1.0, not_before=published)
            for i in range(50)}
    other = {schedule.next_sample("other", f"r{i}", published, 1.0, not_before=published)
             for i in range(50)}
    assert days != other


def test_a_simulated_year_asks_share_n_reviews_and_none_twice_in_a_period():
    """Day by day over a year, as the sweep does: each day asks the reviews whose planned
    day has come and plans their next one behind the period just asked."""
    n, share = 2000, 0.05
    start = date(2026, 1, 1)
    plans = {}
    for i in range(n):
        found = schedule.next_sample(KEY, f"r{i}", start, share, not_before=start)
        if found:
            plans[f"r{i}"] = found
    asked: dict[tuple[str, int], int] = {}
    for offset in range(365):
        today = start + timedelta(days=offset)
        for review_id, (day, period) in list(plans.items()):
            if day <= today:
                asked[(review_id, period)] = asked.get((review_id, period), 0) + 1
                found = schedule.next_sample(KEY, review_id, start, share,
                                             not_before=today + timedelta(days=1),
                                             after_period=period)
                if found:
                    plans[review_id] = found
                else:
                    del plans[review_id]
    assert set(asked.values()) == {1}
    sigma = math.sqrt(n * share * (1 - share))
    assert abs(len(asked) - n * share) <= 3 * sigma, len(asked)


def test_next_sample_never_returns_a_period_already_asked():
    published = date(2026, 1, 1)
    day, period = schedule.next_sample(KEY, "r1", published, 1.0, not_before=published)
    later = schedule.next_sample(KEY, "r1", published, 1.0, not_before=published,
                                 after_period=period)
    assert later is not None and later[1] == period + 1 and later[0] > day
    assert schedule.period_of(published, published + timedelta(days=364)) == 0
    assert schedule.period_of(published, published + timedelta(days=365)) == 1
