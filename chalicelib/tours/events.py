"""The tours' webhook events (contract "Webhooks"), staged in the transaction of the
change: ``registration.created`` with the fields the prospect gave, and
``registration.unlocked`` / ``registration.denied`` with ids only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from chalicelib.storage.dynamo import Transaction
from chalicelib.tours.model import FIELD_NAMES

CREATED = "registration.created"
UNLOCKED = "registration.unlocked"
DENIED = "registration.denied"


class Emitter(Protocol):
    def emit(self, tx: Transaction, agency_id: str, event_type: str, data: dict[str, Any],
             *, key: str, subjects: Any = (), at: Any = None) -> str: ...


def created(events: Emitter | None, tx: Transaction, registration: Mapping[str, Any],
            property_id: str | None) -> None:
    if events is None:
        return
    prospect = registration.get("prospect") or {}
    events.emit(tx, registration["agency_id"], CREATED, {
        "registration_id": registration["registration_id"],
        "tour_id": registration["tour_id"], "property_id": property_id,
        "status": registration["status"], "created_at": registration["created_at"],
        "address_id": registration.get("address_id"), "email_verified": False,
        **{name: prospect.get(name) for name in FIELD_NAMES},
    }, key=registration["registration_id"], subjects=[registration.get("address_id")])


def decided(events: Emitter | None, tx: Transaction, snapshot: dict[str, Any], event_type: str,
            at: str) -> None:
    """An unlock (the E-Mail-Freigabe link or an approval) or a denial. Links issued before
    the snapshot carried ``address_id`` send it as null."""
    if events is None:
        return
    events.emit(tx, snapshot["agency_id"], event_type, {
        "registration_id": snapshot["registration_id"], "tour_id": snapshot["tour_id"],
        "address_id": snapshot.get("address_id"), "at": at,
    }, key=snapshot["registration_id"])
