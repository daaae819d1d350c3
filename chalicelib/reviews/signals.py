"""IP signals for the checks. Only a keyed hash of an IP is ever stored, and loopback,
private, link-local and other non-global addresses carry no signal (behind proxies and on
the local stack everybody shares them), so they are ignored everywhere.

``AgencyIpLog`` remembers on which days an agency's authenticated API calls came from an
IP: at most one conditional write per agency, IP hash and day, skipped through an
in-process cache, and never failing the request it is called from.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import threading
from collections import OrderedDict
from datetime import date, timedelta

from chalicelib import ratelimit
from chalicelib.clock import Clock, berlin_date, epoch_seconds
from chalicelib.hashing import keyed_hash
from chalicelib.storage.dynamo import Condition, ConditionFailed, Item, Table, Update

log = logging.getLogger("freigabe.reviews")
CACHE_SIZE = 10_000


def signal_ip(ip: str | None) -> str | None:
    """The address in canonical form if it can identify someone, else ``None``."""
    if not ip:
        return None
    try:
        parsed = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    if not parsed.is_global or parsed.is_multicast:
        return None
    # IPv6: the /64 a subscriber holds, not one of its 2^64 addresses (issue 19).
    return ratelimit.ip_subject(str(parsed))


def ip_key(hash_key: str, ip: str | None) -> str | None:
    """The keyed hash of a signal-carrying IP, or ``None`` for addresses without signal."""
    canonical = signal_ip(ip)
    return keyed_hash(hash_key, "ip", canonical) if canonical else None


def agency_ip_key(agency_id: str, ip_hash: str) -> tuple[str, str]:
    return f"AGENCYIP#{agency_id}#{ip_hash}", "SEEN"


class AgencyIpLog:
    def __init__(self, core: Table, clock: Clock, hash_key: str, window_days: int) -> None:
        self.core = core
        self.clock = clock
        self.hash_key = hash_key
        self.window_days = window_days
        self._seen: OrderedDict[tuple[str, str, date], None] = OrderedDict()
        self._lock = threading.Lock()

    def record(self, agency_id: str | None, ip: str | None) -> None:
        """Notes that ``agency_id`` called the API from ``ip`` today. Never raises."""
        try:
            ip_hash = ip_key(self.hash_key, ip)
            if not agency_id or ip_hash is None:
                return
            today = berlin_date(self.clock.now())
            cache_key = (agency_id, ip_hash, today)
            with self._lock:
                if cache_key in self._seen:
                    return
                self._seen[cache_key] = None
                while len(self._seen) > CACHE_SIZE:
                    self._seen.popitem(last=False)
            expires = self.clock.now() + timedelta(days=self.window_days + 2)
            # Another process may have recorded today already: then the condition fails.
            with contextlib.suppress(ConditionFailed):
                self.core.update(
                    *agency_ip_key(agency_id, ip_hash),
                    Update(sets={"last_seen": today.isoformat(), "agency_id": agency_id,
                                 "expires_ttl": epoch_seconds(expires)}),
                    Condition("attribute_not_exists({last_seen}) OR {last_seen} < {:today}",
                              today=today.isoformat()),
                )
        except Exception:
            log.warning("agency IP not recorded", exc_info=True)

    def is_recent(self, item: Item | None) -> bool:
        """Whether an ``agency_ip_key`` item (the caller reads it with the other check
        lookups in one batch) says the agency's API calls came from this IP within the
        window."""
        if not item or not item.get("last_seen"):
            return False
        since = berlin_date(self.clock.now()) - timedelta(days=self.window_days)
        return date.fromisoformat(item["last_seen"]) >= since
