"""The event outbox. A capability calls ``Events.emit(tx, …)`` while it builds the
transaction of its change: the deliveries to every webhook subscribed to that type are
written by that same transaction, so a committed change always has its deliveries and a
rolled-back one has none (DynamoDB Streams are not used: the local stack's fast
transactions fall back to moto's slow path for tables with streams).

Who subscribes is learnt without a round trip. The transaction checks one copy of the
type's subscription item (``repository.SUBSCRIPTION_SHARDS``): "nobody" (no ``hooks``)
or the version this container last saw. When the check fails the transaction's guard
mechanism (``Transaction.guard``) reads that copy, stages the deliveries and commits on a
second try. A change nobody subscribes to costs no extra call at all; a container that
knows the agency's subscribers costs none either.

After the invocation ``flush`` hands the staged deliveries to SQS (one batch call); a
delivery of a transaction that did not commit does not exist, and the sender drops its
message. A delivery whose message is lost is taken by job ``webhook-retry`` once its
claim time has passed.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.clock import Clock, iso
from chalicelib.storage.dynamo import Condition, Transaction
from chalicelib.webhooks import model
from chalicelib.webhooks.repository import (
    SUBSCRIPTION_SHARDS,
    WebhookRepository,
    subscription_key,
)

log = logging.getLogger("freigabe.webhooks")

# The request's own dispatch owns a fresh delivery this long before the job may take it.
FIRST_CLAIM_SECONDS = 60
SQS_BATCH = 10


@dataclass(frozen=True)
class Staged:
    webhook_id: str
    delivery_id: str


class DeliveryQueue:
    """The SQS queue in front of the sender (locally moto's)."""

    def __init__(self, sqs: Any, url: str | None, name: str) -> None:
        self.sqs = sqs
        self._url = url
        self.name = name

    @property
    def url(self) -> str:
        if self._url is None:
            self._url = self.sqs.get_queue_url(QueueName=self.name)["QueueUrl"]
        return self._url

    def send(self, staged: list[Staged], delay_seconds: int = 0) -> None:
        for start in range(0, len(staged), SQS_BATCH):
            chunk = staged[start:start + SQS_BATCH]
            response = self.sqs.send_message_batch(QueueUrl=self.url, Entries=[
                {"Id": str(n), "DelaySeconds": delay_seconds,
                 "MessageBody": json.dumps({"webhook_id": s.webhook_id,
                                            "delivery_id": s.delivery_id})}
                for n, s in enumerate(chunk)])
            if response.get("Failed"):
                log.warning("webhook messages not queued; the retry job takes them",
                            extra={"failed": len(response["Failed"])})


class Events:
    def __init__(self, repo: WebhookRepository, clock: Clock, queue: DeliveryQueue) -> None:
        self.repo = repo
        self.clock = clock
        self.queue = queue
        # (agency, type) -> (version, webhook ids) as this container last read them.
        self._known: dict[tuple[str, str], tuple[int, frozenset[str]]] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    # -- inside the change's transaction -----------------------------------------------

    def emit(self, tx: Transaction, agency_id: str, event_type: str, data: dict[str, Any],
             *, key: str, subjects: Iterable[str | None] = (),
             at: datetime | None = None) -> str:
        """Adds the event to ``tx``. ``key`` names the change (with the type it makes the
        event id); ``subjects`` are the address ids whose person the data is about."""
        now = self.clock.now()
        event_id = model.event_id(agency_id, event_type, key)
        raw = model.body(event_type, iso(at or now), data)
        people = sorted({s for s in subjects if s}) if event_type in model.PERSONAL_FIELDS \
            else []
        shard = secrets.randbelow(SUBSCRIPTION_SHARDS)
        done: set[str] = set()

        def stage(hooks: Iterable[str]) -> None:
            for webhook_id in sorted(set(hooks) - done):
                done.add(webhook_id)
                delivery_id = self.repo.stage_delivery(
                    tx, agency_id=agency_id, webhook_id=webhook_id, event_id=event_id,
                    event_type=event_type, body=raw, subjects=people, now=now,
                    claim_until=now + timedelta(seconds=FIRST_CLAIM_SECONDS))
                self._pending().append(Staged(webhook_id, delivery_id))

        with self._lock:
            known = self._known.get((agency_id, event_type))
        if known and known[1]:
            stage(known[1])
            condition = Condition("{version} = {:v}", v=known[0])
        else:
            condition = Condition("attribute_not_exists({hooks})")

        def subscribers_changed() -> None:
            version, hooks = self.repo.subscription(agency_id, event_type, shard)
            self.learn(agency_id, event_type, version, hooks)
            stage(hooks)

        tx.guard(self.repo.core, *subscription_key(agency_id, event_type, shard), condition,
                 otherwise=subscribers_changed)
        return event_id

    def stage_direct(self, tx: Transaction, agency_id: str, webhook_id: str,
                     event_type: str, data: dict[str, Any], *, key: str) -> str:
        """An event for one webhook regardless of its types (``ping``)."""
        now = self.clock.now()
        event_id = model.event_id(agency_id, event_type, key)
        delivery_id = self.repo.stage_delivery(
            tx, agency_id=agency_id, webhook_id=webhook_id, event_id=event_id,
            event_type=event_type, body=model.body(event_type, iso(now), data), subjects=[],
            now=now, claim_until=now + timedelta(seconds=FIRST_CLAIM_SECONDS))
        self._pending().append(Staged(webhook_id, delivery_id))
        return delivery_id

    def learn(self, agency_id: str, event_type: str, version: int, hooks: Iterable[str]
              ) -> None:
        with self._lock:
            if len(self._known) > 5000:
                self._known.clear()
            self._known[(agency_id, event_type)] = (version, frozenset(hooks))

    def forget(self, agency_id: str) -> None:
        with self._lock:
            for known in [k for k in self._known if k[0] == agency_id]:
                del self._known[known]

    # -- after the invocation -----------------------------------------------------------

    def _pending(self) -> list[Staged]:
        pending = getattr(self._local, "pending", None)
        if pending is None:
            pending = self._local.pending = []
        return pending

    def queue_later(self, staged: Staged) -> None:
        self._pending().append(staged)

    def flush(self) -> int:
        """Queues what this thread staged. Never raises: the change has happened, and what
        is not queued is in the due index for the job."""
        pending = self._pending()
        if not pending:
            return 0
        batch = list(dict.fromkeys(pending))
        pending.clear()
        try:
            self.queue.send(batch)
        except Exception:
            log.warning("webhook deliveries not queued; the retry job takes them",
                        extra={"deliveries": len(batch)}, exc_info=True)
            return 0
        return len(batch)
