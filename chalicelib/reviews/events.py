"""The reviews' webhook events (contract "Webhooks"), staged in the transaction of the
status change: ``review.published`` when a review goes online, ``review.hidden`` when a
public review goes offline (back to QA, blocked, deleted, erased)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from chalicelib.reviews.model import PUBLIC_STATUSES
from chalicelib.storage.dynamo import Item, Transaction

PUBLISHED = "review.published"
HIDDEN = "review.hidden"


class Emitter(Protocol):
    def emit(self, tx: Transaction, agency_id: str, event_type: str, data: dict[str, Any],
             *, key: str, subjects: Any = (), at: Any = None) -> str: ...


def subject(review_id: str) -> str:
    """The key under which deliveries that carry the review's title are found (erasure)."""
    return f"review:{review_id}"


def emit_change(events: Emitter | None, tx: Transaction, before: Mapping[str, Any],
                after: Item) -> None:
    """Every status change of a review sets ``status_at``: that is the event's ``at``."""
    if events is None or not after.get("agency_id"):
        return
    was, now = before.get("status") in PUBLIC_STATUSES, after.get("status") in PUBLIC_STATUSES
    if was == now:
        return
    review_id = after["review_id"]
    events.emit(tx, after["agency_id"], PUBLISHED if now else HIDDEN, {
        "review_id": review_id, "status": after.get("status"), "rating": after.get("rating"),
        "title": after.get("title"), "at": after.get("status_at"),
    }, key=f"{review_id}:{after.get('version', before.get('version', 0))}",
        subjects=[subject(review_id)])
