"""Scenarios of the addresses and the agency's GDPR duties: the address book, consent and
access requests, settings and profile, properties and the consent mail's links."""

from __future__ import annotations

from tests.conftest import DEMO
from tests.faults.scenarios_base import Act, Scenario, World, call, form

# -- addresses and GDPR --------------------------------------------------------------------------

def create_address(w: World) -> Act:
    return call(w, "POST", "/agency/addresses",
                 {"first_name": "Eva", "last_name": "Muster", "email": "eva@example.org"})


def patch_address(w: World) -> Act:
    address_id = w.address()
    return call(w, "PATCH", f"/agency/addresses/{address_id}",
                 {"store_until": "2030-12-31", "store_until_reason": "Steuerrecht",
                  "city": "Berlin"})


def delete_address(w: World) -> Act:
    return call(w, "DELETE", f"/agency/addresses/{w.address()}")


def add_activity(w: World) -> Act:
    address_id, property_id = w.address(), w.property()
    return call(w, "POST", f"/agency/addresses/{address_id}/activities",
                 {"type": "expose_sent", "property_id": property_id})


def apply_suggestion(w: World) -> Act:
    """A verified registration whose last name differs from the stored one (issue 19)."""
    address_id = w.address()
    w.register(w.tour("email"), last_name="Neumann")
    w.ok(w.http.form_post(w.link("unlock")), 303)
    preview = w.ok(w.http.get(f"/agency/addresses/{address_id}/preview", token=DEMO))
    [suggestion] = [a for a in preview["activities"] if a["type"] == "suggestion"]
    return call(w, "POST", f"/agency/addresses/{address_id}/suggestions/"
                            f"{suggestion['activity_id']}/apply")


def bulk_delete(w: World) -> Act:
    ids = [w.address(email=f"p{n}@example.org") for n in range(2)]
    return call(w, "POST", "/agency/addresses/bulk-delete", {"address_ids": ids})


def consent_requests(w: World) -> Act:
    address_id = w.address(phone="+49 171 2345678")
    return call(w, "POST", "/agency/gdpr/consent-requests", {"address_ids": [address_id]})


def gdpr_settings(w: World) -> Act:
    return call(w, "PUT", "/agency/gdpr/settings",
                 {"auto_store_until": True, "retention_days": 90, "auto_delete_expired": True})


def agency_profile(w: World) -> Act:
    return call(w, "PUT", "/agency/profile",
                 {"phone": "+49 30 7777777", "dpo_contact": "Datenschutz GmbH"})


def record_access_request(w: World) -> Act:
    return call(w, "POST", "/agency/gdpr/access-requests", {"address_id": w.address()})


def answer_access_request(w: World) -> Act:
    reply = w.http.post("/agency/gdpr/access-requests", {}, token=DEMO)
    request_id = w.ok(reply, 201)["request_id"]
    return call(w, "POST", f"/agency/gdpr/access-requests/{request_id}/answer")


def create_property(w: World) -> Act:
    return call(w, "POST", "/agency/properties", {"title": "Altbau"})


def archive_property(w: World) -> Act:
    address_id, property_id = w.address(), w.property()
    w.ok(w.http.post(f"/agency/addresses/{address_id}/activities",
                     {"type": "inquiry", "property_id": property_id}, token=DEMO), 201)
    return call(w, "POST", f"/agency/properties/{property_id}/archive")


def relate(w: World) -> Act:
    address_id, property_id = w.address(), w.property()
    return call(w, "POST", f"/agency/properties/{property_id}/relations",
                 {"address_id": address_id, "role": "owner"})


def consent_link(w: World) -> Act:
    w.consent_mail()
    return form(w, w.link("consent"))


def deletion_link(w: World) -> Act:
    w.consent_mail()
    return form(w, w.link("deletion-request"))


def correction_link(w: World) -> Act:
    w.consent_mail()
    return form(w, w.link("correction"), "correction=Neue+Telefonnummer%3A+0171+999")


SCENARIOS = [
    Scenario("create address", "POST", "/agency/addresses", create_address, 201,
             repeatable=True),
    Scenario("patch address", "PATCH", "/agency/addresses/{address_id}", patch_address,
             repeatable=True),
    Scenario("delete address", "DELETE", "/agency/addresses/{address_id}", delete_address),
    Scenario("add activity", "POST", "/agency/addresses/{address_id}/activities", add_activity,
             201, repeatable=True),
    Scenario("apply suggestion", "POST",
             "/agency/addresses/{address_id}/suggestions/{activity_id}/apply", apply_suggestion),
    Scenario("bulk delete", "POST", "/agency/addresses/bulk-delete", bulk_delete),
    Scenario("consent requests", "POST", "/agency/gdpr/consent-requests", consent_requests),
    Scenario("GDPR settings", "PUT", "/agency/gdpr/settings", gdpr_settings, repeatable=True),
    Scenario("agency profile", "PUT", "/agency/profile", agency_profile, repeatable=True),
    Scenario("record access request", "POST", "/agency/gdpr/access-requests",
             record_access_request, 201, repeatable=True),
    Scenario("answer access request", "POST",
             "/agency/gdpr/access-requests/{request_id}/answer", answer_access_request),
    Scenario("create property", "POST", "/agency/properties", create_property, 201,
             repeatable=True),
    Scenario("archive property", "POST", "/agency/properties/{property_id}/archive",
             archive_property),
    Scenario("relate address", "POST", "/agency/properties/{property_id}/relations", relate,
             201),
    Scenario("consent link", "POST", "/links/consent/{token}", consent_link),
    Scenario("deletion link", "POST", "/links/deletion-request/{token}", deletion_link),
    Scenario("correction link", "POST", "/links/correction/{token}", correction_link),
]
