"""Worklists page with a cursor and answer the size of the whole list (``total``), the same
on every page (contract v2)."""

from __future__ import annotations

from typing import Any

from tests.conftest import OTHER
from tests.functional.privacy.support import (
    ReadCounter,
    consent_request,
    create_address,
    day,
    patch,
    worklist,
)


def pages(http: Any, name: str, limit: int = 2) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        body = worklist(http, name, limit=limit, **({"cursor": cursor} if cursor else {}))
        found.append(body)
        cursor = body["next_cursor"]
        if not cursor:
            return found


def test_total_is_the_whole_list_on_every_page(http: Any, clock: Any) -> None:
    due = [create_address(http, last_name=f"N{i}", email=f"n{i}@example.org",
                          store_until=day(i + 1))["address_id"] for i in range(7)]
    create_address(http, last_name="Later", store_until=day(40))       # outside the window
    create_address(http, token=OTHER, last_name="Other", store_until=day(3))
    assert consent_request(http, due[0])["sent"] == [due[0]]          # mailed: not listed
    answer = pages(http, "consent-assistant")
    assert [p["total"] for p in answer] == [6, 6, 6]
    listed = [a["address_id"] for p in answer for a in p["addresses"]]
    assert listed == due[1:]


def test_totals_of_deletion_requested_and_expired(http: Any, clock: Any) -> None:
    for i in range(5):
        a = create_address(http, last_name=f"R{i}")["address_id"]
        assert patch(http, a, {"gdpr_status": "deletion_requested"}).status == 200
    create_address(http, last_name="Kept", gdpr_status="deletion_requested",
                   store_until=day(10))                                   # future date
    for i in range(3):
        create_address(http, last_name=f"E{i}", store_until=day(-1 - i))
    requested = pages(http, "deletion-requested")
    assert {p["total"] for p in requested} == {5}
    assert sum(len(p["addresses"]) for p in requested) == 5
    expired = pages(http, "expired", limit=1)
    assert [p["total"] for p in expired] == [3, 3, 3]
    # the list changes: the next request's total says so
    a = expired[0]["addresses"][0]["address_id"]
    assert patch(http, a, {"store_until": "2030-01-01"}).status == 200
    assert worklist(http, "expired")["total"] == 2


def test_total_costs_counts_over_the_list_ranges_only(http: Any, container: Any) -> None:
    for i in range(4):
        create_address(http, last_name=f"E{i}", store_until=day(-2))
    create_address(http, last_name="Soon", store_until=day(5))
    counter = ReadCounter().hook(container.dynamodb)
    body = worklist(http, "expired", limit=2)
    assert body["total"] == 4
    selects = [c["params"].get("Select") for c in counter.on_index("gdpr")]
    assert "COUNT" in selects
    assert all(c["op"] != "Scan" for c in counter.calls)
    # the count reads only what is in the list's ranges
    assert sum(c["scanned"] for c in counter.on_index("gdpr")
               if c["params"].get("Select") == "COUNT") == 4
