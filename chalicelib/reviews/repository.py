"""Reviews, reports and their index items in the reviews table.

Base items (``pk`` / ``sk``):
- ``REVIEW#<id>`` / ``REVIEW``                 a review
- ``REPORT#<id>`` / ``REPORT``                 an agency's report ("Problem melden")
- ``REPORT#<id>`` / ``DEADLINE#<kind>``        a pending statement/proof request's deadline
- ``SUMMARY#<agency>`` / ``SHARD#<n>``         public count and rating sum, sharded
- ``IDENT#<agency>#<email|phone>#<hash>`` / ``REVIEW#<id>``  who reviewed whom (keyed hash)
- ``IPREV#<agency>#<ip hash>`` / ``<submitted_at>#<id>``     reviews per submitting IP
- ``SIM#<band>#<minhash>`` / ``<id>``          near-duplicate candidates across the platform

Sparse GSIs (an item carries an index's keys only while it belongs to that list; every
write recomputes them from the item with ``index_attributes``):
- ``public``   ``PUB#<agency>`` / ``<published_at>#<id>``      published and reported reviews
- ``agency``   ``AGENCY#<agency>`` / ``<submitted_at>#<id>``   every review but deleted ones
- ``queue``    ``QUEUE#<status>#<shard>`` / ``<sort>#<id>``    QA lists per status (sharded);
               ``QREPORT#<status>#<shard>`` / ``<created_at>#<id>`` reports per status
- ``due``      ``DUE#<shard>`` / ``<when>#<kind>#<id>``        what review-sweep must do, by date
- ``reverify`` ``REVERIFY#<slot>`` / ``<eligible_on>#<id>``    published reviews that may be
               sampled for re-verification; slot 00–99 at random, ``P`` for borderline ones
"""

from __future__ import annotations

import heapq
import zlib
from collections.abc import Iterable
from typing import Any

from chalicelib.reviews.model import AWAITING, DELETED, IN_REVIEW, PUBLIC_STATUSES, PUBLISHED
from chalicelib.storage.dynamo import Condition, Item, Table, Transaction, Update

QUEUE_SHARDS = 4
DUE_SHARDS = 4
SUMMARY_SHARDS = 4
SAMPLE_SLOTS = 100
PRIORITY_SLOT = "P"
INDEX_ATTRIBUTES = ("pub_pk", "pub_sk", "agency_pk", "agency_sk", "queue_pk", "queue_sk",
                    "due_pk", "due_sk", "rv_pk", "rv_sk")


def review_key(review_id: str) -> tuple[str, str]:
    return f"REVIEW#{review_id}", "REVIEW"


def report_key(report_id: str) -> tuple[str, str]:
    return f"REPORT#{report_id}", "REPORT"


def deadline_key(report_id: str, kind: str) -> tuple[str, str]:
    return f"REPORT#{report_id}", f"DEADLINE#{kind}"


def ident_key(agency_id: str, kind: str, value_hash: str, review_id: str) -> tuple[str, str]:
    return f"IDENT#{agency_id}#{kind}#{value_hash}", f"REVIEW#{review_id}"


def ip_index_key(agency_id: str, ip_hash: str, submitted_at: str, review_id: str
                 ) -> tuple[str, str]:
    return f"IPREV#{agency_id}#{ip_hash}", f"{submitted_at}#{review_id}"


def sim_key(band_key: str, review_id: str) -> tuple[str, str]:
    return f"SIM#{band_key}", review_id


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
    if status == PUBLISHED and not item.get("reverify_link") and item.get("reverify_eligible_on"):
        slot = PRIORITY_SLOT if item.get("borderline") else f"{int(item.get('sample_slot', 0)):02d}"
        keys["rv_pk"] = f"REVERIFY#{slot}"
        keys["rv_sk"] = f"{item['reverify_eligible_on']}#{review_id}"
    return keys


def apply_changes(before: Item, sets: dict[str, Any], removes: Iterable[str] = ()) -> Item:
    after = {**before, **sets}
    for name in removes:
        after.pop(name, None)
    return after


class ReviewRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    # -- reads ------------------------------------------------------------------------------

    def get_review(self, review_id: str) -> Item | None:
        return self.table.get(*review_key(review_id)) if review_id else None

    def get_reviews(self, review_ids: Iterable[str]) -> dict[str, Item]:
        ids = list(dict.fromkeys(i for i in review_ids if i))
        found: dict[str, Item] = {}
        for start in range(0, len(ids), 100):
            for item in self.table.batch_get([review_key(i) for i in ids[start:start + 100]]):
                found[item["review_id"]] = item
        return found

    def get_report(self, report_id: str) -> Item | None:
        return self.table.get(*report_key(report_id)) if report_id else None

    def get_deadline(self, report_id: str, kind: str) -> Item | None:
        return self.table.get(*deadline_key(report_id, kind))

    def ident_review_ids(self, agency_id: str, kind: str, value_hash: str) -> list[str]:
        """Every review of one reviewer (by email or phone hash) about one agency."""
        ids: list[str] = []
        start: dict[str, Any] | None = None
        while True:
            items, start = self.table.query(
                Condition("{pk} = {:p}", p=ident_key(agency_id, kind, value_hash, "")[0]),
                limit=100, start_key=start)
            ids.extend(i["review_id"] for i in items)
            if start is None:
                return ids

    def count_ident(self, agency_id: str, kind: str, value_hash: str, exclude: str) -> int:
        items, _ = self.table.query(
            Condition("{pk} = {:p}", p=ident_key(agency_id, kind, value_hash, "")[0]), limit=10)
        return sum(1 for i in items if i.get("review_id") != exclude)

    def count_ip_reviews(self, agency_id: str, ip_hash: str, start: str, end: str) -> int:
        items, _ = self.table.query(
            Condition("{pk} = {:p} AND {sk} BETWEEN {:a} AND {:b}",
                      p=f"IPREV#{agency_id}#{ip_hash}", a=start, b=end + "#~"), limit=50)
        return len(items)

    def similar_candidates(self, band_keys: list[str], exclude: str, per_band: int = 25
                           ) -> list[str]:
        found: dict[str, None] = {}
        for band in band_keys:
            items, _ = self.table.query(Condition("{pk} = {:p}", p=f"SIM#{band}"),
                                        limit=per_band)
            for item in items:
                if item["sk"] != exclude:
                    found.setdefault(item["sk"])
        return list(found)

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

    def due(self, now_iso: str, limit: int) -> list[Item]:
        """Everything whose due date has come, over all shards, oldest first."""
        found: list[Item] = []
        bound = f"{now_iso}#~"
        for shard in range(DUE_SHARDS):
            start: dict[str, Any] | None = None
            while len(found) < limit:
                items, start = self.table.query(
                    Condition("{due_pk} = {:p} AND {due_sk} <= {:b}", p=f"DUE#{shard}",
                              b=bound),
                    index="due", limit=min(100, limit - len(found)), start_key=start)
                found.extend(items)
                if start is None:
                    break
        return sorted(found, key=lambda i: i["due_sk"])

    def reverify_candidates(self, slots: Iterable[str], today: str, limit: int) -> list[Item]:
        found: list[Item] = []
        for slot in slots:
            start: dict[str, Any] | None = None
            while len(found) < limit:
                items, start = self.table.query(
                    Condition("{rv_pk} = {:p} AND {rv_sk} <= {:b}", p=f"REVERIFY#{slot}",
                              b=f"{today}#~"),
                    index="reverify", limit=min(100, limit - len(found)), start_key=start)
                found.extend(items)
                if start is None:
                    break
        return found

    # -- writes staged into a caller's transaction ----------------------------------------

    def stage_new_review(self, tx: Transaction, item: Item) -> None:
        pk, sk = review_key(item["review_id"])
        keys = {k: v for k, v in index_attributes(item).items() if v is not None}
        tx.put(self.table, {"pk": pk, "sk": sk, **item, **keys},
               condition=Condition("attribute_not_exists({pk})"), label="review")

    def stage_review_change(self, tx: Transaction, before: Item, sets: dict[str, Any],
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
        return after

    def stage_delete_review(self, tx: Transaction, item: Item, condition: Condition) -> None:
        tx.delete(self.table, *review_key(item["review_id"]), condition=condition,
                  label="review")

    def stage_summary(self, tx: Transaction, agency_id: str, count: int, rating_sum: int,
                      review_id: str) -> None:
        shard = _shard(review_id, SUMMARY_SHARDS)
        tx.update(self.table, f"SUMMARY#{agency_id}", f"SHARD#{shard}",
                  Update(adds={"count": count, "rating_sum": rating_sum}), label="summary")

    def stage_identity(self, tx: Transaction, item: Item) -> None:
        """The index items that let later checks find this reviewer and IP."""
        agency_id, review_id = item["agency_id"], item["review_id"]
        for kind in ("email", "phone"):
            value_hash = item.get(f"{kind}_hash")
            if value_hash:
                pk, sk = ident_key(agency_id, kind, value_hash, review_id)
                tx.put(self.table, {"pk": pk, "sk": sk, "review_id": review_id},
                       label=f"ident:{kind}")
        if item.get("ip_hash"):
            pk, sk = ip_index_key(agency_id, item["ip_hash"], item["submitted_at"], review_id)
            tx.put(self.table, {"pk": pk, "sk": sk, "review_id": review_id}, label="ident:ip")

    def stage_forget_identity(self, tx: Transaction, item: Item) -> None:
        agency_id, review_id = item["agency_id"], item["review_id"]
        for kind in ("email", "phone"):
            value_hash = item.get(f"{kind}_hash")
            if value_hash:
                tx.delete(self.table, *ident_key(agency_id, kind, value_hash, review_id),
                          label=f"forget:{kind}")
        if item.get("ip_hash"):
            tx.delete(self.table, *ip_index_key(agency_id, item["ip_hash"],
                                                item["submitted_at"], review_id),
                      label="forget:ip")
        for band in item.get("sim_bands") or ():
            tx.delete(self.table, *sim_key(band, review_id), label=f"forget:sim:{band}")

    def stage_similarity(self, tx: Transaction, review_id: str, band_keys: list[str]) -> None:
        for band in band_keys:
            pk, sk = sim_key(band, review_id)
            tx.put(self.table, {"pk": pk, "sk": sk}, label=f"sim:{band}")

    def stage_new_report(self, tx: Transaction, report: Item) -> None:
        pk, sk = report_key(report["report_id"])
        tx.put(self.table, {"pk": pk, "sk": sk, **report, **report_queue_keys(report)},
               condition=Condition("attribute_not_exists({pk})"), label="report")

    def stage_report_change(self, tx: Transaction, before: Item, sets: dict[str, Any],
                            removes: Iterable[str] = ()) -> Item:
        """Changes an open report, provided nobody else changed it since ``before``."""
        removes = list(removes)
        after = apply_changes(before, sets, removes)
        keys = report_queue_keys(after)
        tx.update(self.table, *report_key(before["report_id"]),
                  Update(sets={**sets, **keys}, removes=removes, adds={"version": 1}),
                  condition=Condition("{version} = {:v} AND {status} = {:open}",
                                      v=int(before["version"]), open="open"),
                  label="report")
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
