"""The per-recipient mail cap (v2 contract, Tours): mail that an anonymous request causes
to an address that request supplied (a registration's unlock or "request received" mail,
a review's confirm mail) goes out at most ``mail_per_recipient_per_day`` times a UTC day
per recipient, across all tours and agencies. Over it the request answers as usual (no
enumeration) but sends nothing, and its record shows ``mail_suppressed``.

A ``chalicelib.ratelimit`` counter per recipient and UTC day, named by a keyed hash of the
normalised address (never the address); the increment rides in the request's own
transaction with the label ``mail_cap``. When only that condition fails, the caller sends
the transaction again without the counter and without the mail.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib import ratelimit
from chalicelib.hashing import keyed_hash
from chalicelib.storage.dynamo import Table, Transaction
from chalicelib.validation import email_key

LABEL = "mail_cap"


def counter(hash_key: str, email: str, now: datetime) -> str:
    return f"mail-recipient#{keyed_hash(hash_key, 'mail-recipient', email_key(email))}#" \
           f"{now.strftime('%Y%m%d')}"


def stage(tx: Transaction, core: Table, hash_key: str, email: str, now: datetime,
          limit: int) -> None:
    ratelimit.stage(tx, core, LABEL, counter(hash_key, email, now), limit, now,
                    keep=timedelta(days=2))


def only_cap_failed(failed: set[str]) -> bool:
    return failed == {LABEL}
