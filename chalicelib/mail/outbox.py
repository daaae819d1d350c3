"""The mail outbox: every mail is first written in the same transaction as the state
change that causes it, then sent at once; a failed or throttled send is retried by the
``mail-retry`` job with backoff. Conditional writes on the outbox record make every
mail go out once, however often a request or a job event is retried."""

from __future__ import annotations

import logging
import re
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.clock import Clock, epoch_seconds, iso
from chalicelib.errors import Unavailable
from chalicelib.mail.message import Mailbox, MailMessage
from chalicelib.mail.ses import Mailer, MailError
from chalicelib.metrics import MAILS_FAILED, MAILS_SENT, MAILS_SUPPRESSED, Recorder
from chalicelib.metrics import NULL as NULL_METRICS
from chalicelib.storage.dynamo import (
    Condition,
    ConditionFailed,
    Item,
    Table,
    Transaction,
    Update,
)

log = logging.getLogger("freigabe.mail")

DUE_SHARDS = 4
MARK_SENT_PAUSE = 0.2  # seconds before recording a sent mail again after a throttle
SENT_RECORD_DAYS = 90


@dataclass
class Screening:
    """The suppression-list verdict on a mail, decided inside the transaction that staged
    it (a guard on the list's item), so the send needs no lookup of its own."""

    suppressed: bool = False

    def mark_suppressed(self) -> None:
        self.suppressed = True


@dataclass(frozen=True)
class OutboxMail:
    mail_id: str
    kind: str
    message: MailMessage
    # What the mail is about, so a permanent failure can be shown there ("undeliverable").
    ref_kind: str | None = None
    ref_id: str | None = None
    attempts: int = 0
    due_sk: str | None = None
    # Set by ``Outbox.stage``; a mail read back from the store (mail-retry) has none and
    # is looked up again, since an address can be suppressed in the meantime.
    screening: Screening | None = field(default=None, compare=False)


@dataclass
class DeliveryReport:
    due: int = 0
    sent: int = 0
    rescheduled: int = 0
    failed: int = 0
    skipped: int = 0
    suppressed: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        result = {"due": self.due, "sent": self.sent, "rescheduled": self.rescheduled,
                  "failed": self.failed, "skipped": self.skipped}
        if self.suppressed:
            result["suppressed"] = self.suppressed
        return result


class OutboxStore(Protocol):
    def stage(self, tx: Transaction, mail: OutboxMail, now: datetime, claim_until: datetime
              ) -> None: ...
    def mark_sent(self, mail_id: str, provider_id: str, now: datetime) -> bool: ...
    def reschedule(self, mail_id: str, due: datetime, error: str) -> None: ...
    def mark_failed(self, mail_id: str, error: str, now: datetime,
                    status: str = "failed") -> None: ...
    def due(self, now: datetime, limit: int) -> list[OutboxMail]: ...
    def claim(self, mail: OutboxMail, until: datetime) -> OutboxMail | None: ...


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, … minutes after the n-th failed attempt, capped at an hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def _due_sk(moment: datetime, mail_id: str) -> str:
    return f"{iso(moment)}#{mail_id}"


def _shard(mail_id: str) -> str:
    return f"MAILDUE#{zlib.crc32(mail_id.encode()) % DUE_SHARDS}"


class DynamoOutboxStore:
    def __init__(self, core: Table) -> None:
        self.core = core

    @staticmethod
    def key(mail_id: str) -> tuple[str, str]:
        return f"MAIL#{mail_id}", "MAIL"

    def stage(self, tx: Transaction, mail: OutboxMail, now: datetime, claim_until: datetime
              ) -> None:
        pk, sk = self.key(mail.mail_id)
        msg = mail.message
        item: dict[str, Any] = {
            "pk": pk, "sk": sk, "mail_id": mail.mail_id, "kind": mail.kind,
            "status": "pending", "attempts": 1, "created_at": iso(now),
            "to": list(msg.to), "subject": msg.subject, "text": msg.text, "html": msg.html,
            "reply_to_email": msg.reply_to.email if msg.reply_to else None,
            "reply_to_name": msg.reply_to.name if msg.reply_to else None,
            "tags": dict(msg.tags), "ref_kind": mail.ref_kind, "ref_id": mail.ref_id,
            # The request that stages the mail sends it; the job may take over after this.
            "due_pk": _shard(mail.mail_id), "due_sk": _due_sk(claim_until, mail.mail_id),
        }
        tx.put(self.core, item, condition=Condition("attribute_not_exists({pk})"),
               label=f"mail:{mail.mail_id}")

    def mark_sent(self, mail_id: str, provider_id: str, now: datetime) -> bool:
        # Bodies and addresses go once sent: they hold personal data and live links.
        update = Update(
            sets={"status": "sent", "sent_at": iso(now), "provider_id": provider_id,
                  "expires_ttl": epoch_seconds(now + timedelta(days=SENT_RECORD_DAYS))},
            removes=["due_pk", "due_sk", "text", "html", "to", "subject",
                     "reply_to_email", "reply_to_name"],
        )
        try:
            self.core.update(*self.key(mail_id), update, Condition("{status} = {:p}", p="pending"))
        except ConditionFailed:
            return False
        return True

    def reschedule(self, mail_id: str, due: datetime, error: str) -> None:
        update = Update(sets={"due_sk": _due_sk(due, mail_id), "last_error": error})
        try:
            self.core.update(*self.key(mail_id), update, Condition("{status} = {:p}", p="pending"))
        except ConditionFailed:
            log.warning("outbox record changed while rescheduling", extra={"mail_id": mail_id})

    def mark_failed(self, mail_id: str, error: str, now: datetime,
                    status: str = "failed") -> None:
        update = Update(
            sets={"status": status, "failed_at": iso(now), "last_error": error,
                  "expires_ttl": epoch_seconds(now + timedelta(days=SENT_RECORD_DAYS))},
            removes=["due_pk", "due_sk", "text", "html", "to", "subject",
                     "reply_to_email", "reply_to_name"],
        )
        try:
            self.core.update(*self.key(mail_id), update, Condition("{status} = {:p}", p="pending"))
        except ConditionFailed:
            log.warning("outbox record changed while failing", extra={"mail_id": mail_id})

    def due(self, now: datetime, limit: int) -> list[OutboxMail]:
        bound = iso(now) + "#~"
        mails: list[OutboxMail] = []
        for shard in range(DUE_SHARDS):
            start: dict[str, Any] | None = None
            while len(mails) < limit:
                items, start = self.core.query(
                    Condition("{due_pk} = {:p} AND {due_sk} <= {:b}", p=f"MAILDUE#{shard}",
                              b=bound),
                    index="due", limit=limit - len(mails), start_key=start,
                )
                mails.extend(_from_item(i) for i in items if i.get("status") == "pending")
                if start is None:
                    break
        return mails

    def claim(self, mail: OutboxMail, until: datetime) -> OutboxMail | None:
        update = Update(sets={"due_sk": _due_sk(until, mail.mail_id)}, adds={"attempts": 1})
        try:
            item = self.core.update(
                *self.key(mail.mail_id), update,
                Condition("{status} = {:p} AND {due_sk} = {:d}", p="pending", d=mail.due_sk),
            )
        except ConditionFailed:
            return None
        return _from_item(item)


def _from_item(item: Item) -> OutboxMail:
    reply_to = (
        Mailbox(item["reply_to_email"], item.get("reply_to_name"))
        if item.get("reply_to_email") else None
    )
    message = MailMessage(
        to=list(item.get("to") or []), subject=item.get("subject", ""),
        text=item.get("text", ""), html=item.get("html", ""), reply_to=reply_to,
        tags=dict(item.get("tags") or {}),
    )
    return OutboxMail(
        mail_id=item["mail_id"], kind=item["kind"], message=message,
        ref_kind=item.get("ref_kind"), ref_id=item.get("ref_id"),
        attempts=int(item.get("attempts", 0)), due_sk=item.get("due_sk"),
    )


FailureHandler = Callable[..., None]
SES_TAG_VALUE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class SuppressionList(Protocol):
    def suppressed(self, addresses: list[str]) -> set[str]: ...

    def guard(self, tx: Transaction, addresses: list[str],
              otherwise: Callable[[], None]) -> None:
        """Adds to ``tx`` a check that no address is listed; ``otherwise`` runs instead
        when one is."""
        ...


class Outbox:
    def __init__(self, store: OutboxStore, mailer: Mailer, clock: Clock, *,
                 max_attempts: int, claim_seconds: int,
                 suppressions: SuppressionList | None = None,
                 metrics: Recorder = NULL_METRICS) -> None:
        self.store = store
        self.metrics = metrics
        self.suppressions = suppressions
        self.mailer = mailer
        self.clock = clock
        self.max_attempts = max_attempts
        self.claim_seconds = claim_seconds
        self._failure_handlers: dict[str, FailureHandler] = {}
        self._with_agency: set[str] = set()

    def on_permanent_failure(self, ref_kind: str, handler: FailureHandler, *,
                             with_agency: bool = False) -> None:
        """``handler(ref_id, mail_kind)`` (plus ``agency_id=`` when ``with_agency``) runs when
        a mail about ``ref_kind`` is given up, suppressed, or bounced permanently (SES
        feedback). Handlers must be idempotent: a bounce may be reported twice."""
        self._failure_handlers[ref_kind] = handler
        if with_agency:
            self._with_agency.add(ref_kind)

    def undeliverable(self, ref_kind: str, ref_id: str, mail_kind: str, *,
                      agency_id: str | None = None) -> bool:
        handler = self._failure_handlers.get(ref_kind)
        if handler is None or not ref_id:
            return False
        if ref_kind in self._with_agency:
            if not agency_id:
                return False
            handler(ref_id, mail_kind, agency_id=agency_id)
        else:
            handler(ref_id, mail_kind)
        return True

    @staticmethod
    def _tagged(mail: OutboxMail) -> MailMessage:
        """The message with the tags SES hands back in bounce notifications."""
        tags = {k: v for k, v in mail.message.tags.items() if SES_TAG_VALUE.match(v)}
        for name, value in (("kind", mail.kind), ("ref_kind", mail.ref_kind),
                            ("ref_id", mail.ref_id)):
            if value and SES_TAG_VALUE.match(value):
                tags[name] = value
        return replace(mail.message, tags=tags)

    def stage(self, tx: Transaction, mails: Iterable[OutboxMail]) -> list[OutboxMail]:
        now = self.clock.now()
        staged = []
        for mail in mails:
            mail = replace(mail, attempts=1)
            if self.suppressions is not None:
                screening = Screening()
                mail = replace(mail, screening=screening)
                self.suppressions.guard(tx, list(mail.message.to), screening.mark_suppressed)
            self.store.stage(tx, mail, now, now + timedelta(seconds=self.claim_seconds))
            staged.append(mail)
        return staged

    def deliver(self, mails: Iterable[OutboxMail], report: DeliveryReport | None = None
                ) -> DeliveryReport:
        """Sends mails this process has staged or claimed. Never raises for mail or
        storage errors: the state change that caused the mail has already happened, and a
        503 now would make the client repeat it (a second registration)."""
        report = report or DeliveryReport()
        for mail in mails:
            try:
                self._attempt(mail, report)
            except Unavailable:
                # The record stays pending; the job takes it over once the claim ends.
                report.errors.append("storage_throttled")
                log.warning("outbox record not updated: DynamoDB throttled",
                            extra={"mail_id": mail.mail_id, "kind": mail.kind})
        return report

    def retry_due(self, limit: int = 500) -> DeliveryReport:
        now = self.clock.now()
        report = DeliveryReport()
        for mail in self.store.due(now, limit):
            report.due += 1
            claimed = self.store.claim(mail, now + timedelta(seconds=self.claim_seconds))
            if claimed is None:
                report.skipped += 1
                continue
            self._attempt(claimed, report)
        return report

    def _attempt(self, mail: OutboxMail, report: DeliveryReport) -> None:
        now = self.clock.now()
        if self._suppressed(mail):
            # Never send to a suppressed address; record it as such (not silently dropped).
            self.store.mark_failed(mail.mail_id, "suppressed", now, status="suppressed")
            report.suppressed += 1
            self.metrics.count(MAILS_SUPPRESSED)
            log.warning("mail suppressed", extra={"mail_id": mail.mail_id, "kind": mail.kind})
            self.undeliverable(mail.ref_kind or "", mail.ref_id or "", mail.kind,
                               agency_id=mail.message.tags.get("agency"))
            return
        try:
            provider_id = self.mailer.send(self._tagged(mail), sent_at=now)
        except MailError as exc:
            report.errors.append(exc.code)
            if exc.transient and mail.attempts < self.max_attempts:
                self.store.reschedule(mail.mail_id, now + backoff(mail.attempts), exc.code)
                report.rescheduled += 1
                log.warning("mail send deferred",
                            extra={"mail_id": mail.mail_id, "error": exc.code,
                                   "attempts": mail.attempts})
                return
            self.store.mark_failed(mail.mail_id, exc.code, now)
            report.failed += 1
            self.metrics.count(MAILS_FAILED)
            log.error("mail given up", extra={"mail_id": mail.mail_id, "error": exc.code})
            self.undeliverable(mail.ref_kind or "", mail.ref_id or "", mail.kind,
                               agency_id=mail.message.tags.get("agency"))
            return
        self.metrics.count(MAILS_SENT)
        if self._mark_sent(mail, provider_id, now):
            report.sent += 1
        else:
            # Someone else finished this record in between; the send already happened.
            log.warning("outbox record was not pending after send",
                        extra={"mail_id": mail.mail_id})
            report.sent += 1

    def _suppressed(self, mail: OutboxMail) -> bool:
        if mail.screening is not None:
            return mail.screening.suppressed
        return self.suppressions is not None and bool(
            self.suppressions.suppressed(list(mail.message.to)))

    def _mark_sent(self, mail: OutboxMail, provider_id: str, now: datetime) -> bool:
        """The send has happened: record it, trying once more after a throttle (a record
        left pending would be sent again by the job once its claim ends)."""
        try:
            return self.store.mark_sent(mail.mail_id, provider_id, now)
        except Unavailable:
            time.sleep(MARK_SENT_PAUSE)
            return self.store.mark_sent(mail.mail_id, provider_id, now)
