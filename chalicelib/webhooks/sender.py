"""The sender: one attempt of one delivery, whoever asks (the SQS handler for first
attempts and short retries, job ``webhook-retry`` for long ones and for anything whose
message was lost). Each attempt is claimed by a conditional write first, so the same
message twice, or the queue and the job at once, make one attempt; an attempt that
crashed after its POST is repeated, with the same ``webhook-id``, once its claim ends."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.clock import Clock, parse_iso
from chalicelib.metrics import NULL as NULL_METRICS
from chalicelib.metrics import (
    WEBHOOK_ATTEMPT_FAILED,
    WEBHOOK_DELIVERED,
    WEBHOOK_GIVEN_UP,
    Recorder,
)
from chalicelib.webhooks import model, signing
from chalicelib.webhooks.events import DeliveryQueue, Staged
from chalicelib.webhooks.repository import WebhookRepository
from chalicelib.webhooks.transport import DeliveryError, Transport

log = logging.getLogger("freigabe.webhooks")

# An attempt takes at most the transport's 10 s; its claim lasts longer than the sender's
# Lambda timeout (30 s), so only a crashed attempt is ever taken over.
CLAIM_SECONDS = 60


@dataclass
class SendReport:
    due: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"due": self.due, "delivered": self.delivered, "retrying": self.retrying,
                "failed": self.failed, "skipped": self.skipped}


def current_secrets(webhook: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """The newest secret and, for 24 h after a rotation, the one it replaced."""
    return [s for s in webhook.get("secrets") or []
            if not s.get("retire_at") or parse_iso(s["retire_at"]) > now]


class Sender:
    def __init__(self, repo: WebhookRepository, box: signing.SecretBox, transport: Transport,
                 queue: DeliveryQueue, clock: Clock, *,
                 metrics: Recorder = NULL_METRICS) -> None:
        self.repo = repo
        self.box = box
        self.transport = transport
        self.queue = queue
        self.clock = clock
        self.metrics = metrics

    def handle_messages(self, bodies: list[str]) -> dict[str, Any]:
        """The SQS handler's work. A malformed message is dropped (it can never succeed)."""
        report = SendReport()
        for raw in bodies:
            try:
                message = json.loads(raw)
                webhook_id, delivery_id = message["webhook_id"], message["delivery_id"]
                if not (isinstance(webhook_id, str) and isinstance(delivery_id, str)):
                    raise TypeError
            except (ValueError, KeyError, TypeError):
                report.errors.append("malformed_message")
                continue
            self.attempt(webhook_id, delivery_id, report)
        return report.as_dict()

    def retry_due(self, limit: int = 200, should_stop: Callable[[], bool] = lambda: False
                  ) -> dict[str, Any]:
        report = SendReport()
        for item in self.repo.due(self.clock.now(), limit):
            if should_stop():
                break
            report.due += 1
            self.attempt(item["webhook_id"], item["delivery_id"], report)
        return report.as_dict()

    def attempt(self, webhook_id: str, delivery_id: str, report: SendReport) -> None:
        now = self.clock.now()
        item = self.repo.claim(webhook_id, delivery_id, now, now + timedelta(seconds=CLAIM_SECONDS))
        if item is None:
            report.skipped += 1  # not pending, not due, held by another attempt, or unknown
            return
        webhook = self.repo.get(item["agency_id"], webhook_id)
        if webhook is None:
            self.repo.finish(item, status="failed", code=None, error="webhook_deleted", now=now)
            report.failed += 1
            return
        code: int | None = None
        excerpt = ""
        try:
            secrets = [self.box.open(webhook["agency_id"], webhook_id, s["sealed"])
                       for s in current_secrets(webhook, now)]
            headers = signing.headers(item["event_id"], item["body"], secrets)
            answer = self.transport.post(webhook["url"], item["body"].encode("utf-8"), headers)
            code, excerpt = answer.status, answer.excerpt
            error = None if 200 <= answer.status < 300 else f"http_{answer.status}"
        except DeliveryError as exc:
            error = exc.code
        done = self.clock.now()
        if error is None:
            self.repo.finish(item, status="delivered", code=code, error=None, now=done)
            self.metrics.count(WEBHOOK_DELIVERED)
            report.delivered += 1
            return
        self.metrics.count(WEBHOOK_ATTEMPT_FAILED)
        # Status and error code only: the URL, the address and the answer stay out of logs.
        log.info("webhook attempt failed", extra={"delivery_id": delivery_id, "error": error,
                                                  "attempts": item["attempts"]})
        series = int(item["attempts"]) - int(item.get("base_attempts", 0))
        delay = model.retry_delay(series)
        if delay is None:
            self.repo.finish(item, status="failed", code=code, error=error, now=done,
                             excerpt=excerpt)
            self.metrics.count(WEBHOOK_GIVEN_UP)
            report.failed += 1
            return
        if self.repo.finish(item, status="pending", code=code, error=error, now=done,
                            next_attempt=done + delay, excerpt=excerpt) and delay <= model.SQS_MAX_DELAY:
            try:
                self.queue.send([Staged(webhook_id, delivery_id)],
                                delay_seconds=int(delay.total_seconds()))
            except Exception:
                log.warning("webhook retry not queued", extra={"delivery_id": delivery_id})
        report.retrying += 1
