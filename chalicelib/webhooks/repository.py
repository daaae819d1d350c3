"""Webhook records in the core table (key prefixes in docs/architecture.md):

- ``WH#<agency>`` / ``<webhook id>``: the webhook (URL, types, KMS-sealed secrets).
- ``WHSUB#<agency>#<type>`` / ``<shard>``: who subscribes to a type (``hooks``, a string
  set, and ``version``), written in ``SUBSCRIPTION_SHARDS`` equal copies. A change checks
  one copy inside its own transaction (``events.Events``): the copies spread that read
  over several items, so a busy agency's changes do not conflict on one item.
- ``WHD#<webhook id>`` / ``<delivery id>``: one event to one webhook (newest first: the
  id starts with the creation time in ms); while pending it sits in the core table's
  sparse ``due`` index (``WHDUE#<shard>``), like the mail outbox.
- ``WHSUBJ#<agency>#<address id>`` / ``<webhook id>#<delivery id>``: which deliveries
  carry a person's data (erasure scrubs them, the Art. 15 export lists them).
"""

from __future__ import annotations

import contextlib
import zlib
from datetime import datetime, timedelta
from typing import Any

from chalicelib.clock import epoch_seconds, iso
from chalicelib.secrets_util import new_id
from chalicelib.storage.dynamo import (
    Condition,
    ConditionFailed,
    Item,
    Table,
    Transaction,
    Update,
)
from chalicelib.webhooks.model import BODY_DAYS

SUBSCRIPTION_SHARDS = 8
DUE_SHARDS = 4
DUE_PREFIX = "WHDUE#"


def webhook_key(agency_id: str, webhook_id: str) -> tuple[str, str]:
    return f"WH#{agency_id}", webhook_id


def subscription_key(agency_id: str, event_type: str, shard: int) -> tuple[str, str]:
    return f"WHSUB#{agency_id}#{event_type}", str(shard)


def delivery_key(webhook_id: str, delivery_id: str) -> tuple[str, str]:
    return f"WHD#{webhook_id}", delivery_id


def subject_pk(agency_id: str, address_id: str) -> str:
    return f"WHSUBJ#{agency_id}#{address_id}"


def new_delivery_id(now: datetime) -> str:
    """Sorts by creation time (the log is newest first): the milliseconds in ten letters
    (base 26, fixed width), then 80 random bits."""
    ms = int(now.timestamp() * 1000)
    letters = ""
    for _ in range(10):
        ms, digit = divmod(ms, 26)
        letters = chr(ord("a") + digit) + letters
    return letters + new_id()[:16]


def _due_pk(delivery_id: str) -> str:
    return f"{DUE_PREFIX}{zlib.crc32(delivery_id.encode()) % DUE_SHARDS}"


def _due_sk(moment: datetime, webhook_id: str, delivery_id: str) -> str:
    return f"{iso(moment)}#{webhook_id}#{delivery_id}"


class WebhookRepository:
    def __init__(self, core: Table) -> None:
        self.core = core

    # -- webhooks --------------------------------------------------------------------

    def of_agency(self, agency_id: str) -> list[Item]:
        items, _ = self.core.query(Condition("{pk} = {:p}", p=f"WH#{agency_id}"),
                                   limit=100, consistent=True)
        return items

    def get(self, agency_id: str, webhook_id: str) -> Item | None:
        return self.core.get(*webhook_key(agency_id, webhook_id))

    def _stage_subscriptions(self, tx: Transaction, agency_id: str, types: list[str],
                             webhook_id: str, *, add: bool) -> None:
        for event_type in types:
            for shard in range(SUBSCRIPTION_SHARDS):
                update = Update(adds={"version": 1})
                if add:
                    update.adds["hooks"] = {webhook_id}
                else:
                    update.deletes["hooks"] = {webhook_id}
                tx.update(self.core, *subscription_key(agency_id, event_type, shard), update,
                          label="subscription")

    def create(self, tx: Transaction, item: Item, *, expected_count: int) -> None:
        agency_id = item["agency_id"]
        tx.put(self.core, item, condition=Condition("attribute_not_exists({pk})"),
               label="webhook")
        # The per-agency limit as a counter, so two parallel creations cannot both pass.
        tx.update(self.core, f"WH#{agency_id}", "#COUNT", Update(adds={"n": 1}),
                  condition=Condition("attribute_not_exists({n}) OR {n} = {:c}",
                                      c=expected_count), label="count")
        self._stage_subscriptions(tx, agency_id, item["events"], item["webhook_id"], add=True)

    def count(self, agency_id: str) -> int:
        item = self.core.get(f"WH#{agency_id}", "#COUNT")
        return int(item.get("n", 0)) if item else 0

    def delete(self, tx: Transaction, webhook: Item) -> None:
        agency_id = webhook["agency_id"]
        tx.delete(self.core, *webhook_key(agency_id, webhook["webhook_id"]),
                  condition=Condition("{version} = {:v}", v=webhook["version"]), label="webhook")
        tx.update(self.core, f"WH#{agency_id}", "#COUNT", Update(adds={"n": -1}),
                  condition=Condition("{n} > {:z}", z=0), label="count")
        self._stage_subscriptions(tx, agency_id, webhook["events"], webhook["webhook_id"],
                                  add=False)

    def replace_secrets(self, webhook: Item, sealed: list[dict[str, Any]], now: datetime
                        ) -> None:
        self.core.update(*webhook_key(webhook["agency_id"], webhook["webhook_id"]),
                         Update(sets={"secrets": sealed, "secret_rotated_at": iso(now)},
                                adds={"version": 1}),
                         Condition("{version} = {:v}", v=webhook["version"]))

    def subscription(self, agency_id: str, event_type: str, shard: int) -> tuple[int, set[str]]:
        item = self.core.get(*subscription_key(agency_id, event_type, shard))
        if not item:
            return 0, set()
        return int(item.get("version", 0)), set(item.get("hooks") or ())

    # -- deliveries ------------------------------------------------------------------

    def stage_delivery(self, tx: Transaction, *, agency_id: str, webhook_id: str,
                       event_id: str, event_type: str, body: str, subjects: list[str],
                       now: datetime, claim_until: datetime) -> str:
        delivery_id = new_delivery_id(now)
        pk, sk = delivery_key(webhook_id, delivery_id)
        expires = epoch_seconds(now + timedelta(days=BODY_DAYS))
        tx.put(self.core, {
            "pk": pk, "sk": sk, "agency_id": agency_id, "webhook_id": webhook_id,
            "delivery_id": delivery_id, "event_id": event_id, "type": event_type,
            "status": "pending", "attempts": 0, "base_attempts": 0,
            "created_at": iso(now), "next_attempt_at": iso(now), "body": body,
            "subjects": subjects, "last_status_code": None,
            # The request's own dispatch sends it at once; the job only takes over after.
            "due_pk": _due_pk(delivery_id), "due_sk": _due_sk(claim_until, webhook_id,
                                                               delivery_id),
            "expires_ttl": expires,
        }, condition=Condition("attribute_not_exists({pk})"), label="delivery")
        for address_id in subjects:
            tx.put(self.core, {"pk": subject_pk(agency_id, address_id),
                               "sk": f"{webhook_id}#{delivery_id}", "expires_ttl": expires},
                   label="delivery")
        return delivery_id

    def delivery(self, webhook_id: str, delivery_id: str) -> Item | None:
        return self.core.get(*delivery_key(webhook_id, delivery_id))

    def deliveries(self, webhook_id: str, limit: int, before: str | None
                   ) -> tuple[list[Item], str | None]:
        if before:
            key = Condition("{pk} = {:p} AND {sk} < {:b}", p=f"WHD#{webhook_id}", b=before)
        else:
            key = Condition("{pk} = {:p}", p=f"WHD#{webhook_id}")
        items, last = self.core.query(key, limit=limit, forward=False)
        return items, (last["sk"] if last else None)

    def claim(self, webhook_id: str, delivery_id: str, now: datetime,
              until: datetime) -> Item | None:
        """Takes the next attempt (one round trip, answers the record): only a pending
        delivery that is due and not held by another attempt's claim."""
        update = Update(sets={"claim_until": iso(until),
                              "due_sk": _due_sk(until, webhook_id, delivery_id)},
                        adds={"attempts": 1})
        try:
            return self.core.update(
                *delivery_key(webhook_id, delivery_id), update,
                Condition("{status} = {:p} AND {next_attempt_at} <= {:n} AND "
                          "(attribute_not_exists({claim_until}) OR {claim_until} <= {:n})",
                          p="pending", n=iso(now)))
        except ConditionFailed:
            return None

    def finish(self, item: Item, *, status: str, code: int | None, error: str | None,
               now: datetime, next_attempt: datetime | None = None,
               excerpt: str | None = None) -> bool:
        """Records the claimed attempt's outcome, if that attempt still holds the record.
        ``excerpt``: at most 1 KB of a refusing receiver's answer, for the agency's log."""
        webhook_id, delivery_id = item["webhook_id"], item["delivery_id"]
        sets: dict[str, Any] = {"last_status_code": code, "last_error": error,
                                "last_attempt_at": iso(now), "status": status,
                                "last_response": (excerpt or "")[:1024] or None}
        removes = ["claim_until"]
        if next_attempt is not None:
            sets.update(next_attempt_at=iso(next_attempt),
                        due_sk=_due_sk(next_attempt, webhook_id, delivery_id))
        else:
            removes += ["due_pk", "due_sk"]
        if status == "delivered":
            # What went out is the receiver's now: the record keeps the status codes only.
            removes += ["body", "subjects"]
            sets["delivered_at"] = iso(now)
        elif status == "failed":
            sets["failed_at"] = iso(now)
        try:
            self.core.update(*delivery_key(webhook_id, delivery_id),
                             Update(sets=sets, removes=removes),
                             Condition("{status} = {:p} AND {attempts} = {:a}", p="pending",
                                       a=item["attempts"]))
        except ConditionFailed:
            return False
        return True

    def restart(self, item: Item, now: datetime) -> bool:
        """A failed delivery goes again (the retry route): a new series of attempts."""
        webhook_id, delivery_id = item["webhook_id"], item["delivery_id"]
        try:
            self.core.update(*delivery_key(webhook_id, delivery_id), Update(
                sets={"status": "pending", "base_attempts": item["attempts"],
                      "next_attempt_at": iso(now), "due_pk": _due_pk(delivery_id),
                      "due_sk": _due_sk(now + timedelta(seconds=60), webhook_id,
                                        delivery_id)},
                removes=["failed_at"]),
                Condition("{status} = {:f} AND attribute_exists({body})", f="failed"))
        except ConditionFailed:
            return False
        return True

    def due(self, now: datetime, limit: int) -> list[Item]:
        bound = iso(now) + "#~"
        found: list[Item] = []
        for shard in range(DUE_SHARDS):
            start: dict[str, Any] | None = None
            while len(found) < limit:
                items, start = self.core.query(
                    Condition("{due_pk} = {:p} AND {due_sk} <= {:b}", p=f"{DUE_PREFIX}{shard}",
                              b=bound), index="due", limit=limit - len(found),
                    start_key=start)
                found.extend(i for i in items if i.get("status") == "pending")
                if start is None:
                    break
        return found

    # -- a person's data -------------------------------------------------------------

    def about(self, agency_id: str, address_id: str) -> list[Item]:
        """The deliveries that carry (or carried) the person's data, still on record."""
        found: list[Item] = []
        start: dict[str, Any] | None = None
        while True:
            items, start = self.core.query(
                Condition("{pk} = {:p}", p=subject_pk(agency_id, address_id)), limit=100,
                start_key=start, consistent=True)
            keys = [delivery_key(*i["sk"].split("#", 1)) for i in items]
            found.extend(d for d in self.core.batch_get(keys) if d.get("body"))
            if start is None:
                return found

    def scrub(self, delivery: Item, new_body: str | None) -> None:
        update = Update(removes=["subjects"])
        if new_body is not None:
            update.sets["body"] = new_body
        # A failed condition: delivered (body gone) or scrubbed meanwhile.
        with contextlib.suppress(ConditionFailed):
            self.core.update(*delivery_key(delivery["webhook_id"], delivery["delivery_id"]),
                             update, Condition("{body} = {:b}", b=delivery["body"]))

    def forget_subject(self, agency_id: str, address_id: str) -> None:
        start: dict[str, Any] | None = None
        while True:
            items, start = self.core.query(
                Condition("{pk} = {:p}", p=subject_pk(agency_id, address_id)), limit=100,
                start_key=start, consistent=True)
            for item in items:
                self.core.delete(item["pk"], item["sk"])
            if start is None:
                return
