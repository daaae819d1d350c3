"""The agency's webhooks (contract "Webhooks"): register, list, delete, rotate the
secret, ping, the delivery log and a manual retry; and webhooks as a holder of personal
data (the Art. 15 export lists pending deliveries about a person, an erasure scrubs them)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from chalicelib.clock import Clock, iso, parse_iso
from chalicelib.errors import Conflict, Gone, NotFound, Unavailable, ValidationFailed
from chalicelib.secrets_util import new_id
from chalicelib.storage import cursor
from chalicelib.storage.cursor import Page
from chalicelib.storage.dynamo import ConditionFailed, Item, Transaction, TransactionCancelled
from chalicelib.storage.retry import Retry, optimistic
from chalicelib.validation import validate_model
from chalicelib.webhooks import model
from chalicelib.webhooks.events import Events
from chalicelib.webhooks.repository import WebhookRepository
from chalicelib.webhooks.signing import SecretBox

# A deliveries cursor carries a delivery id (the sort key's tail).
DELIVERY_ID = re.compile(r"[a-z2-7]{26}")


def public_webhook(item: Item) -> dict[str, Any]:
    return {"webhook_id": item["webhook_id"], "url": item["url"], "events": item["events"],
            "description": item.get("description"), "created_at": item["created_at"],
            "secret_rotated_at": item.get("secret_rotated_at")}


def public_delivery(item: Item) -> dict[str, Any]:
    pending = item["status"] == "pending"
    return {"delivery_id": item["delivery_id"], "event_id": item["event_id"],
            "type": item["type"], "status": item["status"], "attempts": int(item["attempts"]),
            "last_status_code": item.get("last_status_code"),
            "next_attempt_at": item.get("next_attempt_at") if pending else None,
            "created_at": item["created_at"], "last_attempt_at": item.get("last_attempt_at"),
            "last_error": item.get("last_error"), "last_response": item.get("last_response")}


class WebhookService:
    def __init__(self, repo: WebhookRepository, events: Events, box: SecretBox, clock: Clock,
                 *, local_urls: bool) -> None:
        self.repo = repo
        self.events = events
        self.box = box
        self.clock = clock
        self.local_urls = local_urls

    def _owned(self, agency_id: str, webhook_id: str) -> Item:
        item = self.repo.get(agency_id, webhook_id)
        if item is None:
            raise NotFound("Webhook nicht gefunden.")
        return item

    def create(self, agency_id: str, payload: Any) -> dict[str, Any]:
        data = validate_model(model.WebhookInput, payload)
        if model.is_local_http(data.url) and not self.local_urls:
            raise ValidationFailed({"url": "muss mit https:// beginnen"})
        now = self.clock.now()
        webhook_id = new_id()
        secret = model.new_signing_secret()
        item = {"webhook_id": webhook_id, "agency_id": agency_id, "url": data.url,
                "events": data.events, "description": data.description,
                "created_at": iso(now), "version": 1,
                "secrets": [{"sealed": self.box.seal(agency_id, webhook_id, secret),
                             "created_at": iso(now), "retire_at": None}]}
        item["pk"], item["sk"] = f"WH#{agency_id}", webhook_id

        def attempt(_number: int) -> dict[str, Any]:
            count = self.repo.count(agency_id)
            if count >= model.MAX_WEBHOOKS_PER_AGENCY:
                raise Conflict(f"Höchstens {model.MAX_WEBHOOKS_PER_AGENCY} Webhooks je Agentur.",
                               code="webhook_limit")
            tx = Transaction(self.repo.core.client)
            self.repo.create(tx, item, expected_count=count)
            try:
                tx.execute()
            except TransactionCancelled as exc:
                if "count" in exc.failed or exc.conflict:
                    raise Retry() from exc
                raise
            self.events.forget(agency_id)
            return {**public_webhook(item), "secret": secret}

        return optimistic(attempt)

    def list_webhooks(self, agency_id: str) -> dict[str, Any]:
        return {"webhooks": [public_webhook(i) for i in self.repo.of_agency(agency_id)
                             if not i["sk"].startswith("#")]}

    def get(self, agency_id: str, webhook_id: str) -> dict[str, Any]:
        return public_webhook(self._owned(agency_id, webhook_id))

    def delete(self, agency_id: str, webhook_id: str) -> dict[str, Any]:
        item = self._owned(agency_id, webhook_id)
        tx = Transaction(self.repo.core.client)
        self.repo.delete(tx, item)
        try:
            tx.execute()
        except TransactionCancelled as exc:
            if exc.conflict and not exc.failed:
                raise Unavailable(retry_after=1) from exc
            raise NotFound("Webhook nicht gefunden.") from exc
        self.events.forget(agency_id)
        return {"webhook_id": webhook_id, "deleted": True}

    def rotate_secret(self, agency_id: str, webhook_id: str) -> dict[str, Any]:
        item = self._owned(agency_id, webhook_id)
        now = self.clock.now()
        secret = model.new_signing_secret()
        newest = (item.get("secrets") or [])[:1]
        retire_at = iso(now + model.ROTATION_OVERLAP)
        kept = [{**s, "retire_at": s.get("retire_at") or retire_at} for s in newest
                if not s.get("retire_at") or parse_iso(s["retire_at"]) > now]
        sealed = [{"sealed": self.box.seal(agency_id, webhook_id, secret),
                   "created_at": iso(now), "retire_at": None}, *kept]
        try:
            self.repo.replace_secrets(item, sealed, now)
        except ConditionFailed as exc:
            raise Conflict("Der Webhook wurde gleichzeitig geändert. Bitte erneut versuchen.",
                           code="version_conflict") from exc
        return {**public_webhook({**item, "secret_rotated_at": iso(now)}), "secret": secret,
                "previous_secret_valid_until": retire_at if kept else None}

    def ping(self, agency_id: str, webhook_id: str) -> dict[str, Any]:
        self._owned(agency_id, webhook_id)
        tx = Transaction(self.repo.core.client)
        delivery_id = self.events.stage_direct(tx, agency_id, webhook_id, model.PING, {},
                                               key=new_id())
        try:
            tx.execute()
        except TransactionCancelled as exc:
            raise Unavailable(retry_after=1) from exc
        return {"webhook_id": webhook_id, "delivery_id": delivery_id, "status": "pending"}

    def deliveries(self, agency_id: str, webhook_id: str, page: Page) -> dict[str, Any]:
        limit = page.limit  # before the lookup: a bad limit is 422 even for an unknown webhook
        self._owned(agency_id, webhook_id)
        items, last = self.repo.deliveries(webhook_id, limit, page.after(shape=DELIVERY_ID))
        return {"deliveries": [public_delivery(i) for i in items],
                "next_cursor": cursor.encode(last) if last else None}

    def retry(self, agency_id: str, webhook_id: str, delivery_id: str) -> dict[str, Any]:
        self._owned(agency_id, webhook_id)
        item = self.repo.delivery(webhook_id, delivery_id)
        if item is None:
            raise NotFound("Zustellung nicht gefunden.")
        now = self.clock.now()
        expired = parse_iso(item["created_at"]) + timedelta(days=model.BODY_DAYS) <= now
        if item["status"] != "failed":
            raise Conflict("Nur fehlgeschlagene Zustellungen können wiederholt werden.",
                           code="not_failed")
        if expired or not item.get("body"):
            raise Gone("Der Inhalt dieser Zustellung ist nach 30 Tagen gelöscht worden.",
                       code="delivery_expired")
        if not self.repo.restart(item, now):
            raise Conflict("Nur fehlgeschlagene Zustellungen können wiederholt werden.",
                           code="not_failed")
        from chalicelib.webhooks.events import Staged

        self.events.queue_later(Staged(webhook_id, delivery_id))
        return {**public_delivery({**item, "status": "pending",
                                   "next_attempt_at": iso(now)})}

    # -- personal data (a holder in the erasure and the export) --------------------------

    def export_person(self, agency_id: str, address_id: str) -> list[dict[str, Any]]:
        """The deliveries that still carry the person's data, with that data."""
        return [{**public_delivery(d), "webhook_id": d["webhook_id"],
                 "data": json.loads(d["body"]).get("data")}
                for d in self.repo.about(agency_id, address_id)]

    def erase_person(self, agency_id: str, address_id: str) -> int:
        """Takes the person's data out of every delivery not gone out yet (pending, or
        failed and retryable); idempotent, so a replayed erasure scrubs restored ones."""
        scrubbed = 0
        for delivery in self.repo.about(agency_id, address_id):
            self.repo.scrub(delivery, model.scrubbed(delivery["body"]))
            scrubbed += 1
        self.repo.forget_subject(agency_id, address_id)
        return scrubbed
