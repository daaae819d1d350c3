"""Reviews, reports and their index items in the reviews table.

Base items (``pk`` / ``sk``):
- ``REVIEW#<id>`` / ``REVIEW``                 a review
- ``REPORT#<id>`` / ``REPORT``                 an agency's report ("Problem melden")
- ``REPORT#<id>`` / ``DEADLINE#<kind>``        a pending statement/proof request's deadline
- ``SUMMARY#<agency>`` / ``SHARD#<n>``         public count and rating sum, sharded
- ``IDENT#<agency>#<email|phone>#<hash>`` / ``IDS``  who reviewed whom (keyed hash):
  ``ids`` = String Set of review ids
- ``IPREV#<agency>#<ip hash>#<UTC day>`` / ``IDS``     reviews per submitting IP and day:
  ``ids`` = String Set of ``<submitted_at>#<id>``; expires by TTL once no confirmation can
  ask for it any more
- ``SIM#<band>#<minhash>`` / ``IDS``           near-duplicate candidates across the platform:
  ``ids`` = String Set of at most ``SIM_CAP`` review ids

The three index kinds are one item per key value, not one per review, so the checks of a
confirmation find everything with point reads (one BatchGetItem with the review and the
agency, ``DynamoEvidence``). Members go in and out with ``ADD``/``DELETE`` set updates in
the transaction that creates, confirms or deletes the review; a member not in the set is
no error, so the deleting side never needs a read. A set emptied this way leaves a
key-only item behind (DynamoDB stores no empty sets); reads treat it as empty.

Sparse GSIs (an item carries an index's keys only while it belongs to that list; every
write recomputes them from the item with ``index_attributes``):
- ``public``   ``PUB#<agency>`` / ``<published_at>#<id>``      published and reported reviews
- ``agency``   ``AGENCY#<agency>`` / ``<submitted_at>#<id>``   every review but deleted ones
- ``queue``    ``QUEUE#<status>#<shard>`` / ``<sort>#<id>``    QA lists per status (sharded);
               ``QREPORT#<status>#<shard>`` / ``<created_at>#<id>`` reports per status
- ``due``      ``DUE#<shard>`` / ``<when>#<kind>#<id>``        what review-sweep must do, by date
- ``reverify`` ``REVERIFY#D<shard>`` / ``<ask_on>#<id>``       published reviews with a
               re-verification planned: the day the sample draws them or the day of a
               pending flag, whichever comes first (``schedule``)
- ``BURST#<agency>#<UTC day>`` / ``IDS``       reviews from reviewer emails new to the agency,
  ``<submitted_at>#<id>`` (TTL): five within 24 h are a burst, each one flagged
"""

from __future__ import annotations

import heapq
import zlib
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from typing import Any, cast

from chalicelib.clock import epoch_seconds, parse_iso
from chalicelib.reviews import events as review_events
from chalicelib.reviews import model
from chalicelib.reviews.events import Emitter
from chalicelib.reviews.items import ReportItem, ReviewItem
from chalicelib.reviews.model import AWAITING, DELETED, IN_REVIEW, PUBLIC_STATUSES, PUBLISHED
from chalicelib.storage.dynamo import Condition, Item, Table, Transaction, Update

QUEUE_SHARDS = 4
DUE_SHARDS = 4
SUMMARY_SHARDS = 4
REVERIFY_SHARDS = 4
SWEEP_PAGE = 100
# A band value shared by this many reviews is boilerplate ("Alles bestens, gern wieder"),
# not a sign of copying: it takes no more members, and its members stay candidates.
SIM_CAP = 25
SET_SK = "IDS"
# Far above any honest use (the rate limits allow 3 reviews per email and hour), well below
# DynamoDB's 400 KB item size: one person, phone or IP day with this many reviews of one
# agency is refused (429) rather than breaking the item.
IDENT_CAP = 1000
INDEX_ATTRIBUTES = ("pub_pk", "pub_sk", "agency_pk", "agency_sk", "queue_pk", "queue_sk",
                    "due_pk", "due_sk", "rv_pk", "rv_sk")


def review_key(review_id: str) -> tuple[str, str]:
    return f"REVIEW#{review_id}", "REVIEW"


def report_key(report_id: str) -> tuple[str, str]:
    return f"REPORT#{report_id}", "REPORT"


def deadline_key(report_id: str, kind: str) -> tuple[str, str]:
    return f"REPORT#{report_id}", f"DEADLINE#{kind}"


def ident_key(agency_id: str, kind: str, value_hash: str) -> tuple[str, str]:
    return f"IDENT#{agency_id}#{kind}#{value_hash}", SET_SK


def ip_bucket_key(agency_id: str, ip_hash: str, day: str) -> tuple[str, str]:
    return f"IPREV#{agency_id}#{ip_hash}#{day}", SET_SK


def ip_entry(submitted_at: str, review_id: str) -> str:
    return f"{submitted_at}#{review_id}"


def ip_days_around(moment: str) -> list[str]:
    """The UTC days of the IP buckets that hold every entry within 24 h of ``moment``."""
    day = parse_iso(moment).date()
    return [(day + timedelta(days=offset)).isoformat() for offset in (-1, 0, 1)]


def burst_key(agency_id: str, day: str) -> tuple[str, str]:
    return f"BURST#{agency_id}#{day}", SET_SK


def sim_key(band_key: str) -> tuple[str, str]:
    return f"SIM#{band_key}", SET_SK


def members(item: Item | None) -> set[str]:
    """The members of an index item (none when it is missing or was emptied)."""
    return set((item or {}).get("ids") or ())


def _shard(value: str, shards: int) -> int:
    return zlib.crc32(value.encode()) % shards


def due_pk(record_id: str) -> str:
    return f"DUE#{_shard(record_id, DUE_SHARDS)}"


def due_sk(when: str, kind: str, record_id: str) -> str:
    return f"{when}#{kind}#{record_id}"


def index_attributes(item: Item) -> dict[str, str | None]:
    """The GSI keys a review must carry in its state (``None``: must not carry)."""
    review_id, agency_id, status = item["review_id"], item["agency_id"], item["status"]
    keys: dict[str, str | None] = dict.fromkeys(INDEX_ATTRIBUTES)
    if status in PUBLIC_STATUSES:
        keys["pub_pk"] = f"PUB#{agency_id}"
        keys["pub_sk"] = f"{item['published_at']}#{review_id}"
    if status != DELETED:
        keys["agency_pk"] = f"AGENCY#{agency_id}"
        keys["agency_sk"] = f"{item['submitted_at']}#{review_id}"
        keys["queue_pk"] = f"QUEUE#{status}#{_shard(review_id, QUEUE_SHARDS)}"
        sort = item.get("status_at") or item["submitted_at"]
        if status == IN_REVIEW and item.get("due_by"):
            sort = f"{item['due_by']}#{sort}"
        keys["queue_sk"] = f"{sort}#{review_id}"
    if status == AWAITING and item.get("purge_at"):
        keys["due_pk"] = due_pk(review_id)
        keys["due_sk"] = due_sk(item["purge_at"], "purge", review_id)
    elif item.get("reverify_link") and item.get("reverify_deadline"):
        keys["due_pk"] = due_pk(review_id)
        keys["due_sk"] = due_sk(item["reverify_deadline"], "reverify", review_id)
    elif status == model.BLOCKED and item.get("erase_at"):
        # A removed review's record, kept unpublished for a year, then erased.
        keys["due_pk"] = due_pk(review_id)
        keys["due_sk"] = due_sk(item["erase_at"], "erase", review_id)
    ask_on = reverify_ask_on(item)
    if status == PUBLISHED and not item.get("reverify_link") and ask_on:
        keys["rv_pk"] = f"REVERIFY#D{_shard(review_id, REVERIFY_SHARDS)}"
        keys["rv_sk"] = f"{ask_on}#{review_id}"
    return keys


def reverify_ask_on(item: Item) -> str | None:
    """The next planned re-verification day: the sample's or a pending flag's."""
    return min([d for d in (item.get("reverify_ask_on"), (item.get("flag") or {}).get("on"))
                if d], default=None)


def apply_changes(before: Mapping[str, Any], sets: dict[str, Any], removes: Iterable[str] = ()) -> Item:
    after = {**before, **sets}
    for name in removes:
        after.pop(name, None)
    return after


class ReviewRepository:
    def __init__(self, table: Table, *, events: Emitter | None = None) -> None:
        self.table = table
        # Webhook events (chalicelib/reviews/events.py) ride in each status change.
        self.events = events

    # -- reads (the stored shapes of reviews/items.py, which only the writes below produce) -

    def get_review(self, review_id: str) -> ReviewItem | None:
        return cast("ReviewItem | None", self.table.get(*review_key(review_id))) if review_id else None

    def get_reviews(self, review_ids: Iterable[str]) -> dict[str, ReviewItem]:
        return {item["review_id"]: cast("ReviewItem", item)
                for item in self.table.batch_get([review_key(i) for i in dict.fromkeys(review_ids) if i])}

    def get_report(self, report_id: str) -> ReportItem | None:
        return cast("ReportItem | None", self.table.get(*report_key(report_id))) if report_id else None

    def get_reports(self, report_ids: Iterable[str]) -> list[ReportItem]:
        return cast("list[ReportItem]", self.table.batch_get(list(map(report_key, sorted(set(report_ids))))))

    def get_deadline(self, report_id: str, kind: str) -> Item | None:
        return self.table.get(*deadline_key(report_id, kind))

    def ident_review_ids(self, agency_id: str, kind: str, value_hash: str) -> list[str]:
        """Every review of one reviewer (by email or phone hash) about one agency, oldest
        first (review ids sort by creation time)."""
        return sorted(members(self.table.get(*ident_key(agency_id, kind, value_hash))))

    def summary(self, agency_id: str) -> tuple[int, int]:
        items, _ = self.table.query(
            Condition("{pk} = {:p}", p=f"SUMMARY#{agency_id}"), consistent=True)
        return (sum(int(i.get("count", 0)) for i in items),
                sum(int(i.get("rating_sum", 0)) for i in items))

    def public_page(self, agency_id: str, limit: int, after: str | None
                    ) -> tuple[list[Item], str | None]:
        return self._page("public", "pub_pk", "pub_sk", f"PUB#{agency_id}", limit, after,
                          forward=False)

    def agency_page(self, agency_id: str, limit: int, after: str | None
                    ) -> tuple[list[Item], str | None]:
        return self._page("agency", "agency_pk", "agency_sk", f"AGENCY#{agency_id}", limit,
                          after, forward=False)

    def _page(self, index: str, pk_name: str, sk_name: str, pk: str, limit: int,
              after: str | None, *, forward: bool) -> tuple[list[Item], str | None]:
        start = None
        if after:
            review_id = after.rsplit("#", 1)[-1]
            rpk, rsk = review_key(review_id)
            start = {pk_name: pk, sk_name: after, "pk": rpk, "sk": rsk}
        items, last = self.table.query(
            Condition(f"{{{pk_name}}} = {{:p}}", p=pk), index=index, limit=limit,
            forward=forward, start_key=start)
        return items, (last[sk_name] if last else None)

    def queue_page(self, prefix: str, limit: int, after: str | None
                   ) -> tuple[list[Item], str | None]:
        """One page of a sharded list, merged in sort-key order. ``after`` is the last sort
        key of the previous page, so each shard continues behind it."""
        merged: list[Item] = []
        for shard in range(QUEUE_SHARDS):
            if after:
                key = Condition("{queue_pk} = {:p} AND {queue_sk} > {:a}",
                                p=f"{prefix}#{shard}", a=after)
            else:
                key = Condition("{queue_pk} = {:p}", p=f"{prefix}#{shard}")
            items, _ = self.table.query(key, index="queue", limit=limit + 1)
            merged.extend(items)
        page = heapq.nsmallest(limit + 1, merged, key=lambda i: i["queue_sk"])
        more = len(page) > limit
        page = page[:limit]
        return page, (page[-1]["queue_sk"] if more and page else None)

    def due(self, now_iso: str) -> Iterator[Item]:
        """Everything whose due date has come, shard by shard and oldest first within a
        shard, read a page at a time, so a sweep that stops early read only what it did."""
        for shard in range(DUE_SHARDS):
            yield from self._pages("due", Condition(
                "{due_pk} = {:p} AND {due_sk} <= {:b}", p=f"DUE#{shard}", b=f"{now_iso}#~"))

    def reverify_candidates(self, today: str) -> Iterator[Item]:
        """Published reviews whose planned re-verification day has come."""
        for shard in range(REVERIFY_SHARDS):
            yield from self._pages("reverify", Condition(
                "{rv_pk} = {:p} AND {rv_sk} <= {:b}", p=f"REVERIFY#D{shard}", b=f"{today}#~"))

    def _pages(self, index: str, key: Condition) -> Iterator[Item]:
        # Paging by the last key stays correct while the caller takes the items it
        # handled out of the index.
        start: dict[str, Any] | None = None
        while True:
            items, start = self.table.query(key, index=index, limit=SWEEP_PAGE,
                                            start_key=start)
            yield from items
            if start is None:
                return

    # -- writes staged into a caller's transaction ----------------------------------------

    def stage_new_review(self, tx: Transaction, item: Item) -> None:
        pk, sk = review_key(item["review_id"])
        keys = {k: v for k, v in index_attributes(item).items() if v is not None}
        tx.put(self.table, {"pk": pk, "sk": sk, **item, **keys},
               condition=Condition("attribute_not_exists({pk})"), label="review")

    def stage_review_change(self, tx: Transaction, before: Mapping[str, Any], sets: dict[str, Any],
                            removes: Iterable[str] = (), *, condition: Condition,
                            adds: dict[str, Any] | None = None, label: str = "review") -> Item:
        """Updates a review and recomputes its index keys; returns the item as it will be."""
        removes = list(dict.fromkeys(removes))
        after = apply_changes(before, sets, removes)
        keys = index_attributes(after)
        update = Update(sets={**sets, **{k: v for k, v in keys.items() if v is not None}},
                        removes=[*removes, *(k for k, v in keys.items() if v is None)],
                        adds={"version": 1, **(adds or {})})
        tx.update(self.table, *review_key(before["review_id"]), update, condition=condition,
                  label=label)
        after["version"] = int(before.get("version", 0)) + 1
        after.update(keys)
        review_events.emit_change(self.events, tx, before, after)
        return after

    def stage_delete_review(self, tx: Transaction, item: Item, condition: Condition) -> None:
        tx.delete(self.table, *review_key(item["review_id"]), condition=condition,
                  label="review")

    def stage_summary(self, tx: Transaction, agency_id: str, count: int, rating_sum: int,
                      review_id: str) -> None:
        shard = _shard(review_id, SUMMARY_SHARDS)
        tx.update(self.table, f"SUMMARY#{agency_id}", f"SHARD#{shard}",
                  Update(adds={"count": count, "rating_sum": rating_sum}), label="summary")

    def stage_identity(self, tx: Transaction, item: Item, ip_keep: timedelta) -> None:
        """Enters a new review in the index items that let later checks find this
        reviewer and IP (``ip_keep``: how long after its day an IP bucket is needed)."""
        for label, key, member, sets in self._index_entries(item, ip_keep):
            tx.update(self.table, *key, Update(sets=sets, adds={"ids": {member}}),
                      condition=Condition("attribute_not_exists({ids}) OR size({ids}) < {:cap}",
                                          cap=IDENT_CAP),
                      label=f"ident:{label}")

    def stage_forget_identity(self, tx: Transaction, item: Mapping[str, Any], ip_keep: timedelta) -> None:
        """Takes a review out of every index item (identity, IP, similarity bands)."""
        entries = list(self._index_entries(item, ip_keep))
        entries += [(f"sim:{band}", sim_key(band), item["review_id"], {})
                    for band in item.get("sim_bands") or ()]
        for label, key, member, sets in entries:
            # Sets the IP bucket's TTL again: a DELETE re-creates a bucket TTL removed.
            tx.update(self.table, *key, Update(sets=sets, deletes={"ids": {member}}),
                      label=f"forget:{label}")

    @staticmethod
    def _index_entries(item: Mapping[str, Any], ip_keep: timedelta
                       ) -> Iterable[tuple[str, tuple[str, str], str, dict[str, Any]]]:
        """``(label, key, member, attributes to set)`` of the review's identity and IP
        index items."""
        agency_id, review_id = item["agency_id"], item["review_id"]
        for kind in ("email", "phone"):
            value_hash = item.get(f"{kind}_hash")
            if value_hash:
                yield kind, ident_key(agency_id, kind, value_hash), review_id, {}
        if item.get("ip_hash"):
            day = parse_iso(item["submitted_at"]).date().isoformat()
            expires = parse_iso(f"{day}T00:00:00.000Z") + ip_keep
            yield ("ip", ip_bucket_key(agency_id, item["ip_hash"], day),
                   ip_entry(item["submitted_at"], review_id),
                   {"expires_ttl": epoch_seconds(expires)})

    def stage_burst_entry(self, tx: Transaction, item: Item, expires_ttl: int) -> None:
        day = parse_iso(item["submitted_at"]).date().isoformat()
        tx.update(self.table, *burst_key(item["agency_id"], day),
                  Update(sets={"expires_ttl": expires_ttl},
                         adds={"ids": {ip_entry(item["submitted_at"], item["review_id"])}}),
                  label="burst")

    def stage_similarity(self, tx: Transaction, review_id: str, bands: dict[str, set[str]],
                         label_prefix: str = "") -> None:
        """Adds the review to the band items not yet full, as they were read (``bands``:
        band key → members). The condition holds the item to that read: a confirmation
        that changed it in between cancels this one, which reads again (and then sees
        the other review as a candidate, or the band as full)."""
        for band, current in bands.items():
            if len(current) >= SIM_CAP:
                continue
            condition = (Condition("size({ids}) = {:n}", n=len(current)) if current
                         else Condition("attribute_not_exists({ids})"))
            tx.update(self.table, *sim_key(band), Update(adds={"ids": {review_id}}),
                      condition=condition, label=f"{label_prefix}sim:{band}")

    def stage_new_report(self, tx: Transaction, report: Item) -> None:
        pk, sk = report_key(report["report_id"])
        tx.put(self.table, {"pk": pk, "sk": sk, **report, **report_queue_keys(report)},
               condition=Condition("attribute_not_exists({pk})"), label="report")

    def stage_report_change(self, tx: Transaction, before: Mapping[str, Any], sets: dict[str, Any],
                            removes: Iterable[str] = (), *, label: str = "report") -> Item:
        """Changes a report, provided nobody else changed it since ``before`` (only an
        open report changes, except for an erasure's scrubbing)."""
        removes = list(removes)
        after = apply_changes(before, sets, removes)
        keys = report_queue_keys(after)
        tx.update(self.table, *report_key(before["report_id"]),
                  Update(sets={**sets, **keys}, removes=removes, adds={"version": 1}),
                  condition=Condition("{version} = {:v} AND {status} = {:s}",
                                      v=int(before["version"]), s=before["status"]),
                  label=label)
        after["version"] = int(before["version"]) + 1
        return after

    def stage_deadline(self, tx: Transaction, deadline: Item) -> None:
        pk, sk = deadline_key(deadline["report_id"], deadline["kind"])
        tx.put(self.table, {
            "pk": pk, "sk": sk, **deadline, "due_pk": due_pk(deadline["report_id"]),
            "due_sk": due_sk(deadline["deadline"], "answer",
                             f"{deadline['report_id']}#{deadline['kind']}"),
        }, condition=Condition("attribute_not_exists({pk})"), label=f"deadline:{deadline['kind']}")

    def stage_drop_deadline(self, tx: Transaction, report_id: str, kind: str) -> None:
        tx.delete(self.table, *deadline_key(report_id, kind), label=f"drop_deadline:{kind}")

    def reports_page(self, status: str, limit: int, after: str | None
                     ) -> tuple[list[Item], str | None]:
        return self.queue_page(f"QREPORT#{status}", limit, after)


def report_queue_keys(report: Item) -> dict[str, str]:
    shard = _shard(report["report_id"], QUEUE_SHARDS)
    return {"queue_pk": f"QREPORT#{report['status']}#{shard}",
            "queue_sk": f"{report['created_at']}#{report['report_id']}"}
