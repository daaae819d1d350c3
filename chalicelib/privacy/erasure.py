"""Deletion that really deletes (GDPR Art. 17), leaving a PII-free tombstone.

What belongs to a person in an agency, and goes:
- the address, its email index entry, its relation items;
- its activities (free text, tour and property references) and consent records;
- the consent-request links (their snapshot shows the person's data) and every outbox
  mail about the person (consent requests, the agency's notices) — pending ones still
  hold the body, sent ones only a stub, both go;
- whatever the other agency-controlled holders of personal data find for the person
  (``chalicelib.personal_data``; registered in ``wiring``): today the tour registrations
  reached through the address's inquiry activities, their links and mails and the
  per-email rate-limit counters of their hour (the per-IP counters are shared by everyone
  behind that IP and cannot be attributed, they expire within hours), the consent links
  and the outbox mails the address names. Privacy knows none of their keys; the
  platform's data (reviews) is never among them.

Order, so that retries and the visible state stay consistent:
1. one transaction, conditional on the address's version (and the caller's rule, e.g.
   "still expired"): delete the address and its email index entry, write the tombstone
   with the clean-up plan (ids and key hashes only) and its "clean-up pending" index key
   (plus whatever the caller adds, e.g. the sweep's checkpoint). From here on the person
   is gone for every reader, and the tombstone proves it.
2. the linked items in chunks of at most 100 deletes (activities and consent records
   queried page by page). Deleting is idempotent, so a crash anywhere is repaired by
   running the plan again: a repeated DELETE does it, and so does the nightly sweep,
   which finds pending tombstones through their index key.
3. the tombstone drops the plan and the index key: complete.
The version condition in step 1 makes the plan complete: everything that adds to a
person (registration, activity, consent link, mail) also bumps the address's version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.clock import Clock, berlin_date, iso
from chalicelib.hashing import keyed_hmac
from chalicelib.metrics import DELETIONS, Recorder
from chalicelib.metrics import NULL as NULL_METRICS
from chalicelib.personal_data import Holder, Subject, locate
from chalicelib.privacy import events, rules
from chalicelib.privacy.addresses import (
    AddressBook,
    activity_pk,
    address_key,
    consent_pk,
    email_index_key,
    relation_key,
)
from chalicelib.privacy.items import AddressItem
from chalicelib.privacy.search import token_key
from chalicelib.storage.dynamo import (
    Condition,
    Item,
    Table,
    Transaction,
    TransactionCancelled,
    Update,
)
from chalicelib.storage.retry import Retry, optimistic
from chalicelib.validation import email_key

CHUNK = 100


def tombstone_key(agency_id: str, address_id: str) -> tuple[str, str]:
    return f"AGENCY#{agency_id}", f"TOMBSTONE#{address_id}"


def proof_key(agency_id: str, email_hash: str | None, address_id: str) -> tuple[str, str]:
    """The same proof, found by the person's email (keyed hash), e.g. when they ask."""
    return f"AGENCY#{agency_id}", f"DELETED#{email_hash or '-'}#{address_id}"


PUBLIC_TOMBSTONE = ("address_id", "email_hash", "deleted_at", "deleted_on", "reason", "by",
                    "status", "erased", "consent_records", "completed_at")


def public_tombstone(item: Item) -> dict[str, Any]:
    return {k: item.get(k) for k in PUBLIC_TOMBSTONE}


@dataclass(frozen=True)
class Refused:
    reason: str


class Erasure:
    def __init__(self, book: AddressBook, tours: Table, core: Table, clock: Clock,
                 hash_key: str, *, metrics: Recorder = NULL_METRICS,
                 ledger: Any = None,
                 person_data: Callable[[], Sequence[Holder]] = tuple,
                 tables: Mapping[str, Table] | None = None) -> None:
        """``person_data``: the other agency-controlled holders of personal data, in
        registration order (a port: privacy imports none of them); ``tables``: the
        further tables their keys live in, by logical name (the reviews table holds the
        agency's review invitations)."""
        self.book = book
        self.metrics = metrics
        self.table = book.table
        self.core = core
        self.clock = clock
        self.hash_key = hash_key
        # The erasure ledger (chalicelib/privacy/ledger.py): what a restore must not revive.
        self.ledger = ledger
        self.person_data = person_data
        # The tables other holders' keys live in (by their logical names).
        self._tables = {**(tables or {}), "addresses": self.table, "tours": tours,
                        "core": core}
        # ``holder(agency_id, address_id)``: erases the person's data held elsewhere;
        # idempotent (a resumed clean-up runs it again).
        self.holders: list[Callable[[str, str], Any]] = []

    def email_hash(self, email: str) -> str:
        """Keyed (HMAC) so the tombstone alone reveals nothing; with the email the
        agency can show that exactly this person's data was deleted."""
        return keyed_hmac(self.hash_key, "tombstone", email_key(email))

    # -- the deletion ------------------------------------------------------------------

    def erase(self, agency_id: str, address_id: str, *, reason: str, by: str,
              check: Callable[[AddressItem], str | None] | None = None,
              extra: Callable[[Transaction], None] | None = None,
              address: AddressItem | None = None) -> Item | Refused | None:
        """Deletes the address and everything of the person. Returns the tombstone,
        ``Refused(reason)`` when ``check`` (default: a future store-until date) refuses, or
        None when there is no such address. ``extra`` adds the caller's writes to the
        first transaction (labels of its own; their failure propagates)."""
        check = check or (lambda item: rules.deletion_refusal(
            item, berlin_date(self.clock.now())))

        def attempt(number: int) -> Item | Refused | None:
            item = address if (address is not None and number == 0) else self.book.get(
                agency_id, address_id)
            if item is None:
                return None
            refusal = check(item)
            if refusal:
                return Refused(refusal)
            tombstone, keys = self._plan(agency_id, item, reason=reason, by=by)
            tx = Transaction(self.table.client)
            tx.delete(self.table, *address_key(agency_id, address_id),
                      condition=Condition("{version} = {:v}", v=item["version"]),
                      label="address")
            email = item.get("email")
            if email:
                tx.delete(self.table, *email_index_key(agency_id, email),
                          condition=Condition("attribute_not_exists({pk}) OR {address_id} = {:a}",
                                              a=address_id), label="address")
            tx.put(self.table, tombstone, label="tombstone")
            tx.put(self.table, {**{k: v for k, v in tombstone.items()
                                   if k not in ("cleanup", "gdpr_pk", "gdpr_sk")},
                                "pk": proof_key(agency_id, tombstone["email_hash"], address_id)[0],
                                "sk": proof_key(agency_id, tombstone["email_hash"], address_id)[1]},
                   label="tombstone")
            if extra is not None:
                extra(tx)
            if self.ledger is not None:
                self.ledger.stage(tx, agency_id, address_id, tombstone["email_hash"],
                                  self.clock.now())
            events.emit_deleted(self.book.events, tx, item, self.clock.now())
            try:
                tx.execute()
            except TransactionCancelled as exc:
                if exc.failed - {"address"} or not (exc.failed or exc.conflict):
                    raise
                # The address changed meanwhile: decide again on what it is now.
                raise Retry() from exc
            # Counted at the commit that makes the person gone (a resumed clean-up is not).
            self.metrics.count(DELETIONS)
            return self._cleanup(tombstone, keys)

        return optimistic(attempt)

    def tombstone(self, agency_id: str, address_id: str) -> Item | None:
        return self.table.get(*tombstone_key(agency_id, address_id))

    def resume(self, agency_id: str, address_id: str) -> Item | None:
        """Finishes a deletion whose clean-up was interrupted (idempotent)."""
        tombstone = self.tombstone(agency_id, address_id)
        if tombstone is None or tombstone.get("status") != "cleanup_pending":
            return tombstone
        keys = [tuple(k) for k in (tombstone.get("cleanup") or {}).get("keys", [])]
        return self._cleanup(tombstone, keys)

    def pending(self, agency_id: str) -> Iterator[str]:
        """Address ids of this agency whose clean-up is pending (index "gdpr", part C)."""
        pk, _ = rules.cleanup_keys(agency_id, "x", rules.NO_DATE)
        prefix = f"{agency_id}#{rules.PART_CLEANUP}#"
        start: dict[str, Any] | None = None
        while True:
            items, start = self.table.query(
                Condition("{gdpr_pk} = {:p} AND begins_with({gdpr_sk}, {:s})", p=pk, s=prefix),
                index="gdpr", limit=100, start_key=start)
            for item in items:
                yield item["address_id"]
            if start is None:
                return

    def deletions(self, agency_id: str, email: str | None) -> list[dict[str, Any]]:
        prefix = f"DELETED#{self.email_hash(email)}#" if email else "DELETED#"
        items, _ = self.table.query(
            Condition("{pk} = {:p} AND begins_with({sk}, {:s})", p=f"AGENCY#{agency_id}",
                      s=prefix), forward=False, limit=100, consistent=True)
        return [public_tombstone(i) for i in items]

    # -- internals ---------------------------------------------------------------------

    def _plan(self, agency_id: str, item: Mapping[str, Any], *, reason: str, by: str
              ) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
        address_id = item["address_id"]
        now = self.clock.now()
        activities, subject = self.subject(agency_id, item)
        located = locate(self.person_data(), subject)
        keys = located.keys()
        keys.extend(("addresses", *token_key(agency_id, word, address_id))
                    for word in sorted(item.get("search_words") or ()))
        for relation in item.get("relations") or ():
            property_id, role = relation.rsplit("#", 1)
            keys.append(("addresses", *relation_key(agency_id, property_id, address_id, role)))
        keys = list(dict.fromkeys(keys))
        records = [{k: r.get(k) for k in ("record_id", "action", "at", "channel", "text_sha256",
                                          "link_id")}
                   for r in self._all(consent_pk(agency_id, address_id))]
        email_hash = self.email_hash(item["email"]) if item.get("email") else None
        pk, sk = tombstone_key(agency_id, address_id)
        day = berlin_date(now).isoformat()
        gpk, gsk = rules.cleanup_keys(agency_id, address_id, day)
        tombstone = {
            "pk": pk, "sk": sk, "agency_id": agency_id, "address_id": address_id,
            "email_hash": email_hash, "deleted_at": iso(now), "deleted_on": day,
            "reason": reason, "by": by, "status": "cleanup_pending",
            "erased": {"activities": activities,
                       "registrations": located.count("registrations"),
                       "consent_records": len(records), "linked_items": len(keys)},
            "consent_records": records,
            "cleanup": {"keys": [list(k) for k in keys]},
            "gdpr_pk": gpk, "gdpr_sk": gsk,
        }
        return tombstone, keys

    def subject(self, agency_id: str, item: Mapping[str, Any]) -> tuple[int, Subject]:
        """The address's person as other holders look them up, and how many activities
        the address has: the address id, its inquiries name registrations, and the
        address keeps the hashes of its consent links and the ids of its mails."""
        activities = 0
        registration_ids: list[str] = []
        for activity in self.book.all_activities(agency_id, item["address_id"]):
            activities += 1
            if activity.get("registration_id"):
                registration_ids.append(activity["registration_id"])
        return activities, Subject(agency_id, item.get("email") or "", {
            # Holders keyed by the address itself (review invitations) find it here.
            "address": (item["address_id"],),
            "registration": tuple(rules.unique(registration_ids)),
            "link": tuple(item.get("consent_link_hashes") or ()),
            "mail": tuple(item.get("mail_ids") or ()),
        })

    def _all(self, pk: str) -> Iterator[Item]:
        start: dict[str, Any] | None = None
        while True:
            items, start = self.table.query(Condition("{pk} = {:p}", p=pk), limit=100,
                                            start_key=start, consistent=True)
            yield from items
            if start is None:
                return

    def _delete_chunks(self, keys: list[tuple[str, str, str]]) -> None:
        for start in range(0, len(keys), CHUNK):
            tx = Transaction(self.table.client)
            for table, pk, sk in keys[start:start + CHUNK]:
                tx.delete(self._tables[table], pk, sk, label="cleanup")
            tx.execute()

    def _cleanup(self, tombstone: dict[str, Any], keys: list[tuple[str, str, str]]) -> Item:
        agency_id, address_id = tombstone["agency_id"], tombstone["address_id"]
        for pk in (activity_pk(agency_id, address_id), consent_pk(agency_id, address_id)):
            while True:
                items, more = self.table.query(Condition("{pk} = {:p}", p=pk), limit=CHUNK,
                                               consistent=True)
                self._delete_chunks([("addresses", i["pk"], i["sk"]) for i in items])
                if not items or more is None:
                    break
        self._delete_chunks(keys)
        # Other holders of the person's data (webhook deliveries not gone out yet).
        for holder in self.holders:
            holder(agency_id, address_id)
        done = iso(self.clock.now())
        # The proof copy first: the tombstone's pending mark is what a resumed clean-up
        # looks for, so it goes last (a crash between the two left the proof "pending").
        proof = proof_key(agency_id, tombstone.get("email_hash"), address_id)
        self.table.update(*proof, Update(sets={"status": "complete", "completed_at": done}))
        self.table.update(*tombstone_key(agency_id, address_id),
                          Update(sets={"status": "complete", "completed_at": done},
                                 removes=["cleanup", "gdpr_pk", "gdpr_sk"]))
        return {**{k: v for k, v in tombstone.items() if k not in ("cleanup", "gdpr_pk",
                                                                    "gdpr_sk")},
                "status": "complete", "completed_at": done}
