"""SES feedback: bounce and complaint notifications (SNS, from the configuration set's
event destination) feed our own suppression list and flag what the mail was about.

Duplicates and out-of-order delivery are harmless: suppressing is an idempotent upsert
that keeps the earliest time, and every effect is a flag that is set once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.clock import Clock, iso
from chalicelib.mail.outbox import Outbox
from chalicelib.storage.dynamo import Condition, Table, Transaction, Update

log = logging.getLogger("freigabe.mail.feedback")

# Tag names the outbox puts on every mail (SES returns them in the notification).
TAG_KIND, TAG_REF_KIND, TAG_REF_ID, TAG_AGENCY = "kind", "ref_kind", "ref_id", "agency"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Recipient(_Model):
    email_address: str = Field(alias="emailAddress")


class Bounce(_Model):
    bounce_type: str = Field(alias="bounceType")  # Permanent | Transient | Undetermined
    bounce_sub_type: str = Field(default="", alias="bounceSubType")
    recipients: list[Recipient] = Field(alias="bouncedRecipients", min_length=1)
    timestamp: datetime | None = None
    feedback_id: str = Field(default="", alias="feedbackId")


class Complaint(_Model):
    recipients: list[Recipient] = Field(alias="complainedRecipients", min_length=1)
    timestamp: datetime | None = None
    feedback_id: str = Field(default="", alias="feedbackId")


class Mail(_Model):
    message_id: str = Field(alias="messageId")
    destination: list[str] = Field(default_factory=list)
    # Event publishing: {"name": ["value"]}.
    tags: dict[str, list[str]] = Field(default_factory=dict)


class SesNotification(_Model):
    # Configuration-set event publishing says "eventType"; identity notifications say
    # "notificationType". Both carry the same bounce/complaint objects.
    event_type: str | None = Field(default=None, alias="eventType")
    notification_type: str | None = Field(default=None, alias="notificationType")
    mail: Mail
    bounce: Bounce | None = None
    complaint: Complaint | None = None

    @property
    def kind(self) -> str:
        return (self.event_type or self.notification_type or "").lower()

    def tag(self, name: str) -> str | None:
        values = self.mail.tags.get(name) or []
        return values[0] if values else None


def normalize(address: str) -> str:
    return address.strip().lower()


class Suppressions:
    """Our own suppression list (core table), keyed by a keyed hash of the address: the
    list needs to answer "is this address suppressed", never to list addresses."""

    def __init__(self, core: Table, clock: Clock, hash_key: str) -> None:
        self.core = core
        self.clock = clock
        self.hash_key = hash_key

    def key(self, address: str) -> tuple[str, str]:
        from chalicelib.hashing import keyed_hash

        return f"SUPPRESS#{keyed_hash(self.hash_key, 'suppress', normalize(address))}", "SUPPRESS"

    def suppressed(self, addresses: list[str]) -> set[str]:
        return {a for a in addresses if self.core.get(*self.key(a), consistent=False)}

    def guard(self, tx: Transaction, addresses: list[str],
              otherwise: Callable[[], None]) -> None:
        for address in addresses:
            tx.guard(self.core, *self.key(address), Condition("attribute_not_exists({pk})"),
                     otherwise=otherwise)

    def suppress(self, address: str, reason: str, at: datetime | None, feedback_id: str) -> None:
        moment = iso(at or self.clock.now())
        update = Update(sets={"reason": reason, "updated_at": iso(self.clock.now())})
        update.sets["first_at"] = moment
        item = self.core.get(*self.key(address))
        if item is not None:
            # Out of order: keep the earliest event and the first reason.
            update = Update(sets={"updated_at": iso(self.clock.now()),
                                  "first_at": min(item.get("first_at", moment), moment)})
        if feedback_id:
            update.adds["feedback_ids"] = {feedback_id}
        self.core.update(*self.key(address), update)


    def lift(self, address: str) -> bool:
        """Takes an address off the list (ops ``lift_suppression``: the person fixed their
        mailbox). True when it was listed. A later bounce or complaint suppresses it again."""
        from chalicelib.storage.dynamo import ConditionFailed

        try:
            self.core.delete(*self.key(address), Condition("attribute_exists({pk})"))
        except ConditionFailed:
            return False
        log.info("suppression lifted")
        return True


class FeedbackHandler:
    def __init__(self, suppressions: Suppressions, outbox: Outbox) -> None:
        self.suppressions = suppressions
        self.outbox = outbox

    def handle(self, message: str | dict[str, Any]) -> dict[str, Any]:
        summary: dict[str, Any] = {"type": None, "suppressed": 0, "flagged": False,
                                   "ignored": False}
        try:
            raw = json.loads(message) if isinstance(message, str) else message
            note = SesNotification.model_validate(raw)
        except (ValueError, ValidationError) as exc:
            # Not retryable: a malformed notification stays malformed.
            log.warning("unreadable SES notification", extra={"error": type(exc).__name__})
            summary["ignored"] = True
            return summary
        summary["type"] = note.kind
        if note.kind == "bounce" and note.bounce is not None:
            summary["bounce_type"] = note.bounce.bounce_type
            if note.bounce.bounce_type != "Permanent":
                # Transient bounces (mailbox full, auto-reply) neither suppress nor flag.
                return summary
            reason = f"bounce:{note.bounce.bounce_sub_type or 'General'}"
            for r in note.bounce.recipients:
                self.suppressions.suppress(r.email_address, reason, note.bounce.timestamp,
                                           note.bounce.feedback_id)
                summary["suppressed"] += 1
            summary["flagged"] = self._flag(note)
        elif note.kind == "complaint" and note.complaint is not None:
            for r in note.complaint.recipients:
                self.suppressions.suppress(r.email_address, "complaint",
                                           note.complaint.timestamp, note.complaint.feedback_id)
                summary["suppressed"] += 1
        else:
            summary["ignored"] = True
        return summary

    def _flag(self, note: SesNotification) -> bool:
        ref_kind, ref_id, kind = (note.tag(TAG_REF_KIND), note.tag(TAG_REF_ID),
                                  note.tag(TAG_KIND))
        if not ref_kind or not ref_id or not kind:
            return False
        return self.outbox.undeliverable(ref_kind, ref_id, kind, agency_id=note.tag(TAG_AGENCY))
