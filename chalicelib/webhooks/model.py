"""Webhook rules without I/O: the event types and the ``data`` each carries (contract
"Webhooks"), what a registration accepts, the retry schedule and give-up rule, and what an
erased person's pending deliveries keep."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from chalicelib.validation import single_line

REGISTRATION_CREATED = "registration.created"
REGISTRATION_UNLOCKED = "registration.unlocked"
REGISTRATION_DENIED = "registration.denied"
REVIEW_PUBLISHED = "review.published"
REVIEW_HIDDEN = "review.hidden"
CONSENT_GIVEN = "address.consent_given"
DELETION_REQUESTED = "address.deletion_requested"
STORE_UNTIL_CHANGED = "address.store_until_changed"
ADDRESS_DELETED = "address.deleted"
PING = "ping"

# What an agency can subscribe to; ``ping`` is sent on request to one webhook only.
EVENT_TYPES = (REGISTRATION_CREATED, REGISTRATION_UNLOCKED, REGISTRATION_DENIED,
               REVIEW_PUBLISHED, REVIEW_HIDDEN, CONSENT_GIVEN, DELETION_REQUESTED,
               STORE_UNTIL_CHANGED, ADDRESS_DELETED)

# The prospect's own fields in registration.created: what an erasure takes out of a
# delivery that has not gone out yet (ids, status and times stay: they identify nobody).
PERSONAL_FIELDS = {
    REGISTRATION_CREATED: ("first_name", "last_name", "email", "phone", "street", "zip",
                           "city", "message"),
    REVIEW_PUBLISHED: ("title",),
    REVIEW_HIDDEN: ("title",),
}

MAX_WEBHOOKS_PER_AGENCY = 10
SECRET_PREFIX = "whsec_"  # noqa: S105 - the scheme's prefix, not a secret
# The old secret keeps signing this long after a rotation (contract: 24 h).
ROTATION_OVERLAP = timedelta(hours=24)
# A failed delivery can be retried while its body is kept; the record goes with it.
BODY_DAYS = 30

# Delays after the n-th failed attempt. Up to SQS_MAX_DELAY the retry rides on the queue's
# own delay; longer ones wait in the due index for job ``webhook-retry``. Attempt 9 is
# the last: 9 attempts over 27 h 21 min (contract: ≥ 8 attempts over ≥ 24 h), then failed.
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15),
                timedelta(hours=1), timedelta(hours=2), timedelta(hours=4),
                timedelta(hours=8), timedelta(hours=12))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
SQS_MAX_DELAY = timedelta(minutes=15)


def retry_delay(attempts: int) -> timedelta | None:
    """The wait after ``attempts`` failed attempts of one series, or None: give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return RETRY_DELAYS[max(0, attempts - 1)]


def new_signing_secret() -> str:
    """``whsec_`` + base64 of 32 random bytes (contract: ≥ 24)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def event_id(agency_id: str, event_type: str, key: str) -> str:
    """Stable for one change: the same committed change always names the same event (so a
    retried attempt carries the same ``webhook-id``), two changes never share one."""
    digest = hashlib.sha256(f"{agency_id}\x00{event_type}\x00{key}".encode()).digest()
    return "evt_" + base64.b32encode(digest[:20]).decode("ascii").rstrip("=").lower()


def body(event_type: str, timestamp: str, data: dict[str, Any]) -> str:
    """The exact bytes that are signed and sent, on every attempt."""
    return json.dumps({"type": event_type, "timestamp": timestamp, "data": data},
                      ensure_ascii=False, separators=(",", ":"))


def scrubbed(raw: str) -> str | None:
    """The body without the person's data, or None when it carries none."""
    payload = json.loads(raw)
    fields = PERSONAL_FIELDS.get(payload.get("type", ""), ())
    data = payload.get("data") or {}
    if not any(data.get(name) is not None for name in fields):
        return None
    payload["data"] = {**data, **dict.fromkeys(fields)}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def _url(value: str) -> str:
    value = single_line(value)
    if len(value) > 2000:
        raise ValueError("ist zu lang (höchstens 2000 Zeichen)")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise ValueError("ist keine gültige URL") from exc
    if parts.username or parts.password:
        raise ValueError("darf keine Zugangsdaten enthalten")
    if not parts.hostname or any(c.isspace() for c in value):
        raise ValueError("ist keine gültige URL")
    if parts.scheme == "https":
        return value
    # Locally (contract): also http://127.0.0.1:<port>/… and http://localhost:<port>/…;
    # the route refuses these outside the local stage.
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost") and port:
        return value
    raise ValueError("muss mit https:// beginnen")


def is_local_http(url: str) -> bool:
    return urlsplit(url).scheme == "http"


class WebhookInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: Annotated[str, AfterValidator(_url)]
    events: list[str] = Field(min_length=1, max_length=len(EVENT_TYPES))
    description: Annotated[str, AfterValidator(single_line)] | None = Field(
        default=None, max_length=200)

    @field_validator("events")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [v for v in value if v not in EVENT_TYPES]
        if unknown:
            raise ValueError("unbekannter Ereignistyp; erlaubt: " + ", ".join(EVENT_TYPES))
        return list(dict.fromkeys(value))
