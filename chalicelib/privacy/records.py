"""Consent records: the append-only evidence of every consent given or withdrawn.

``CONSENT#<agency>#<address>`` / ``<timestamp>#<record id>`` in the addresses table, each
written once with ``attribute_not_exists`` and never updated. They go only with the
person's erasure; the tombstone then keeps each record's action, time and text hash.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.clock import iso
from chalicelib.privacy.addresses import consent_pk
from chalicelib.secrets_util import new_id, sha256_hex
from chalicelib.storage.dynamo import Condition, Item, Table, Transaction

RECORD_FIELDS = ("record_id", "action", "at", "channel", "text", "text_sha256", "link_id",
                 "ip", "user_agent", "agency_id", "address_id", "by")


def stage_record(table: Table, tx: Transaction, agency_id: str, address_id: str, *,
                 action: str, at: datetime, text: str, channel: str,
                 link_id: str | None = None, ip: str | None = None,
                 user_agent: str | None = None, by: str | dict[str, Any] | None = None) -> str:
    record_id = new_id()
    moment = iso(at)
    tx.put(table, {
        "pk": consent_pk(agency_id, address_id), "sk": f"{moment}#{record_id}",
        "record_id": record_id, "action": action, "at": moment, "channel": channel,
        "text": text, "text_sha256": sha256_hex(text), "link_id": link_id,
        "ip": ip, "user_agent": (user_agent or "")[:500] or None,
        "agency_id": agency_id, "address_id": address_id, "by": by,
    }, condition=Condition("attribute_not_exists({pk})"), label="record")
    return record_id


def list_records(table: Table, agency_id: str, address_id: str) -> list[dict[str, Any]]:
    records: list[Item] = []
    start: dict[str, Any] | None = None
    while True:
        items, start = table.query(Condition("{pk} = {:p}", p=consent_pk(agency_id, address_id)),
                                   limit=200, start_key=start, consistent=True)
        records.extend(items)
        if start is None:
            break
    return [{k: r.get(k) for k in RECORD_FIELDS} for r in records]
