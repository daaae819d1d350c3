"""Fixed one-hour rate limits counted in the core table (tour registrations, review
submissions). Owns the ``RATE#`` items:

- ``RATE#<counter>#<window>`` / ``RATE``  ``n`` requests in the window (TTL two hours)

The caller names the counter (``reg-email#<tour>#<hash>``: never a plain email or IP, see
``chalicelib.hashing``) and stages the increment into its own transaction, conditioned on
``n < limit``: an over-limit request cancels the whole transaction, its label tells the
caller to answer 429 with ``Retry-After``, and nothing is written. DynamoDB's TTL is only
clean-up here (an expired counter belongs to a past window's key and is never read).
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

from chalicelib.clock import epoch_seconds
from chalicelib.storage.dynamo import Condition, Table, Transaction, Update

WINDOW = timedelta(hours=1)
KEEP = timedelta(hours=2)


def ip_subject(ip: str) -> str:
    """What a per-IP limit counts: an IPv4 address, or the /64 network of an IPv6 address
    (one subscriber gets a whole /64 and may use any of its 2^64 addresses, so keying on
    the full address left IPv6 clients unlimited; issue 19). IPv4-mapped IPv6 counts as
    its IPv4 address; anything unparseable is counted as given."""
    try:
        parsed = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ip
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def window(now: datetime) -> tuple[str, int]:
    """The window's key (``YYYYMMDDHH``) and the seconds until it ends (≥ 1)."""
    start = now.replace(minute=0, second=0, microsecond=0)
    remaining = int((start + WINDOW - now).total_seconds())
    return start.strftime("%Y%m%d%H"), max(1, remaining)


def counter_key(counter: str) -> tuple[str, str]:
    """The item of ``counter`` (its name already ends with the window key)."""
    return f"RATE#{counter}", "RATE"


def stage(tx: Transaction, core: Table, label: str, counter: str, limit: int,
          now: datetime, keep: timedelta = KEEP) -> None:
    """Counts one request; the transaction fails with ``label`` once ``limit`` is reached.
    ``keep``: how long the counter outlives ``now`` (longer for a longer window, such as
    the per-recipient mail cap's day, chalicelib/mail/recipient_cap.py)."""
    tx.update(core, *counter_key(counter),
              Update(adds={"n": 1}, sets={"expires_ttl": epoch_seconds(now + keep)}),
              condition=Condition("attribute_not_exists({n}) OR {n} < {:limit}", limit=limit),
              label=label)
