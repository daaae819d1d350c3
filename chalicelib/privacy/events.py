"""The address book's webhook events (contract "Webhooks"): which change of an address is
which event, with the ``data`` the contract names and nothing more (no personal data:
ids, the CRM's own id, dates)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from chalicelib.clock import iso
from chalicelib.storage.dynamo import Item, Transaction

CONSENT_GIVEN = "address.consent_given"
DELETION_REQUESTED = "address.deletion_requested"
STORE_UNTIL_CHANGED = "address.store_until_changed"
ADDRESS_DELETED = "address.deleted"
_STORE_UNTIL = ("store_until", "store_until_reason", "store_until_manual")


class Emitter(Protocol):
    def emit(self, tx: Transaction, agency_id: str, event_type: str, data: dict[str, Any],
             *, key: str, subjects: Any = (), at: Any = None) -> str: ...


def changes(before: Mapping[str, Any], after: Item, now: Any) -> list[tuple[str, dict[str, Any]]]:
    """The events of one address change; nothing when nothing the events name changed
    (a repeated request emits nothing)."""
    ids = {"address_id": after["address_id"], "external_id": after.get("external_id")}
    found: list[tuple[str, dict[str, Any]]] = []
    old_status, new_status = before.get("gdpr_status"), after.get("gdpr_status")
    if new_status != old_status and new_status == "consented":
        found.append((CONSENT_GIVEN, {**ids, "at": iso(now)}))
    if new_status != old_status and new_status == "deletion_requested":
        found.append((DELETION_REQUESTED, {**ids, "at": iso(now)}))
    if any(bool(before.get(n)) != bool(after.get(n)) or
           (before.get(n) or None) != (after.get(n) or None) for n in _STORE_UNTIL):
        found.append((STORE_UNTIL_CHANGED, {
            **ids, "store_until": after.get("store_until"),
            "reason": after.get("store_until_reason"),
            "manual": bool(after.get("store_until_manual"))}))
    return found


def emit_changes(events: Emitter | None, tx: Transaction, before: Mapping[str, Any], after: Item,
                 now: Any) -> None:
    if events is None:
        return
    for event_type, data in changes(before, after, now):
        events.emit(tx, after["agency_id"], event_type, data,
                    key=f"{after['address_id']}:{after['version']}", at=now)


def emit_deleted(events: Emitter | None, tx: Transaction, address: Mapping[str, Any],
                 now: Any) -> None:
    if events is None:
        return
    events.emit(tx, address["agency_id"], ADDRESS_DELETED,
                {"address_id": address["address_id"], "external_id": address.get("external_id"),
                 "at": iso(now)},
                key=address["address_id"], at=now)


def emit_store_until_cleared(events: Emitter | None, tx: Transaction, agency_id: str,
                             address_id: str, cause: str) -> None:
    """Renewed interest cleared an automatic date (the reset rule of a registration)."""
    if events is None:
        return
    events.emit(tx, agency_id, STORE_UNTIL_CHANGED,
                {"address_id": address_id, "external_id": None, "store_until": None,
                 "reason": None, "manual": False}, key=f"{address_id}:reset:{cause}")
