"""When things are due in the review flows, as pure functions: the QA deadline
(``due_by``), when a published review may next be sampled for re-verification
(``eligible_on``) and which sample slots a night asks (``sample_slots``). No storage,
no clock: the callers pass the moment, so tests reach every rule without a service.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.clock import berlin_date, parse_iso
from chalicelib.reviews.repository import PRIORITY_SLOT, SAMPLE_SLOTS
from chalicelib.reviews.workdays import WorkingDays

# Re-verification by sample only asks reviews this old (the confirmation is fresh before).
REVERIFY_MIN_AGE_DAYS = 14


def due_by(calendar: WorkingDays, moment: datetime, working_days: int) -> str:
    """The QA decision deadline: ``working_days`` Werktage after ``moment`` (Berlin)."""
    return calendar.add(berlin_date(moment), working_days).isoformat()


def eligible_on(item: dict[str, Any], today: date, interval_days: int) -> str:
    """When a published review may next be sampled for re-verification: not before it
    is ``REVERIFY_MIN_AGE_DAYS`` old, and never within ``interval_days`` after it was
    last asked (by mail or by phone)."""
    confirmed = (berlin_date(parse_iso(item["confirmed_at"])) if item.get("confirmed_at")
                 else today)
    candidates = [confirmed + timedelta(days=REVERIFY_MIN_AGE_DAYS)]
    if item.get("last_sampled_on"):
        candidates.append(date.fromisoformat(item["last_sampled_on"])
                          + timedelta(days=interval_days))
    return max(candidates).isoformat()


def sample_slots(day: date, share: float) -> list[str]:
    """The sample slots re-verified on ``day``: ``share`` of all slots, moving on each day so
    every slot comes round; borderline reviews (slot ``P``) are always included."""
    if share <= 0:
        return [PRIORITY_SLOT]
    per_run = max(1, min(SAMPLE_SLOTS, round(share * SAMPLE_SLOTS)))
    start = day.toordinal() * per_run
    slots = [f"{(start + i) % SAMPLE_SLOTS:02d}" for i in range(per_run)]
    return [PRIORITY_SLOT, *dict.fromkeys(slots)]
