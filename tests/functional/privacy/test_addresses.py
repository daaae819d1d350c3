"""The address book's CRUD (contract "Addresses"), the GDPR settings, and tenant isolation
on every route of the section: another agency's ids answer 404 and change nothing."""

from __future__ import annotations

from typing import Any

from tests.conftest import DEMO, OTHER, QA
from tests.functional.privacy.support import (
    activity,
    create_address,
    create_property,
    day,
    delete,
    get_address,
    ok,
    patch,
    preview,
    relate,
    settings,
)

FULL = {"salutation": "Herr", "first_name": "Max", "last_name": "Kunde", "company": None,
        "email": "Max.Kunde@Example.org", "phone": "+49 170 1234567", "street": "Hauptstr. 5",
        "zip": "10115", "city": "Berlin", "user_id": None, "gdpr_status": "none",
        "store_until": day(100), "store_until_reason": "Vertragsverhältnis"}


def find(http: Any, email: str, token: str = DEMO) -> list[dict[str, Any]]:
    return ok(http.get(f"/agency/addresses?email={email}", token=token))["addresses"]


def test_create_read_and_find_by_email(http):
    created = ok(http.post("/agency/addresses", FULL, token=DEMO), 201)
    assert created["address_id"]
    for name, value in FULL.items():
        if name != "email":
            assert created[name] == value, name
    assert created["email"] == "Max.Kunde@example.org"  # the domain is case-insensitive
    assert created["store_until_manual"] is True
    assert get_address(http, created["address_id"]) == created
    assert find(http, "max.kunde@example.org") == [created]
    assert find(http, "MAX.KUNDE@EXAMPLE.ORG") == [created]
    # Without email is fine; the same email twice (any case) is not.
    bare = create_address(http, first_name=None, last_name=None, company="Hausverwaltung")
    assert bare["email"] is None and bare["first_name"] is None
    twice = http.post("/agency/addresses", {**FULL, "email": "max.kunde@EXAMPLE.org"},
                      token=DEMO)
    assert twice.status == 409 and twice.json["error"]["code"] == "email_exists"
    assert len(ok(http.get("/agency/addresses", token=DEMO))["addresses"]) == 2
    # Another agency may have the same person.
    assert ok(http.post("/agency/addresses", FULL, token=OTHER), 201)["address_id"] != \
        created["address_id"]


def test_patch_changes_fields_and_moves_the_email(http):
    address_id = create_address(http, email="alt@example.org")["address_id"]
    other_id = create_address(http, email="belegt@example.org")["address_id"]
    changed = ok(patch(http, address_id, {"email": "neu@example.org", "city": "Potsdam",
                                          "user_id": "makler-3", "salutation": "Divers"}))
    assert (changed["email"], changed["city"], changed["user_id"], changed["salutation"]) == (
        "neu@example.org", "Potsdam", "makler-3", "Divers")
    assert find(http, "alt@example.org") == []
    assert [a["address_id"] for a in find(http, "neu@example.org")] == [address_id]
    taken = patch(http, address_id, {"email": "Belegt@example.org"})
    assert taken.status == 409 and taken.json["error"]["code"] == "email_exists"
    assert get_address(http, address_id)["email"] == "neu@example.org"
    assert [a["address_id"] for a in find(http, "belegt@example.org")] == [other_id]
    # Removing the email frees it.
    ok(patch(http, address_id, {"email": None}))
    assert find(http, "neu@example.org") == []
    ok(patch(http, other_id, {"email": "neu@example.org"}))
    assert [a["address_id"] for a in find(http, "neu@example.org")] == [other_id]
    nameless = patch(http, address_id, {"first_name": None, "last_name": None})
    assert nameless.status == 422
    assert ok(patch(http, address_id, {})) == get_address(http, address_id)


def test_patch_status_and_reason(http):
    address_id = create_address(http, store_until=day(30))["address_id"]
    for status in ("ignore", "deletion_requested", "none"):
        assert ok(patch(http, address_id, {"gdpr_status": status}))["gdpr_status"] == status
    only_reason = ok(patch(http, address_id, {"store_until_reason": "Rechtsstreit"}))
    assert (only_reason["store_until"], only_reason["store_until_reason"],
            only_reason["store_until_manual"]) == (day(30), "Rechtsstreit", True)
    null_status = patch(http, address_id, {"gdpr_status": None})
    assert null_status.status == 422


def test_settings_are_per_agency_and_put_keeps_what_it_does_not_name(http):
    first = settings(http, retention_days=90, custom_reasons=["Mietvertrag", "Mietvertrag"])
    assert (first["retention_days"], first["auto_store_until"]) == (90, True)
    assert first["custom_reasons"] == ["Mietvertrag"]
    assert first["store_until_reasons"][-1] == "Mietvertrag"
    second = settings(http, auto_delete_expired=True)
    assert (second["retention_days"], second["auto_delete_expired"]) == (90, True)
    assert ok(http.get("/agency/gdpr/settings", token=DEMO)) == second
    assert ok(http.get("/agency/gdpr/settings", token=OTHER))["retention_days"] == 180


def test_another_agency_sees_and_changes_nothing(http, outbox):
    address_id = create_address(http, email="eva@example.org", store_until=day(-1))[
        "address_id"]
    property_id = create_property(http)
    activity(http, address_id, "inquiry", property_id)
    other_property = create_property(http, token=OTHER)
    other_address = create_address(http, token=OTHER)["address_id"]
    before = (get_address(http, address_id), preview(http, address_id), len(outbox()),
              ok(http.get(f"/agency/properties/{property_id}", token=DEMO)))

    def status(method: str, path: str, body: Any = None) -> int:
        return http.request(method, path, json_body=body, token=OTHER).status

    assert status("GET", f"/agency/addresses/{address_id}") == 404
    assert status("GET", f"/agency/addresses/{address_id}/preview") == 404
    assert status("GET", f"/agency/addresses/{address_id}/consent-records") == 404
    assert status("GET", f"/agency/addresses/{address_id}/consent-records?format=html") == 404
    assert status("PATCH", f"/agency/addresses/{address_id}", {"city": "X"}) == 404
    assert status("DELETE", f"/agency/addresses/{address_id}") == 404
    assert status("POST", f"/agency/addresses/{address_id}/activities", {"type": "note"}) == 404
    assert status("GET", f"/agency/properties/{property_id}") == 404
    assert status("POST", f"/agency/properties/{property_id}/archive") == 404
    assert status("POST", f"/agency/properties/{property_id}/relations",
                  {"address_id": other_address, "role": "owner"}) == 404
    # Their own property, my address: the address is unknown to them.
    assert status("POST", f"/agency/properties/{other_property}/relations",
                  {"address_id": address_id, "role": "owner"}) == 404
    assert ok(http.post("/agency/addresses/bulk-delete", {"address_ids": [address_id]},
                        token=OTHER))["refused"] == [{"address_id": address_id,
                                                      "reason": "not_found"}]
    assert ok(http.post("/agency/gdpr/consent-requests", {"address_ids": [address_id]},
                        token=OTHER))["skipped"] == [{"address_id": address_id,
                                                      "reason": "not_found"}]
    assert find(http, "eva@example.org", OTHER) == []
    assert ok(http.get("/agency/addresses", token=OTHER))["addresses"][0]["address_id"] == \
        other_address
    for name in ("consent-assistant", "deletion-requested", "expired"):
        assert ok(http.get(f"/agency/gdpr/widgets/{name}", token=OTHER))["addresses"] == []
    assert (get_address(http, address_id), preview(http, address_id), len(outbox()),
            ok(http.get(f"/agency/properties/{property_id}", token=DEMO))) == before


def test_every_route_needs_an_agency_token(http):
    address_id = create_address(http)["address_id"]
    routes = [("GET", "/agency/addresses"), ("POST", "/agency/addresses"),
              ("GET", f"/agency/addresses/{address_id}"),
              ("PATCH", f"/agency/addresses/{address_id}"),
              ("DELETE", f"/agency/addresses/{address_id}"),
              ("GET", f"/agency/addresses/{address_id}/preview"),
              ("GET", f"/agency/addresses/{address_id}/consent-records"),
              ("POST", f"/agency/addresses/{address_id}/activities"),
              ("POST", "/agency/addresses/bulk-delete"), ("POST", "/agency/properties"),
              ("GET", "/agency/properties/p"), ("POST", "/agency/properties/p/archive"),
              ("POST", "/agency/properties/p/relations"), ("GET", "/agency/gdpr/settings"),
              ("PUT", "/agency/gdpr/settings"), ("POST", "/agency/gdpr/consent-requests"),
              ("GET", "/agency/gdpr/widgets/consent-assistant"),
              ("GET", "/agency/gdpr/widgets/deletion-requested"),
              ("GET", "/agency/gdpr/widgets/expired"), ("GET", "/agency/gdpr/deletions")]
    for method, path in routes:
        for token in (None, QA, "unbekannt"):
            reply = http.request(method, path, json_body={}, token=token)
            assert reply.status == 401, (method, path, token)
            assert reply.json["error"]["code"] == "unauthorized"
    assert get_address(http, address_id)["first_name"] == "Eva"


def test_relations_are_recorded_once(http):
    address_id = create_address(http)["address_id"]
    property_id = create_property(http)
    ok(relate(http, property_id, address_id, "owner"), 201)
    again = relate(http, property_id, address_id, "owner")
    assert again.status == 409 and again.json["error"]["code"] == "relation_exists"
    ok(relate(http, property_id, address_id, "tenant"), 201)
    assert preview(http, address_id)["relations"] == [f"{property_id}#owner",
                                                      f"{property_id}#tenant"]
    assert relate(http, property_id, "unbekannt", "owner").status == 404
    # A property id of the agency's own choosing (e.g. its tours' id).
    assert create_property(http, "Mit eigener ID", property_id="objekt-17") == "objekt-17"
    dup = http.post("/agency/properties", {"title": "X", "property_id": "objekt-17"}, token=DEMO)
    assert dup.status == 409 and dup.json["error"]["code"] == "property_exists"
    assert ok(delete(http, address_id))["deleted"] == address_id


def test_the_list_pages_with_a_cursor(http):
    ids = {create_address(http, first_name=f"P{n}")["address_id"] for n in range(5)}
    create_address(http, token=OTHER)
    seen: list[str] = []
    cursor = ""
    while True:
        page = ok(http.get(f"/agency/addresses?limit=2{cursor}", token=DEMO))
        assert len(page["addresses"]) <= 2
        seen.extend(a["address_id"] for a in page["addresses"])
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert sorted(seen) == sorted(ids)
    assert http.get("/agency/addresses?limit=0", token=DEMO).status == 422


def test_unicode_digit_limit_is_422_not_500(http):
    for path in ("/agency/addresses?limit=%C2%B2", "/agency/gdpr/widgets/expired?limit=%C2%B2"):
        reply = http.get(path, token=DEMO)
        assert reply.status == 422, (path, reply.body)
        assert reply.json["error"]["fields"] == {"limit": "Eine ganze Zahl von 1 bis 100."}
