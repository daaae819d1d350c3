"""PATCH store_until: null "wird wieder automatisch gesetzt" (contract v2): on an address the
automatic rule applies to now, the date of the most recently archived property +
retention_days is set at once, reason "Objekt archiviert", even if past."""

from __future__ import annotations

from typing import Any

from tests.functional.privacy.support import (
    activity,
    archive,
    create_address,
    create_property,
    day,
    get_address,
    listed,
    patch,
    preview,
    set_day,
    settings,
)


def test_clearing_a_manual_date_reapplies_the_automatic_rule(http: Any, clock: Any) -> None:
    settings(http, retention_days=10)
    person = create_address(http, email="eva@example.org")["address_id"]
    first, second = create_property(http, "Erste"), create_property(http, "Zweite")
    activity(http, person, "inquiry", first)
    activity(http, person, "expose_sent", second)
    archive(http, first)
    set_day(clock, 3)
    archive(http, second)
    assert get_address(http, person)["store_until"] == day(13)
    assert patch(http, person, {"store_until": "2031-01-01",
                                "store_until_reason": "Steuerrecht"}).status == 200
    set_day(clock, 30)
    reply = patch(http, person, {"store_until": None})
    assert reply.status == 200
    body = reply.json
    # the most recently archived property (day 3) + 10 days, though that is past now
    assert body["store_until"] == day(13)
    assert body["store_until_manual"] is False
    assert body["store_until_reason"] == "Objekt archiviert"
    assert person in listed(http, "expired")
    notes = [a["note"] for a in preview(http, person)["activities"]]
    assert any("automatisch auf " + day(13) in (n or "") for n in notes)


def test_no_automatic_date_when_the_rule_does_not_apply(http: Any) -> None:
    person = create_address(http)["address_id"]
    archived, active = create_property(http, "Alt"), create_property(http, "Neu")
    activity(http, person, "inquiry", archived)
    archive(http, archived)
    activity(http, person, "inquiry", active)           # still interested in an active one
    assert patch(http, person, {"store_until": "2031-01-01"}).status == 200
    assert patch(http, person, {"store_until": None}).json["store_until"] is None

    company = create_address(http, salutation="Firma", company="Bau GmbH")["address_id"]
    activity(http, company, "inquiry", archived)
    assert patch(http, company, {"store_until": "2031-01-01"}).status == 200
    assert patch(http, company, {"store_until": None}).json["store_until"] is None

    never = create_address(http)["address_id"]            # no property at all
    assert patch(http, never, {"store_until": "2031-01-01"}).status == 200
    assert patch(http, never, {"store_until": None}).json["store_until"] is None


def test_automatic_mode_off_only_clears(http: Any) -> None:
    person = create_address(http)["address_id"]
    prop = create_property(http)
    activity(http, person, "inquiry", prop)
    archive(http, prop)
    settings(http, auto_store_until=False)
    assert patch(http, person, {"store_until": "2031-01-01"}).status == 200
    assert patch(http, person, {"store_until": None}).json["store_until"] is None
