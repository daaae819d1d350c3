"""Brute-force limits of the /auth routes, on top of Cognito's own: per client IP and per
account, fixed windows of the application clock in counter items of the core table
(``THROTTLE#<scope>#<keyed hash>#<window>``; the subject is never stored, TTL cleans up).

Written here rather than on the registration rate limits because those live inside the
registration's transaction; these count attempts that change nothing else. As everywhere
in the product, loopback and private addresses carry no signal (the local stack and
proxies share them) and are not limited per IP; an IPv6 client counts by its /64.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass

from chalicelib.clock import Clock
from chalicelib.errors import RateLimited
from chalicelib.ratelimit import ip_subject
from chalicelib.storage.dynamo import Condition, Table, Transaction, Update


@dataclass(frozen=True)
class Limit:
    scope: str
    limit: int
    window_seconds: int


# Per IP: every attempt; per account: failed attempts (then refused until the window ends,
# even with the right password).
SIGN_IN_IP = Limit("signin-ip", 60, 900)
SIGN_IN_ACCOUNT = Limit("signin-account", 5, 900)
FORGOT_IP = Limit("forgot-ip", 20, 3600)
# Beyond this, forgot-password answers as always but sends no further mail.
FORGOT_ACCOUNT = Limit("forgot-account", 3, 3600)
RESET_IP = Limit("reset-ip", 30, 900)
# The label of a limit staged in a transaction (``stage_hit``).
LIMIT_LABEL = "limit"


def client_subject(ip: str | None) -> str | None:
    """The IP to count (``ratelimit.ip_subject``: an IPv6 client by its /64), or ``None``
    for one that identifies nobody (loopback, private, link-local)."""
    try:
        parsed = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return ip_subject(str(parsed)) if parsed.is_global else None


class AuthThrottle:
    def __init__(self, core: Table, clock: Clock, hash_key: str) -> None:
        self.core = core
        self.clock = clock
        self.hash_key = hash_key.encode("utf-8")

    def _key(self, limit: Limit, subject: str) -> tuple[str, str, int, int]:
        now = int(self.clock.now().timestamp())
        window = now // limit.window_seconds
        digest = hmac.new(self.hash_key, f"{limit.scope}:{subject.lower()}".encode(),
                          hashlib.sha256).hexdigest()[:32]
        ends = (window + 1) * limit.window_seconds
        return f"THROTTLE#{limit.scope}#{digest}#{window}", "THROTTLE", ends, ends - now

    def hit_ip(self, limit: Limit, ip: str | None) -> int:
        return self.hit(limit, client_subject(ip))

    def hit(self, limit: Limit, subject: str | None) -> int:
        """Counts one attempt; 429 once the window's count is above the limit."""
        if not subject:
            return 0
        pk, sk, ends, retry = self._key(limit, subject)
        item = self.core.update(pk, sk, Update(adds={"count": 1},
                                               sets={"ttl": ends + 86400}))
        count = int(item.get("count", 0))
        if count > limit.limit:
            raise RateLimited(retry_after=max(1, retry))
        return count

    def stage_hit(self, tx: Transaction, limit: Limit, subject: str) -> None:
        """Counts one attempt with the transaction it belongs to; the transaction fails on
        the label ``LIMIT_LABEL`` once the window's count has reached the limit."""
        pk, sk, ends, _ = self._key(limit, subject)
        tx.update(self.core, pk, sk, Update(adds={"count": 1}, sets={"ttl": ends + 86400}),
                  condition=Condition("attribute_not_exists({count}) OR {count} < {:limit}",
                                      limit=limit.limit), label=LIMIT_LABEL)

    def check(self, limit: Limit, subject: str | None) -> None:
        """429 if the window's count already reached the limit (counts nothing)."""
        if not subject:
            return
        pk, sk, _, retry = self._key(limit, subject)
        item = self.core.get(pk, sk, consistent=True)
        if item is not None and int(item.get("count", 0)) >= limit.limit:
            raise RateLimited(retry_after=max(1, retry))

    def reached(self, limit: Limit, subject: str) -> bool:
        try:
            self.check(limit, subject)
        except RateLimited:
            return True
        return False
