"""The erasure ledger: what a table restore must not bring back (GDPR Art. 17 after a
point-in-time recovery).

Every erasure writes, in the same transaction that deletes the address, an entry to the
ledger table: the agency, the address id, the keyed hash of the email, the time. After a
restore of the data tables (PITR or a backup, docs/operations.md "Restore"), the ops
event ``replay_erasures`` reads the entries since a day and erases each of these persons
again — the address, everything the erasure reaches (registrations, links, mails, and
through the personal-data registry every other agency holder), with a fresh tombstone.

Why its own DynamoDB table, without PITR, left out of the restore procedure (rather
than S3 with object lock): the entry must commit atomically with the erasure (a
TransactWriteItems spans tables, not S3), and a restore of the data tables never touches
a table it does not name. The ledger has no point-in-time recovery on purpose: nothing
can roll it back. Pseudonymous (ids and a keyed hash) is still personal data (Recital
26): each entry carries a TTL of ``erasure_ledger_days`` (default 35: the PITR window;
add the retention of any on-demand backups the stage keeps), after which no restore can
reach back before it; reads ignore entries past their TTL, since DynamoDB deletes
expired items only within about 48 hours.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.clock import Clock, berlin_date, iso
from chalicelib.storage.dynamo import Condition, Item, Table, Transaction

DEFAULT_KEEP_DAYS = 35


def entry_key(day: str, agency_id: str, address_id: str) -> tuple[str, str]:
    return f"ERASED#{day}", f"{agency_id}#{address_id}"


class ErasureLedger:
    def __init__(self, table: Table, clock: Clock, keep_days: int = DEFAULT_KEEP_DAYS) -> None:
        self.table = table
        self.clock = clock
        self.keep_days = keep_days

    def stage(self, tx: Transaction, agency_id: str, address_id: str,
              email_hash: str | None, at: datetime) -> None:
        """The entry, in the erasure's own transaction (a repeat overwrites it)."""
        day = berlin_date(at).isoformat()
        pk, sk = entry_key(day, agency_id, address_id)
        expires = at + timedelta(days=self.keep_days)
        tx.put(self.table, {"pk": pk, "sk": sk, "agency_id": agency_id,
                            "address_id": address_id, "email_hash": email_hash,
                            "erased_at": iso(at), "erased_on": day,
                            "expires_ttl": int(expires.timestamp())}, label="ledger")

    def since(self, first: date) -> Iterator[Item]:
        """The entries from ``first`` (Berlin date, inclusive) to today: one Query per day
        (at most ``keep_days`` days can hold entries)."""
        now = self.clock.now()
        today = berlin_date(now)
        first = max(first, today - timedelta(days=self.keep_days + 2))
        day = first
        while day <= today:
            start: dict[str, Any] | None = None
            while True:
                items, start = self.table.query(
                    Condition("{pk} = {:p}", p=f"ERASED#{day.isoformat()}"),
                    limit=200, start_key=start, consistent=True)
                for item in items:
                    if int(item.get("expires_ttl") or 0) > now.timestamp():
                        yield item
                if start is None:
                    break
            day += timedelta(days=1)


def replay(ledger: ErasureLedger, first: date,
           erase_again: Callable[[str, str], bool]) -> dict[str, Any]:
    """Erases again every person of the ledger since ``first``; ``erase_again(agency,
    address_id)`` answers whether anything of the person was there to erase."""
    seen: set[tuple[str, str]] = set()
    replayed = 0
    for entry in ledger.since(first):
        key = (entry["agency_id"], entry["address_id"])
        if key in seen:
            continue
        seen.add(key)
        if erase_again(*key):
            replayed += 1
    return {"replayed": replayed, "entries": len(seen)}
