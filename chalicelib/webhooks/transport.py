"""The SSRF-safe POST of one delivery. Written here rather than with requests/urllib3:
the check has to sit between name resolution and connect (resolve, check every address,
then connect to exactly the address that was checked, with TLS still verified against the
host name), which neither library exposes; http.client from the standard library lets the
connection be opened on a chosen address and adds nothing to the Lambda zip.

Deployed stages refuse loopback (also the Lambda runtime API on 127.0.0.1:9001), private,
link-local (the instance metadata address 169.254.169.254 among them), CGNAT 100.64/10,
multicast, reserved and unspecified addresses, and IPv4-mapped/-translated IPv6; the local
stack allows loopback only (contract: http://127.0.0.1:<port>, http://localhost:<port>).
No redirects are followed (a 3xx is a failed attempt); one 10-second budget covers
resolving, connecting, TLS, sending and the answer; of the answer only the status and at
most 1 KB are read."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import urlsplit

TIMEOUT_SECONDS = 10.0
EXCERPT_BYTES = 1024
USER_AGENT = "freigabe-webhooks/1"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
# IPv6 prefixes that carry an IPv4 address (NAT64, 6to4, Teredo, IPv4-compatible): an
# attacker's way around the IPv4 checks.
_EMBEDS_V4 = tuple(ipaddress.ip_network(n) for n in (
    "64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/32", "::/96"))


class DeliveryError(Exception):
    """An attempt that got no 2xx for a reason of ours or the network's; ``code`` is what
    the delivery log shows (never the address or URL)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str


def refusal(address: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why the sender must not connect to ``address``, or None."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return "ipv4_mapped"
        if any(address in net for net in _EMBEDS_V4) and not address.is_loopback:
            return "ipv4_embedded"
        if address.scope_id:
            return "scoped"
    if address.is_loopback:
        return None if allow_loopback else "loopback"
    if address.is_link_local:
        return "link_local"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return "cgnat"
    if address.is_private:
        return "private"
    if (address.is_multicast or address.is_reserved or address.is_unspecified
            or not address.is_global):
        return "not_global"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _resolve_within(resolve: Resolver, host: str, port: int, seconds: float) -> list[str]:
    """getaddrinfo has no timeout of its own: it runs in a helper thread that is left
    behind (not waited for) when the attempt's budget is over."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(resolve, host, port).result(timeout=seconds)
    except FutureTimeout as exc:
        raise DeliveryError("dns_timeout") from exc
    finally:
        pool.shutdown(wait=False)


def checked_address(host: str, port: int, *, allow_loopback: bool,
                    resolve: Resolver = system_resolver,
                    timeout: float = TIMEOUT_SECONDS) -> str:
    """The address to connect to. Every address the name resolves to must pass: a name
    that also resolves to a private address is refused as a whole (rebinding)."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
        candidates = [str(literal)]
    except ValueError:
        try:
            candidates = _resolve_within(resolve, host, port, timeout)
        except (OSError, UnicodeError) as exc:
            raise DeliveryError("dns_failed") from exc
    if not candidates:
        raise DeliveryError("dns_failed")
    for candidate in candidates:
        reason = refusal(ipaddress.ip_address(candidate.split("%", 1)[0]),
                         allow_loopback=allow_loopback)
        if reason:
            raise DeliveryError(f"address_refused:{reason}")
    return candidates[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float,
                 context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._tls = context

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        # SNI and certificate check against the host name, not the address.
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


class Transport:
    def __init__(self, *, allow_loopback: bool, resolve: Resolver = system_resolver,
                 timeout: float = TIMEOUT_SECONDS) -> None:
        self.allow_loopback = allow_loopback
        self.resolve = resolve
        self.timeout = timeout
        self._tls = ssl.create_default_context()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise DeliveryError("url_refused")
        if parts.scheme == "http" and not self.allow_loopback:
            raise DeliveryError("url_refused")
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
        deadline = time.monotonic() + self.timeout
        address = checked_address(host, port, allow_loopback=self.allow_loopback,
                                  resolve=self.resolve, timeout=self.timeout)
        if parts.scheme == "http" and ipaddress.ip_address(address).is_loopback is False:
            raise DeliveryError("url_refused")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        remaining = max(0.1, deadline - time.monotonic())
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = _PinnedHTTPSConnection(host, port, address, remaining, self._tls)
        else:
            conn = _PinnedHTTPConnection(host, port, address, remaining)
        try:
            conn.request("POST", path, body=body, headers={
                **headers, "Content-Type": "application/json", "User-Agent": USER_AGENT})
            if conn.sock is not None:
                conn.sock.settimeout(max(0.1, deadline - time.monotonic()))
            response = conn.getresponse()
            excerpt = response.read(EXCERPT_BYTES)
            if time.monotonic() > deadline:
                raise DeliveryError("timeout")
            return Answer(response.status, excerpt.decode("utf-8", "replace"))
        except DeliveryError:
            raise
        except TimeoutError as exc:
            raise DeliveryError("timeout") from exc
        except ssl.SSLError as exc:
            raise DeliveryError("tls_failed") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise DeliveryError("connection_failed") from exc
        finally:
            conn.close()
