"""Issue 19, hole 3: per-IP limits key on the IPv6 /64 (a subscriber's whole network), so
rotating through the 2^64 addresses of one /64 no longer escapes them."""

from __future__ import annotations

import pytest

from chalicelib import ratelimit
from chalicelib.reviews.signals import ip_key
from chalicelib.tours.registration import ip_rate_key
from tests.conftest import registration_payload
from tests.functional.reviews.support import source_ip


@pytest.mark.parametrize(("ip", "subject"), [
    ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
    ("2001:DB8:1:2:0:0:0:7", "2001:db8:1:2::/64"),
    ("::ffff:81.169.145.10", "81.169.145.10"), ("81.169.145.10", "81.169.145.10"),
    ("garbage", "garbage"),
])
def test_the_subject_of_an_ip_limit(ip, subject):
    assert ratelimit.ip_subject(ip) == subject


def test_addresses_of_one_64_share_their_counters_and_signals():
    a, b, other = "2a01:238:20a:202::1", "2a01:238:20a:202:dead:beef:1:2", "2a01:238:20a:203::1"
    assert ip_rate_key("k", "t", a, "2026120209") == ip_rate_key("k", "t", b, "2026120209")
    assert ip_rate_key("k", "t", a, "2026120209") != ip_rate_key("k", "t", other, "2026120209")
    assert ip_key("k", a) == ip_key("k", b) != ip_key("k", other)


def test_rotating_ipv6_addresses_within_a_64_hits_the_per_ip_limit(http, make_tour,
                                                                    container, monkeypatch):
    tight = container.settings.model_copy(update={"rate_per_ip_per_hour": 3})
    monkeypatch.setattr(container.tours.registration, "settings", tight)
    tour = make_tour("email")
    statuses = []
    for n in range(5):
        with source_ip(f"2a01:238:20a:202::{n + 1:x}"):
            reply = http.post(f"/tours/{tour['tour_id']}/registrations",
                              registration_payload(email=f"p{n}@example.org"))
        statuses.append(reply.status)
    assert statuses == [202, 202, 202, 429, 429]
    # Another /64 is another subscriber.
    with source_ip("2a01:238:20a:203::1"):
        assert http.post(f"/tours/{tour['tour_id']}/registrations",
                         registration_payload(email="q@example.org")).status == 202
