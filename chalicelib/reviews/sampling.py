"""Re-verification planning: the yearly sample and the flags.

A published review carries the day the sample next draws it (``reverify_ask_on``, from
``schedule.next_sample``) and, while one is pending, a flag (``flag``: QA kept it despite
findings, kept it after a report, it is part of a burst, it is borderline similar to
another review, or QA flagged it by hand) to be asked within 30 days. The earlier of the
two keys the sparse ``reverify`` index, so the nightly sweep reads only what is due.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.clock import berlin_date, iso, parse_iso
from chalicelib.reviews import schedule
from chalicelib.reviews.context import ReviewContext
from chalicelib.reviews.texts import COUNT_TEXTS
from chalicelib.storage.dynamo import Item

BURST_SIZE = 5
FLAG_SOURCES = {
    "qa": "Von der Qualitätssicherung markiert",
    "kept_with_findings": "Trotz Befunden veröffentlicht",
    "kept_after_report": "Nach einer Meldung beibehalten",
    "burst": COUNT_TEXTS["burst_flag"](BURST_SIZE),
    "borderline": "Text ähnelt einer anderen Bewertung",
}
PLAN_FIELDS = ("reverify_ask_on", "reverify_period")


def plan(ctx: ReviewContext, item: Item, today: date, *, after_period: int | None = None
         ) -> tuple[dict[str, Any], list[str]]:
    """The sets and removes that plan the review's next sampled re-verification."""
    published_at = item.get("published_at")
    if not published_at:
        return {}, list(PLAN_FIELDS)
    done = item.get("last_sample_period")
    if after_period is not None:
        done = after_period if done is None else max(int(done), after_period)
    found = schedule.next_sample(
        ctx.settings.hash_key, item["review_id"], berlin_date(parse_iso(published_at)),
        ctx.settings.review_reverify_share_per_year, not_before=today,
        after_period=None if done is None else int(done))
    if found is None:
        return {}, list(PLAN_FIELDS)
    day, period = found
    return {"reverify_ask_on": day.isoformat(), "reverify_period": period}, []


def current_period(item: Mapping[str, Any], today: date) -> int | None:
    if not item.get("published_at"):
        return None
    return schedule.period_of(berlin_date(parse_iso(item["published_at"])), today)


def flag_sets(item: Mapping[str, Any], source: str, reason: str, by: Any, now: datetime) -> dict[str, Any]:
    """Flags a review: asked once, at the next sweep (within 30 days), unless a flag
    is pending already; every flag stays in ``flags`` with its reason for QA."""
    flag = {"source": source, "reason": reason, "by": by, "at": iso(now),
            "on": berlin_date(now).isoformat()}
    sets: dict[str, Any] = {"flags": [*(item.get("flags") or []), flag]}
    if not item.get("flag"):
        sets["flag"] = flag
    return sets


def flag_deadline(flag: dict[str, Any]) -> str:
    return (date.fromisoformat(flag["on"])
            + timedelta(days=schedule.FLAG_WINDOW_DAYS)).isoformat()


def plan_view(item: Mapping[str, Any]) -> dict[str, Any]:
    """What QA sees of the planning: the flags with their reasons, the next sample day."""
    pending = item.get("flag")
    return {
        "flags": [{**f, "label": FLAG_SOURCES.get(f.get("source", ""), f.get("source")),
                   "pending": bool(pending) and f == pending}
                  for f in item.get("flags") or []],
        "flag_pending": ({**pending, "ask_by": flag_deadline(pending)} if pending else None),
        "next_sample_on": item.get("reverify_ask_on"),
    }
