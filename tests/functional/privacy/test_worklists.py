"""The three worklists (issue section 4) through HTTP on moto: their boundaries in Berlin
days from the application clock, the preview data each item carries, pagination, tenant
isolation, and that they Query only the index range of their members."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from tests.conftest import DEMO, OTHER
from tests.functional.privacy.support import (
    ReadCounter,
    activity,
    consent_request,
    create_address,
    day,
    listed,
    ok,
    patch,
    set_day,
    worklist,
)


def dated(http: Any, offset: int | None, status: str = "none", **fields: Any) -> str:
    body: dict[str, Any] = {"gdpr_status": status, **fields}
    if offset is not None:
        body["store_until"] = day(offset)
    return create_address(http, **body)["address_id"]


def test_consent_assistant_lists_dates_from_today_to_28_days_ahead(http):
    ids = {offset: dated(http, offset) for offset in (-1, 0, 27, 28, 29)}
    never = {dated(http, 5, "deletion_requested"), dated(http, 5, "ignore"), dated(http, None)}
    members = listed(http, "consent-assistant")
    assert members == {ids[0], ids[27], ids[28]}
    assert not members & never


def test_the_window_follows_the_berlin_calendar_day(http, clock):
    ids = {offset: dated(http, offset) for offset in (0, 28, 29)}
    # 22:30 UTC on TODAY is 23:30 in Berlin: still TODAY.
    clock.set(datetime(2026, 11, 23, 22, 30, tzinfo=UTC))
    assert listed(http, "consent-assistant") == {ids[0], ids[28]}
    # 23:30 UTC is 00:30 the next day in Berlin.
    clock.set(datetime(2026, 11, 23, 23, 30, tzinfo=UTC))
    assert listed(http, "consent-assistant") == {ids[28], ids[29]}
    assert listed(http, "expired") == {ids[0]}


def test_mailed_addresses_return_14_days_after_the_mail(http, clock, outbox):
    mailed = dated(http, 20, email="eva@example.org")
    other = dated(http, 20, first_name="Nina")
    assert consent_request(http, mailed)["sent"] == [mailed]
    assert listed(http, "consent-assistant") == {other}
    seen = {}
    for offset in (13, 14, 15):
        set_day(clock, offset)
        seen[offset] = mailed in listed(http, "consent-assistant")
    assert seen == {13: False, 14: True, 15: True}
    # ... while the date is not past.
    set_day(clock, 21)
    assert listed(http, "consent-assistant") == set()
    assert listed(http, "expired") == {mailed, other}


def test_the_day_of_store_until(http, clock):
    none_today = dated(http, 3)
    requested_today = dated(http, 3, "deletion_requested")
    requested_undated = dated(http, None, "deletion_requested")
    consented_like = dated(http, -10, "ignore")

    set_day(clock, 2)
    assert listed(http, "deletion-requested") == {requested_undated}
    assert listed(http, "expired") == set()

    set_day(clock, 3)  # the day itself: still stored, not expired; deletion may go ahead
    assert listed(http, "consent-assistant") == {none_today}
    assert listed(http, "deletion-requested") == {requested_undated, requested_today}
    assert listed(http, "expired") == set()

    set_day(clock, 4)
    assert listed(http, "consent-assistant") == set()
    assert listed(http, "deletion-requested") == {requested_undated, requested_today}
    assert listed(http, "expired") == {none_today, requested_today}
    assert consented_like not in listed(http, "expired")


def test_each_item_carries_the_preview_data_and_the_last_five_activities(http, clock):
    address_id = dated(http, 10, store_until_reason="Provisionssicherung")
    notes = []
    for n in range(7):
        clock.advance(minutes=1)
        notes.append(activity(http, address_id, "note", note=f"Gespräch {n}")["note"])
    [item] = worklist(http, "consent-assistant")["addresses"]
    assert item["address_id"] == address_id
    assert (item["gdpr_status"], item["store_until"], item["store_until_reason"],
            item["store_until_manual"]) == ("none", day(10), "Provisionssicherung", True)
    assert item["first_name"] == "Eva" and item["last_consent_request_on"] is None
    assert [a["note"] for a in item["activities"]] == notes[::-1][:5]


def test_lists_page_with_a_cursor_across_both_parts_of_expired(http, clock):
    expired_none = {dated(http, offset, first_name=f"N{offset}") for offset in (-9, -8, -7)}
    expired_requested = {dated(http, offset, "deletion_requested") for offset in (-6, -5)}
    pages: list[list[str]] = []
    cursor = None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = worklist(http, "expired", **query)
        pages.append([a["address_id"] for a in page["addresses"]])
        cursor = page["next_cursor"]
        if not cursor:
            break
    seen = [i for p in pages for i in p]
    assert sorted(seen) == sorted(expired_none | expired_requested)
    assert len(seen) == len(set(seen)) == 5
    assert all(len(p) <= 2 for p in pages)


def test_lists_read_only_their_index_range(http, container, clock):
    """40 addresses dated far ahead and 10 consented or ignored never reach a list's read;
    each list reads exactly its candidates (plus at most the snoozed ones for the consent
    assistant), through Query on the sparse index, never Scan."""
    for n in range(40):
        dated(http, 60 + n, first_name=f"Spaeter{n}")
    for n in range(5):
        dated(http, -3, "ignore", first_name=f"Firma{n}")
    due = {"consent-assistant": {dated(http, 5), dated(http, 28)},
           "deletion-requested": {dated(http, None, "deletion_requested")},
           "expired": {dated(http, -1), dated(http, -2)}}
    counter = ReadCounter().hook(container.dynamodb)
    for name, members in due.items():
        counter.reset()
        assert listed(http, name) == members
        assert not [c for c in counter.calls if c["op"] == "Scan"]
        # The page's read and the total's COUNT each see exactly the candidates.
        reads = counter.on_index("gdpr")
        assert sum(c["scanned"] for c in reads if c["params"].get("Select") != "COUNT") \
            == len(members), (name, reads)
        assert sum(c["scanned"] for c in reads if c["params"].get("Select") == "COUNT") \
            == len(members), (name, reads)
        # Besides the index: the last five activities of each listed address.
        activity_reads = [c for c in counter.calls if c["op"] == "Query" and not c["index"]]
        assert len(activity_reads) == len(members)
        assert all(c["params"]["Limit"] == 5 for c in activity_reads)


def test_lists_are_per_agency_and_a_cursor_cannot_cross(http):
    mine = dated(http, 5)
    theirs = create_address(http, token=OTHER, store_until=day(5))["address_id"]
    assert listed(http, "consent-assistant") == {mine}
    assert listed(http, "consent-assistant", token=OTHER) == {theirs}
    forged = base64.urlsafe_b64encode(f"other#N#{day(0)}#x".encode()).decode().rstrip("=")
    reply = http.get(f"/agency/gdpr/widgets/consent-assistant?cursor={forged}", token=DEMO)
    assert reply.status == 422 and reply.json["error"]["fields"] == {
        "cursor": "Ungültiger Cursor."}


def test_status_changes_move_addresses_between_lists(http):
    address_id = dated(http, 10)
    assert listed(http, "consent-assistant") == {address_id}
    ok(patch(http, address_id, {"gdpr_status": "deletion_requested"}))
    assert listed(http, "consent-assistant") == set()
    assert listed(http, "deletion-requested") == set()  # its date is still ahead
    ok(patch(http, address_id, {"store_until": None}))
    assert listed(http, "deletion-requested") == {address_id}
    ok(patch(http, address_id, {"gdpr_status": "ignore"}))
    assert listed(http, "deletion-requested") == set()
