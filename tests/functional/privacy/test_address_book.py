"""Every registration lands in the agency's address book: one address per email and agency,
an ``inquiry`` activity per registration carrying the tour's property. Until the prospect
unlocks (or the agency approves) the lead is unverified: a new address holds only the
email, a known one is not changed (issue 19, tests/hardening/test_unverified_leads.py)."""

from __future__ import annotations

from typing import Any

from tests.conftest import DEMO, OTHER, registration_payload, tour_payload
from tests.support import links_of as links_in
from tests.support import register


def find(http: Any, email: str, token: str = DEMO) -> list[dict[str, Any]]:
    reply = http.get(f"/agency/addresses?email={email}", token=token)
    assert reply.status == 200, reply.body
    return reply.json["addresses"]


def preview(http: Any, address_id: str, token: str = DEMO) -> dict[str, Any]:
    reply = http.get(f"/agency/addresses/{address_id}/preview", token=token)
    assert reply.status == 200, reply.body
    return reply.json



def verify(http: Any, outbox: Any, registered: dict[str, Any], token: str = DEMO) -> None:
    """The prospect's unlock POST (E-Mail-Freigabe) or the agency's approval (manual)."""
    if registered["status"] == "pending_approval":
        assert http.post(f"/agency/registrations/{registered['registration_id']}/approve",
                         token=token).status == 200
        return
    message = [m for m in outbox() if links_in(m, "unlock")
               and registered["registration_id"] in str(m)] or [
        m for m in outbox() if links_in(m, "unlock")]
    assert http.form_post(links_in(message[-1], "unlock")[-1]).status == 303


def test_a_registration_creates_the_address_with_an_inquiry_activity(http, make_tour, outbox):
    tour = make_tour("email", protection={
        "mode": "email", "required_fields": ["first_name", "last_name", "phone", "city"],
        "protected_viewpoints": []})
    assert find(http, "eva@example.org") == []
    registered = register(http, tour["tour_id"], phone="+49 171 1234567", city="Berlin",
                          zip="10405", street="Kastanienallee 1")
    [unverified] = find(http, "eva@example.org")
    assert (unverified["first_name"], unverified["phone"]) == (None, None)
    verify(http, outbox, registered)

    [address] = find(http, "eva@example.org")
    assert address["email"] == "eva@example.org"
    assert (address["first_name"], address["last_name"]) == ("Eva", "Muster")
    assert address["phone"] == "+49 171 1234567"
    assert (address["street"], address["zip"], address["city"]) == (
        "Kastanienallee 1", "10405", "Berlin")
    assert address["gdpr_status"] == "none"
    assert address["address_id"]
    assert http.get(f"/agency/addresses/{address['address_id']}", token=DEMO).json == address

    view = preview(http, address["address_id"])
    assert view["address"] == address
    assert view["gdpr_status"] == "none"
    [activity] = view["activities"]
    assert activity["type"] == "inquiry"
    assert activity["property_id"] == "prop-1"
    assert activity["registration_id"] == registered["registration_id"]
    assert activity["tour_id"] == tour["tour_id"]


def test_manual_mode_registrations_land_in_the_address_book_too(http, make_tour):
    tour = make_tour("manual")
    register(http, tour["tour_id"])
    [address] = find(http, "eva@example.org")
    [activity] = preview(http, address["address_id"])["activities"]
    assert (activity["type"], activity["property_id"]) == ("inquiry", "prop-1")


def test_a_tour_without_property_gives_an_inquiry_without_property(http):
    payload = tour_payload("email")
    del payload["property_id"]
    created = http.post("/agency/tours", payload, token=DEMO)
    assert created.status == 201, created.body
    assert created.json["property_id"] is None
    register(http, created.json["tour_id"])
    [address] = find(http, "eva@example.org")
    [activity] = preview(http, address["address_id"])["activities"]
    assert activity["type"] == "inquiry"
    assert activity["property_id"] is None


def test_lookup_by_email_ignores_case(http, make_tour):
    tour = make_tour("email")
    register(http, tour["tour_id"], email="Eva.Muster@Example.org")
    [address] = find(http, "eva.muster@example.org")
    assert find(http, "EVA.MUSTER@EXAMPLE.ORG") == [address]
    assert find(http, "Eva.Muster@Example.org") == [address]
    assert address["email"].lower() == "eva.muster@example.org"
    assert find(http, "someone.else@example.org") == []


def test_a_second_registration_keeps_the_same_address_and_suggests_its_changes(
        http, make_tour, clock, outbox):
    tour = make_tour("email", protection={
        "mode": "email", "required_fields": ["first_name", "last_name"],
        "protected_viewpoints": []})
    other_tour = make_tour("manual", property_id="prop-2", title="Dachgeschoss")
    first = register(http, tour["tour_id"], phone="+49 30 111111")
    verify(http, outbox, first)
    [address] = find(http, "eva@example.org")

    clock.advance(minutes=10)
    second = register(http, other_tour["tour_id"], email="EVA@Example.ORG",
                      first_name="Evelyn", last_name="Muster-Neu", phone="+49 30 222222")
    verify(http, outbox, second)

    [updated] = find(http, "eva@example.org")
    assert updated["address_id"] == address["address_id"]
    assert http.get("/agency/addresses", token=DEMO).json["addresses"] == [updated]
    # Never overwritten: the differing details are a suggestion for the agency.
    assert (updated["first_name"], updated["last_name"]) == ("Eva", "Muster")
    assert updated["phone"] == "+49 30 111111"
    assert updated["gdpr_status"] == "none"

    view = preview(http, address["address_id"])
    assert view["gdpr_status"] == "none"
    [suggestion] = [a for a in view["activities"] if a["type"] == "suggestion"]
    assert set(suggestion["suggestion"]) == {"first_name", "last_name", "phone"}
    newest, oldest = [a for a in view["activities"] if a["type"] == "inquiry"]
    assert newest["verified"] is oldest["verified"] is True
    assert newest["registration_id"] == second["registration_id"]
    assert newest["property_id"] == "prop-2"
    assert oldest["registration_id"] == first["registration_id"]
    assert oldest["property_id"] == "prop-1"
    assert newest["created_at"] > oldest["created_at"]


def test_a_later_registration_without_a_field_keeps_the_stored_value(http, make_tour, clock,
                                                                     outbox):
    optional = make_tour("email", protection={"mode": "email", "required_fields": [],
                                              "protected_viewpoints": []})
    verify(http, outbox, register(http, optional["tour_id"], phone="+49 30 111111"))
    clock.advance(minutes=1)
    http_reply = http.post(f"/tours/{optional['tour_id']}/registrations",
                           {"email": "eva@example.org", "privacy_accepted": True})
    assert http_reply.status == 202
    verify(http, outbox, http_reply.json)
    [address] = find(http, "eva@example.org")
    assert (address["first_name"], address["last_name"], address["phone"]) == (
        "Eva", "Muster", "+49 30 111111")
    assert len(preview(http, address["address_id"])["activities"]) == 2


def test_activities_are_listed_newest_first(http, make_tour, clock):
    tour = make_tour("email")
    ids = []
    for minute in range(3):
        clock.advance(minutes=minute + 1)
        ids.append(register(http, tour["tour_id"])["registration_id"])
    [address] = find(http, "eva@example.org")
    activities = preview(http, address["address_id"])["activities"]
    assert [a["registration_id"] for a in activities] == ids[::-1]
    stamps = [a["created_at"] for a in activities]
    assert stamps == sorted(stamps, reverse=True)


def test_addresses_are_per_agency(http, make_tour, outbox):
    demo_tour = make_tour("email")
    other_tour = make_tour("email", token=OTHER, property_id="other-prop")
    verify(http, outbox, register(http, demo_tour["tour_id"]))
    verify(http, outbox, register(http, other_tour["tour_id"], first_name="Eve"))

    [demo_address] = find(http, "eva@example.org", DEMO)
    [other_address] = find(http, "eva@example.org", OTHER)
    assert demo_address["address_id"] != other_address["address_id"]
    assert demo_address["first_name"] == "Eva"
    assert other_address["first_name"] == "Eve"

    [demo_activity] = preview(http, demo_address["address_id"], DEMO)["activities"]
    [other_activity] = preview(http, other_address["address_id"], OTHER)["activities"]
    assert demo_activity["property_id"] == "prop-1"
    assert other_activity["property_id"] == "other-prop"
    # Neither agency can open the other's address.
    assert http.get(f"/agency/addresses/{other_address['address_id']}", token=DEMO).status == 404
    assert http.get(f"/agency/addresses/{demo_address['address_id']}/preview",
                    token=OTHER).status == 404


def test_a_refused_registration_creates_no_address(http, make_tour):
    tour = make_tour("email")
    reply = http.post(f"/tours/{tour['tour_id']}/registrations",
                      registration_payload(privacy_accepted=False))
    assert reply.status == 422
    assert find(http, "eva@example.org") == []
    assert http.get("/agency/addresses", token=DEMO).json["addresses"] == []


def test_lookup_of_an_address_with_plus_needs_it_encoded(http, make_tour):
    from urllib.parse import quote

    tour = make_tour("email")
    register(http, tour["tour_id"], email="eva+tour@example.org")
    [address] = find(http, quote("EVA+Tour@example.org", safe=""))
    assert address["email"] == "eva+tour@example.org"
    # An unencoded "+" in a query string is a space: that is another (invalid) address.
    assert find(http, "eva+tour@example.org") == []
