"""Issue 19, hole 1: an unverified registration no longer rewrites a stored address.

Anyone who knew a customer's email could overwrite that customer's name, phone and street
in any agency's address book with one anonymous POST, and clear an automatic store-until
date. Now the registration keeps what was typed; the address changes only after the
prospect's unlock POST or the agency's approval, and then only empty fields are filled:
differing ones become a suggestion the agency applies with one click."""

from __future__ import annotations

from typing import Any

from tests.conftest import DEMO, registration_payload
from tests.functional.privacy.support import (
    activity,
    archive,
    create_address,
    create_property,
    day,
    get_address,
    preview,
)
from tests.support import links_of as links_in

STORED = {"first_name": "Erika", "last_name": "Mustermann", "email": "erika@example.org",
          "phone": "+49 30 1111111", "street": "Lindenstraße 5", "zip": "10969"}
TYPED = {"first_name": "Gewinn", "last_name": "Jetzt klicken", "email": "ERIKA@example.org",
         "phone": "+49 170 9999999", "street": "Fälschungsweg 1", "city": "Berlin"}
ALL_FIELDS = ["first_name", "last_name", "phone", "street", "zip", "city"]


def _tour(make_tour: Any, mode: str = "email", **extra: Any) -> dict[str, Any]:
    return make_tour(mode, protection={"mode": mode, "required_fields": ALL_FIELDS[:2],
                                       "protected_viewpoints": ["bad"]}, **extra)


def _register(http: Any, tour: dict[str, Any], **fields: Any) -> dict[str, Any]:
    reply = http.post(f"/tours/{tour['tour_id']}/registrations",
                      registration_payload(**fields))
    assert reply.status == 202, reply.body
    return reply.json


def _link(outbox: Any, purpose: str, to: str) -> str:
    message = [m for m in outbox() if to.lower() in [t.lower() for t in m["to"]]
               and links_in(m, purpose)][-1]
    return links_in(message, purpose)[-1]


def _contact(address: dict[str, Any]) -> dict[str, Any]:
    return {k: address[k] for k in ALL_FIELDS}


def test_an_unverified_registration_changes_no_stored_field(http, make_tour, outbox):
    stored = create_address(http, **STORED)
    before = get_address(http, stored["address_id"])
    tour = _tour(make_tour)
    registered = _register(http, tour, **TYPED)

    after = get_address(http, stored["address_id"])
    assert _contact(after) == _contact(before)
    assert after["updated_at"] == before["updated_at"]
    inquiry = preview(http, stored["address_id"])["activities"][0]
    assert (inquiry["type"], inquiry["registration_id"], inquiry["verified"]) == (
        "inquiry", registered["registration_id"], False)
    # The registration itself keeps what the prospect typed.
    [listed] = http.get(f"/agency/tours/{tour['tour_id']}/registrations",
                        token=DEMO).json["registrations"]
    assert (listed["first_name"], listed["street"]) == ("Gewinn", "Fälschungsweg 1")


def test_after_the_unlock_empty_fields_are_filled_and_differing_ones_suggested(
        http, make_tour, outbox, clock):
    stored = create_address(http, **STORED)
    tour = _tour(make_tour)
    _register(http, tour, **TYPED)
    clock.advance(minutes=2)
    assert http.form_post(_link(outbox, "unlock", STORED["email"])).status == 303

    address = get_address(http, stored["address_id"])
    # Only the empty city was filled; everything the agency stored stays.
    assert _contact(address) == {**{k: STORED.get(k) for k in ALL_FIELDS}, "city": "Berlin"}
    activities = preview(http, stored["address_id"])["activities"]
    [suggestion] = [a for a in activities if a["type"] == "suggestion"]
    assert suggestion["status"] == "open"
    assert suggestion["suggestion"] == {
        name: {"current": STORED[name], "suggested": TYPED[name]}
        for name in ("first_name", "last_name", "phone", "street")}
    [inquiry] = [a for a in activities if a["type"] == "inquiry"]
    assert inquiry["verified"] is True

    # One click applies it; a second click finds nothing to apply.
    path = (f"/agency/addresses/{stored['address_id']}/suggestions/"
            f"{suggestion['activity_id']}/apply")
    applied = http.post(path, token=DEMO)
    assert applied.status == 200, applied.body
    assert (applied.json["first_name"], applied.json["street"]) == ("Gewinn", "Fälschungsweg 1")
    assert get_address(http, stored["address_id"]) == applied.json
    assert http.post(path, token=DEMO).status == 404
    assert [a["status"] for a in preview(http, stored["address_id"])["activities"]
            if a["type"] == "suggestion"] == ["applied"]


def test_a_new_email_gets_an_address_with_only_the_email_until_verified(
        http, make_tour, outbox):
    tour = _tour(make_tour, "manual")
    registered = _register(http, tour, email="neu@example.org", first_name="Nora",
                           last_name="Neu", phone="+49 171 2222222")
    [address] = http.get("/agency/addresses?email=neu@example.org", token=DEMO
                         ).json["addresses"]
    assert _contact(address) == dict.fromkeys(ALL_FIELDS)
    assert address["email"] == "neu@example.org"
    # The agency's approval (API) verifies the lead: the empty fields are filled.
    assert http.post(f"/agency/registrations/{registered['registration_id']}/approve",
                     token=DEMO).status == 200
    address = get_address(http, address["address_id"])
    assert (address["first_name"], address["last_name"], address["phone"]) == (
        "Nora", "Neu", "+49 171 2222222")
    assert not [a for a in preview(http, address["address_id"])["activities"]
                if a["type"] == "suggestion"]


def test_a_denied_registration_never_fills_anything(http, make_tour, outbox):
    tour = _tour(make_tour, "manual")
    registered = _register(http, tour, email="weg@example.org", first_name="Otto")
    assert http.post(f"/agency/registrations/{registered['registration_id']}/deny",
                     token=DEMO).status == 200
    [address] = http.get("/agency/addresses?email=weg@example.org", token=DEMO
                         ).json["addresses"]
    assert address["first_name"] is None
    assert preview(http, address["address_id"])["interest_properties"] == []


def test_an_unverified_inquiry_is_no_interest_no_reset_and_no_archive_exclusion(
        http, make_tour, outbox, clock):
    archived = create_property(http, "Alt")
    stored = create_address(http, **STORED)
    activity(http, stored["address_id"], "inquiry", archived)
    archive(http, archived)
    assert get_address(http, stored["address_id"])["store_until"] == day(180)
    active = create_property(http, "Neubau mit Tour")
    tour = _tour(make_tour, property_id=active)

    clock.advance(minutes=1)
    _register(http, tour, **TYPED)
    # Not yet proven: the automatic date stays, the lead is no interested party.
    assert get_address(http, stored["address_id"])["store_until"] == day(180)
    assert preview(http, stored["address_id"])["interest_properties"] == [archived]

    assert http.form_post(_link(outbox, "unlock", STORED["email"])).status == 303
    address = get_address(http, stored["address_id"])
    assert (address["store_until"], address["store_until_manual"]) == (None, False)
    view = preview(http, stored["address_id"])
    assert view["interest_properties"] == sorted([archived, active])
    assert any(a["type"] == "gdpr" and "zurückgesetzt" in (a["note"] or "")
               for a in view["activities"])


def test_an_address_edited_between_registration_and_unlock_keeps_the_agency_s_edit(
        http, make_tour, outbox, clock):
    """The unlock acts on the address as the registration created it (no read) only while
    it is unchanged: the version condition fails, the POST reads it again."""
    tour = _tour(make_tour)
    _register(http, tour, email="lena@example.org", first_name="Lena", last_name="Lang")
    [address] = http.get("/agency/addresses?email=lena@example.org", token=DEMO
                         ).json["addresses"]
    clock.advance(minutes=1)
    edited = http.patch(f"/agency/addresses/{address['address_id']}",
                        {"first_name": "Magdalena"}, token=DEMO) if hasattr(http, "patch") \
        else http.request("PATCH", f"/agency/addresses/{address['address_id']}",
                          json_body={"first_name": "Magdalena"}, token=DEMO)
    assert edited.status == 200, edited.body
    assert http.form_post(_link(outbox, "unlock", "lena@example.org")).status == 303
    after = get_address(http, address["address_id"])
    assert (after["first_name"], after["last_name"]) == ("Magdalena", "Lang")
    [suggestion] = [a for a in preview(http, address["address_id"])["activities"]
                    if a["type"] == "suggestion"]
    assert suggestion["suggestion"] == {"first_name": {"current": "Magdalena",
                                                       "suggested": "Lena"}}
