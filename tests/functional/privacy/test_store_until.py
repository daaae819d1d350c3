"""Store-until, exactly as onOffice (issue section 2), through HTTP on moto: the automatic
date on archiving a property and each of its exclusions, manual dates, and the reset by
renewed interest in an active property (also from a tour registration)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import DEMO, OTHER, registration_payload
from tests.functional.privacy.support import (
    ReadCounter,
    activity,
    archive,
    consent_request,
    create_address,
    create_property,
    day,
    get_address,
    lead_with_archived_property,
    ok,
    patch,
    preview,
    relate,
    settings,
)
from tests.support import links_of
from tests.support import links_of as links_in

ARCHIVE_REASON = "Objekt archiviert"


def assert_untouched(http: Any, address_id: str, expected_until: str | None = None) -> None:
    address = get_address(http, address_id)
    assert address["store_until"] == expected_until
    assert address["store_until_reason"] != ARCHIVE_REASON


def gdpr_notes(http: Any, address_id: str) -> list[str]:
    return [a["note"] for a in preview(http, address_id)["activities"] if a["type"] == "gdpr"]


# -- the rule ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["appointment", "expose_sent", "revocation_confirmed",
                                  "inquiry"])
def test_archive_dates_every_interested_party_and_explains_it(http, clock, kind):
    settings(http, retention_days=30)
    interested = create_address(http)["address_id"]
    bystander = create_address(http, first_name="Nina", email="nina@example.org")["address_id"]
    property_id = create_property(http, "Altbau Mitte")
    activity(http, interested, kind, property_id)
    activity(http, bystander, "note", property_id, note="Hat nur angerufen")  # no interest

    clock.advance(minutes=5)
    result = archive(http, property_id)
    assert result["status"] == "archived" and result["archived_on"] == day(0)
    assert result["store_until_set"] == [interested]
    assert result["excluded"] == []

    address = get_address(http, interested)
    assert address["store_until"] == day(30)
    assert address["store_until_reason"] == ARCHIVE_REASON
    assert address["store_until_manual"] is False
    view = preview(http, interested)
    assert view["store_until"] == day(30) and view["store_until_manual"] is False
    newest = view["activities"][0]
    assert newest["type"] == "gdpr" and newest["property_id"] == property_id
    assert day(30) in newest["note"] and ARCHIVE_REASON in newest["note"]
    assert_untouched(http, bystander)


def test_default_retention_is_180_days_and_auto_mode_on(http):
    assert ok(http.get("/agency/gdpr/settings", token=DEMO)) == {
        "auto_store_until": True, "retention_days": 180, "auto_delete_expired": False,
        "custom_reasons": [], "store_until_reasons": [
            "Provisionssicherung", "Steuerrecht", "Geldwäschegesetz", "Vertragsverhältnis",
            "Rechtsstreit"]}
    address_id, property_id = lead_with_archived_property(http)
    archive(http, property_id)
    assert get_address(http, address_id)["store_until"] == day(180)


def test_auto_mode_off_archives_without_dates(http):
    settings(http, auto_store_until=False)
    address_id, property_id = lead_with_archived_property(http)
    result = archive(http, property_id)
    assert result["status"] == "archived" and result["store_until_set"] == []
    assert_untouched(http, address_id)
    assert gdpr_notes(http, address_id) == []


# -- each exclusion ------------------------------------------------------------------------

def test_excluded_while_interested_in_another_active_property(http, clock):
    address_id, first = lead_with_archived_property(http)
    second = create_property(http, "Dachgeschoss")
    activity(http, address_id, "expose_sent", second)
    result = archive(http, first)
    assert result["excluded"] == [{"address_id": address_id,
                                   "reason": "interested_in_active_property"}]
    assert_untouched(http, address_id)
    # Once the other one is archived too, nothing active is left: now the date is set.
    clock.advance(days=2)
    assert archive(http, second)["store_until_set"] == [address_id]
    assert get_address(http, address_id)["store_until"] == day(182)


def test_interest_in_an_unknown_or_archived_property_does_not_exclude(http, clock):
    address_id, property_id = lead_with_archived_property(http)
    activity(http, address_id, "inquiry", "objekt-17")  # a tour's free-text id, no property
    old = create_property(http, "Verkauft")
    activity(http, address_id, "appointment", old)
    archive(http, old)
    clock.advance(days=1)
    assert archive(http, property_id)["store_until_set"] == [address_id]
    assert get_address(http, address_id)["store_until"] == day(181)


def test_excluded_when_consented(http, outbox):
    address_id, property_id = lead_with_archived_property(http, email="eva@example.org")
    consent_request(http, address_id)
    [link] = links_of(outbox()[-1], "consent")
    assert http.form_post(link).status == 200
    assert get_address(http, address_id)["gdpr_status"] == "consented"
    assert archive(http, property_id)["excluded"] == [{"address_id": address_id,
                                                       "reason": "consented"}]
    assert_untouched(http, address_id)


def test_excluded_when_ignored(http):
    address_id, property_id = lead_with_archived_property(http, gdpr_status="ignore")
    assert archive(http, property_id)["excluded"] == [{"address_id": address_id,
                                                       "reason": "ignored"}]
    assert_untouched(http, address_id)


@pytest.mark.parametrize("role", ["owner", "buyer", "tenant"])
def test_excluded_as_owner_buyer_or_tenant_of_any_property(http, role):
    address_id, property_id = lead_with_archived_property(http)
    other = create_property(http, "Zinshaus")
    assert ok(relate(http, other, address_id, role), 201) == {
        "property_id": other, "address_id": address_id, "role": role,
        "created_at": get_address(http, address_id)["updated_at"]}
    archive(http, other)  # the relation counts whether its property is active or not
    assert archive(http, property_id)["excluded"] == [{"address_id": address_id,
                                                       "reason": "owner_buyer_tenant"}]
    assert_untouched(http, address_id)
    assert preview(http, address_id)["relations"] == [f"{other}#{role}"]


def test_excluded_as_company_with_salutation_firma_and_a_company_name(http, clock):
    company, property_id = lead_with_archived_property(http, salutation="Firma",
                                                       company="Muster Bau GmbH")
    no_name = create_address(http, salutation="Firma", first_name="Kai")["address_id"]
    activity(http, no_name, "inquiry", property_id)
    result = archive(http, property_id)
    assert result["excluded"] == [{"address_id": company, "reason": "company"}]
    assert result["store_until_set"] == [no_name]
    assert_untouched(http, company)


def test_excluded_when_assigned_to_a_user(http):
    address_id, property_id = lead_with_archived_property(http, user_id="makler-anna")
    assert archive(http, property_id)["excluded"] == [{"address_id": address_id,
                                                       "reason": "assigned_to_user"}]
    assert_untouched(http, address_id)


def test_excluded_with_a_manual_date_which_stays_as_it_is(http):
    address_id, property_id = lead_with_archived_property(
        http, store_until=day(800), store_until_reason="Steuerrecht")
    assert archive(http, property_id)["excluded"] == [{"address_id": address_id,
                                                       "reason": "manual_date"}]
    address = get_address(http, address_id)
    assert (address["store_until"], address["store_until_reason"],
            address["store_until_manual"]) == (day(800), "Steuerrecht", True)


# -- manual versus automatic ---------------------------------------------------------------

def test_patch_sets_a_manual_date_and_null_makes_it_automatic_again(http, clock):
    address_id, property_id = lead_with_archived_property(http)
    changed = ok(patch(http, address_id, {"store_until": day(400),
                                           "store_until_reason": "Provisionssicherung"}))
    assert (changed["store_until"], changed["store_until_manual"],
            changed["store_until_reason"]) == (day(400), True, "Provisionssicherung")
    assert archive(http, property_id)["excluded"][0]["reason"] == "manual_date"
    # Renewed interest never clears a manual date.
    active = create_property(http, "Neubau")
    assert activity(http, address_id, "inquiry", active)["store_until_reset"] is False
    assert get_address(http, address_id)["store_until"] == day(400)

    cleared = ok(patch(http, address_id, {"store_until": None}))
    assert (cleared["store_until"], cleared["store_until_manual"],
            cleared["store_until_reason"]) == (None, False, None)
    clock.advance(days=3)
    assert archive(http, active)["store_until_set"] == [address_id]
    assert get_address(http, address_id)["store_until"] == day(183)
    notes = gdpr_notes(http, address_id)
    assert any("manuell auf " + day(400) in n for n in notes)
    assert any("wieder automatisch" in n for n in notes)


def test_a_manual_date_replaces_an_automatic_one(http):
    address_id, property_id = lead_with_archived_property(http)
    archive(http, property_id)
    assert get_address(http, address_id)["store_until_manual"] is False
    changed = ok(patch(http, address_id, {"store_until": day(10)}))
    assert (changed["store_until"], changed["store_until_manual"],
            changed["store_until_reason"]) == (day(10), True, None)


# -- reset ---------------------------------------------------------------------------------

def test_renewed_interest_in_an_active_property_clears_the_automatic_date(http, clock):
    address_id, property_id = lead_with_archived_property(http)
    archive(http, property_id)
    still_active = create_property(http, "Neubau")
    clock.advance(days=1)
    # Interest in the archived property, or a note, changes nothing.
    assert activity(http, address_id, "inquiry", property_id)["store_until_reset"] is False
    assert activity(http, address_id, "note", still_active)["store_until_reset"] is False
    assert get_address(http, address_id)["store_until"] == day(180)

    clock.advance(minutes=1)
    assert activity(http, address_id, "appointment", still_active)["store_until_reset"] is True
    address = get_address(http, address_id)
    assert (address["store_until"], address["store_until_reason"],
            address["store_until_manual"]) == (None, None, False)
    newest = preview(http, address_id)["activities"][0]
    assert newest["type"] == "gdpr" and "zurückgesetzt" in newest["note"]
    assert day(180) in newest["note"]


def test_a_verified_tour_registration_for_an_active_property_resets_in_the_unlock(
        http, clock, make_tour, container, outbox):
    """Issue 19: the registration itself changes nothing (unverified); the unlock POST
    applies the reset rule with one read besides the link (address + property)."""
    active = create_property(http, "Altbau mit Tour", property_id="objekt-17")
    address = create_address(http, email="eva@example.org")
    address_id = address["address_id"]
    archived = create_property(http, "Alt")
    activity(http, address_id, "inquiry", archived)
    archive(http, archived)
    assert get_address(http, address_id)["store_until"] == day(180)
    tour = make_tour("email", property_id=active)
    unknown_tour = make_tour("email", property_id="gibt-es-nicht")

    def unlock() -> None:
        message = [m for m in outbox() if links_in(m, "unlock")][-1]
        assert http.form_post(links_in(message, "unlock")[-1]).status == 303

    clock.advance(minutes=1)
    counter = ReadCounter().hook(container.dynamodb)
    reply = http.post(f"/tours/{unknown_tour['tour_id']}/registrations", registration_payload())
    assert reply.status == 202
    unlock()
    assert get_address(http, address_id)["store_until"] == day(180)  # unknown: not active

    reply = http.post(f"/tours/{tour['tour_id']}/registrations", registration_payload())
    assert reply.status == 202
    assert get_address(http, address_id)["store_until"] == day(180)  # not verified yet
    counter.reset()
    unlock()
    reads = [c for c in counter.calls if c["op"] in ("GetItem", "BatchGetItem", "Query")
             and not str(c["params"].get("Key", {}).get("pk", {}).get("S", "")
                         ).startswith("SUPPRESS#")]
    # The link, then the address and the property in one round trip.
    assert [c["op"] for c in reads] == ["GetItem", "BatchGetItem"]
    assert len(reads[1]["params"]["RequestItems"]["test-addresses"]["Keys"]) == 2
    assert [c["op"] for c in counter.calls].count("TransactWriteItems") == 1

    address = get_address(http, address_id)
    assert (address["store_until"], address["store_until_manual"]) == (None, False)
    notes = gdpr_notes(http, address_id)
    assert "zurückgesetzt" in notes[0]
    # The verified inquiry makes it an interested party of the tour's property.
    assert preview(http, address_id)["interest_properties"] == sorted([archived, active,
                                                                        "gibt-es-nicht"])


def test_a_registration_does_not_reset_a_manual_date(http, make_tour):
    active = create_property(http, "Altbau mit Tour")
    address_id = create_address(http, email="eva@example.org", store_until=day(90))[
        "address_id"]
    tour = make_tour("manual", property_id=active)
    assert http.post(f"/tours/{tour['tour_id']}/registrations",
                     registration_payload()).status == 202
    assert get_address(http, address_id)["store_until"] == day(90)


def test_a_registration_for_a_deletion_requested_lead_keeps_it_in_its_list(http, make_tour,
                                                                           clock, outbox):
    address_id, archived = lead_with_archived_property(http, email="eva@example.org")
    archive(http, archived)
    ok(patch(http, address_id, {"gdpr_status": "deletion_requested"}))
    active = create_property(http, "Neubau")
    tour = make_tour("email", property_id=active)
    clock.advance(minutes=1)
    assert http.post(f"/tours/{tour['tour_id']}/registrations",
                     registration_payload()).status == 202
    message = [m for m in outbox() if links_in(m, "unlock")][-1]
    assert http.form_post(links_in(message, "unlock")[-1]).status == 303
    address = get_address(http, address_id)
    assert (address["store_until"], address["gdpr_status"]) == (None, "deletion_requested")
    # Without a date it is due for deletion at once (onOffice: 00.00.0000).
    listed = ok(http.get("/agency/gdpr/widgets/deletion-requested", token=DEMO))["addresses"]
    assert [a["address_id"] for a in listed] == [address_id]


# -- archive itself ------------------------------------------------------------------------

def test_archive_twice_is_409_and_foreign_or_unknown_is_404(http):
    property_id = create_property(http)
    archive(http, property_id)
    again = http.post(f"/agency/properties/{property_id}/archive", token=DEMO)
    assert again.status == 409 and again.json["error"]["code"] == "already_archived"
    assert http.post(f"/agency/properties/{property_id}/archive", token=OTHER).status == 404
    assert http.post("/agency/properties/nope/archive", token=DEMO).status == 404
    assert ok(http.get(f"/agency/properties/{property_id}", token=DEMO))["status"] == "archived"
    assert http.get(f"/agency/properties/{property_id}", token=OTHER).status == 404
