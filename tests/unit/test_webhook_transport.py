"""The sender's address check (SSRF): every address a host resolves to must be public in
deployed stages; the connection goes to exactly the address that was checked; no
redirects; one 10-second budget; only the status and ≤ 1 KB of the answer are read."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chalicelib.webhooks import model
from chalicelib.webhooks.transport import DeliveryError, Transport, checked_address, refusal

REFUSED = {
    "127.0.0.1": "loopback", "127.8.9.10": "loopback", "::1": "loopback",
    "10.1.2.3": "private", "172.16.0.1": "private", "192.168.1.1": "private",
    "169.254.169.254": "link_local", "169.254.0.1": "link_local", "fe80::1": "link_local",
    "100.64.0.1": "cgnat", "100.127.255.254": "cgnat",
    "::ffff:127.0.0.1": "ipv4_mapped", "::ffff:169.254.169.254": "ipv4_mapped",
    "::ffff:10.0.0.1": "ipv4_mapped", "::ffff:8.8.8.8": "ipv4_mapped",
    "64:ff9b::a9fe:a9fe": "ipv4_embedded", "2002:a9fe:a9fe::1": "ipv4_embedded",
    "::a9fe:a9fe": "ipv4_embedded",
    "fc00::1": "private", "fd12:3456::1": "private",
    "0.0.0.0": "private",  # noqa: S104 - an address under test, not a bind
    "224.0.0.1": "not_global", "255.255.255.255": "private",
    "192.0.2.1": "private", "198.18.0.1": "private", "240.0.0.1": "private",
}


@pytest.mark.parametrize("address, reason", sorted(REFUSED.items()))
def test_non_public_addresses_are_refused_when_deployed(address: str, reason: str) -> None:
    assert refusal(ipaddress.ip_address(address), allow_loopback=False) == reason


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2a00:1450:4001:80b::200e",
                                     "100.63.255.255", "100.128.0.1", "172.32.0.1"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal(ipaddress.ip_address(address), allow_loopback=False) is None


def test_the_local_stack_allows_loopback_only() -> None:
    for address in ("127.0.0.1", "::1"):
        assert refusal(ipaddress.ip_address(address), allow_loopback=True) is None
    for address in ("10.0.0.1", "169.254.169.254", "::ffff:127.0.0.1", "100.64.0.1"):
        assert refusal(ipaddress.ip_address(address), allow_loopback=True) is not None


def test_a_name_is_refused_when_any_of_its_addresses_is_not_public() -> None:
    def resolve(host: str, port: int) -> list[str]:
        return {"crm.example": ["93.184.216.34"],
                "rebind.example": ["93.184.216.34", "169.254.169.254"],
                "empty.example": []}[host]

    assert checked_address("crm.example", 443, allow_loopback=False,
                           resolve=resolve) == "93.184.216.34"
    with pytest.raises(DeliveryError, match="address_refused:link_local"):
        checked_address("rebind.example", 443, allow_loopback=False, resolve=resolve)
    with pytest.raises(DeliveryError, match="dns_failed"):
        checked_address("empty.example", 443, allow_loopback=False, resolve=resolve)
    with pytest.raises(DeliveryError, match="address_refused:ipv4_mapped"):
        checked_address("[::ffff:169.254.169.254]", 443, allow_loopback=False,
                        resolve=resolve)


@pytest.fixture
def server() -> Iterator[dict[str, Any]]:
    state: dict[str, Any] = {"requests": 0, "status": 200, "body": b"ok"}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            state["requests"] += 1
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(state["status"])
            if state["status"] in (301, 302, 307, 308):
                self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("Content-Length", str(len(state["body"])))
            self.end_headers()
            self.wfile.write(state["body"])

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    state["port"] = httpd.server_address[1]
    yield state
    httpd.shutdown()
    httpd.server_close()


def test_the_connection_goes_to_the_checked_address(server: dict[str, Any]) -> None:
    """The name resolves to a public address at check time; the connection still goes to
    the address that was checked, never to a second lookup's answer."""
    seen: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        seen.append(host)
        return ["127.0.0.1"]

    transport = Transport(allow_loopback=True, resolve=resolve)
    answer = transport.post(f"http://localhost:{server['port']}/hook", b"{}", {})
    assert answer.status == 200 and seen == ["localhost"]


def test_deployed_refuses_loopback_and_the_lambda_runtime_api(server: dict[str, Any]) -> None:
    transport = Transport(allow_loopback=False,
                          resolve=lambda host, port: ["127.0.0.1"])
    for url in (f"https://127.0.0.1:{server['port']}/hook", "https://127.0.0.1:9001/2018-06-01",
                "https://crm.example/hook", f"http://127.0.0.1:{server['port']}/hook"):
        with pytest.raises(DeliveryError):
            transport.post(url, b"{}", {})
    assert server["requests"] == 0


def test_redirects_are_not_followed_and_only_1_kb_is_read(server: dict[str, Any]) -> None:
    transport = Transport(allow_loopback=True)
    server.update(status=302)
    answer = transport.post(f"http://127.0.0.1:{server['port']}/hook", b"{}", {})
    assert answer.status == 302 and server["requests"] == 1
    server.update(status=500, body=b"x" * 5000)
    answer = transport.post(f"http://127.0.0.1:{server['port']}/hook", b"{}", {})
    assert answer.status == 500 and len(answer.excerpt) == 1024


def test_a_receiver_that_does_not_answer_times_out() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        transport = Transport(allow_loopback=True, timeout=0.5)
        with pytest.raises(DeliveryError, match="timeout"):
            transport.post(f"http://127.0.0.1:{listener.getsockname()[1]}/", b"{}", {})
    finally:
        listener.close()


def test_the_schedule_gives_up_after_at_least_8_attempts_over_24_hours() -> None:
    waits = []
    attempts = 1
    while (delay := model.retry_delay(attempts)) is not None:
        waits.append(delay)
        attempts += 1
    assert attempts == model.MAX_ATTEMPTS >= 8
    assert sum(w.total_seconds() for w in waits) >= 24 * 3600
    assert waits == sorted(waits)
    assert waits[0].total_seconds() <= model.SQS_MAX_DELAY.total_seconds()


def test_scrubbing_keeps_ids_and_drops_the_person() -> None:
    raw = model.body("registration.created", "2026-11-23T09:00:00.000Z", {
        "registration_id": "r", "address_id": "a", "first_name": "Eva", "email": "e@x.org",
        "message": "Hallo", "phone": None})
    data = __import__("json").loads(model.scrubbed(raw) or "")["data"]
    assert data == {"registration_id": "r", "address_id": "a", "first_name": None,
                    "email": None, "message": None, "phone": None, "last_name": None,
                    "street": None, "zip": None, "city": None}
    assert model.scrubbed(model.body("address.deleted", "t", {"address_id": "a"})) is None


def test_a_name_that_does_not_resolve_in_time_fails_within_the_budget() -> None:
    import time

    def slow(host: str, port: int) -> list[str]:
        time.sleep(2)
        return ["93.184.216.34"]

    started = time.monotonic()
    with pytest.raises(DeliveryError, match="dns_timeout"):
        checked_address("slow.example", 443, allow_loopback=False, resolve=slow, timeout=0.2)
    assert time.monotonic() - started < 1.5
