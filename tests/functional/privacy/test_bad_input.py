"""Bad input on every route of the contract's "Addresses" section: always the 4xx envelope
(never a 500), the field named on 422, a missing record's 404 winning over a bad body,
and nothing changed (addresses, activities, records, properties, settings, mails)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import DEMO
from tests.functional.privacy.support import create_address, create_property, day, ok
from tests.functional.tours.test_bad_input import NOT_AN_OBJECT, assert_envelope


@pytest.fixture
def world(http: Any) -> dict[str, str]:
    address_id = create_address(http, email="eva@example.org", store_until=day(40))[
        "address_id"]
    return {"address": address_id, "property": create_property(http)}


@pytest.fixture
def snapshot(http: Any, outbox: Any, world: dict[str, str]) -> Any:
    def take() -> dict[str, Any]:
        return {
            "addresses": ok(http.get("/agency/addresses", token=DEMO)),
            "preview": ok(http.get(f"/agency/addresses/{world['address']}/preview",
                                   token=DEMO)),
            "records": ok(http.get(f"/agency/addresses/{world['address']}/consent-records",
                                   token=DEMO)),
            "property": ok(http.get(f"/agency/properties/{world['property']}", token=DEMO)),
            "settings": ok(http.get("/agency/gdpr/settings", token=DEMO)),
            "deletions": ok(http.get("/agency/gdpr/deletions", token=DEMO)),
            "mails": len(outbox()),
        }

    return take


def send(http: Any, method: str, path: str, body: Any) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return http.request(method, path, body=raw, token=DEMO)


def check_all(http: Any, method: str, path: str,
              cases: list[tuple[str, Any, int, tuple[str, ...]]]) -> None:
    for case, body, status, fields in cases:
        assert_envelope(send(http, method, path, body), status, *fields, case=case)


def not_objects() -> list[tuple[str, Any, int, tuple[str, ...]]]:
    return [(case, body, status, ()) for case, body, status in NOT_AN_OBJECT]


ADDRESS_CASES = [
    ("unknown-field", {"first_name": "A", "nickname": "x"}, 422, ("nickname",)),
    ("no-identity", {"city": "Berlin"}, 422, ("last_name",)),
    ("salutation", {"first_name": "A", "salutation": "Dr."}, 422, ("salutation",)),
    ("name-number", {"first_name": 7}, 422, ("first_name",)),
    ("name-too-long", {"first_name": "a" * 101}, 422, ("first_name",)),
    ("name-newline", {"first_name": "Eva\r\nBcc: x"}, 422, ("first_name",)),
    ("company-too-long", {"company": "c" * 201}, 422, ("company",)),
    ("email", {"email": "not-an-email"}, 422, ("email",)),
    ("email-list", {"email": ["a@example.org"]}, 422, ("email",)),
    ("phone", {"first_name": "A", "phone": "call me"}, 422, ("phone",)),
    ("zip", {"first_name": "A", "zip": "#"}, 422, ("zip",)),
    ("user-id-object", {"first_name": "A", "user_id": {"id": 1}}, 422, ("user_id",)),
    ("status-consented", {"first_name": "A", "gdpr_status": "consented"}, 422,
     ("gdpr_status",)),
    ("status-unknown", {"first_name": "A", "gdpr_status": "deleted"}, 422, ("gdpr_status",)),
    ("date-format", {"first_name": "A", "store_until": "01.02.2027"}, 422, ("store_until",)),
    ("date-invalid", {"first_name": "A", "store_until": "2027-02-30"}, 422, ("store_until",)),
    ("date-number", {"first_name": "A", "store_until": 20270101}, 422, ("store_until",)),
    ("date-far", {"first_name": "A", "store_until": "9999-01-01"}, 422, ("store_until",)),
    ("reason-too-long", {"first_name": "A", "store_until": "2027-01-01",
                         "store_until_reason": "r" * 201}, 422, ("store_until_reason",)),
]


def test_create_address(http, world, snapshot):
    before = snapshot()
    check_all(http, "POST", "/agency/addresses", not_objects() + ADDRESS_CASES)
    assert snapshot() == before


def test_patch_address(http, world, snapshot):
    before = snapshot()
    path = f"/agency/addresses/{world['address']}"
    patch_cases = [c for c in ADDRESS_CASES if c[0] != "no-identity"] + [
        ("status-null", {"gdpr_status": None}, 422, ("gdpr_status",)),
        ("manual-flag", {"store_until_manual": False}, 422, ("store_until_manual",)),
        ("id", {"address_id": "x"}, 422, ("address_id",)),
        ("clear-identity", {"first_name": None, "last_name": None, "email": None}, 422,
         ("last_name",)),
    ]
    check_all(http, "PATCH", path, not_objects() + patch_cases)
    # An unknown address is 404 whatever the body.
    for case, body, _status, _fields in not_objects() + patch_cases:
        assert_envelope(send(http, "PATCH", "/agency/addresses/unbekannt", body), 404, case=case)
    assert snapshot() == before


def test_activities(http, world, snapshot):
    before = snapshot()
    path = f"/agency/addresses/{world['address']}/activities"
    cases = [*not_objects(),
        ("type-missing", {"property_id": "p1"}, 422, ("type",)),
        ("type-unknown", {"type": "visit"}, 422, ("type",)),
        ("type-internal", {"type": "gdpr"}, 422, ("type",)),
        ("property-bad", {"type": "inquiry", "property_id": "a b"}, 422, ("property_id",)),
        ("property-number", {"type": "inquiry", "property_id": 17}, 422, ("property_id",)),
        ("note-too-long", {"type": "note", "note": "n" * 2001}, 422, ("note",)),
        ("note-control", {"type": "note", "note": "a\x00b"}, 422, ("note",)),
        ("extra", {"type": "note", "source": "x"}, 422, ("source",)),
    ]
    check_all(http, "POST", path, cases)
    for case, body, _status, _fields in cases:
        assert_envelope(send(http, "POST", "/agency/addresses/unbekannt/activities", body), 404,
                        case=case)
    assert snapshot() == before


ID_LIST_CASES = [
    ("missing", {}, 422, ("address_ids",)),
    ("empty", {"address_ids": []}, 422, ("address_ids",)),
    ("not-a-list", {"address_ids": "abc"}, 422, ("address_ids",)),
    ("numbers", {"address_ids": [1, 2]}, 422, ("address_ids.0",)),
    ("blank-id", {"address_ids": [""]}, 422, ("address_ids.0",)),
    ("too-many", {"address_ids": [f"id{n}" for n in range(101)]}, 422, ("address_ids",)),
    ("extra", {"address_ids": ["a"], "force": True}, 422, ("force",)),
]


def test_bulk_delete_and_consent_requests(http, world, snapshot):
    before = snapshot()
    for path in ("/agency/addresses/bulk-delete", "/agency/gdpr/consent-requests"):
        check_all(http, "POST", path, not_objects() + ID_LIST_CASES)
    assert snapshot() == before


def test_properties_and_relations(http, world, snapshot):
    before = snapshot()
    check_all(http, "POST", "/agency/properties", [*not_objects(),
        ("title-missing", {}, 422, ("title",)),
        ("title-empty", {"title": "  "}, 422, ("title",)),
        ("title-number", {"title": 5}, 422, ("title",)),
        ("title-too-long", {"title": "t" * 201}, 422, ("title",)),
        ("id-bad", {"title": "T", "property_id": "a/b"}, 422, ("property_id",)),
        ("status", {"title": "T", "status": "archived"}, 422, ("status",)),
    ])
    relation_cases = [*not_objects(),
        ("role-missing", {"address_id": world["address"]}, 422, ("role",)),
        ("role-unknown", {"address_id": world["address"], "role": "landlord"}, 422, ("role",)),
        ("address-missing", {"role": "owner"}, 422, ("address_id",)),
        ("address-number", {"address_id": 5, "role": "owner"}, 422, ("address_id",)),
    ]
    check_all(http, "POST", f"/agency/properties/{world['property']}/relations", relation_cases)
    for case, body, _status, _fields in relation_cases:
        assert_envelope(send(http, "POST", "/agency/properties/unbekannt/relations", body), 404,
                        case=case)
    assert_envelope(send(http, "POST", f"/agency/properties/{world['property']}/relations",
                         {"address_id": "unbekannt", "role": "owner"}), 404)
    assert_envelope(http.post("/agency/properties/unbekannt/archive", token=DEMO), 404)
    assert snapshot() == before


def test_settings(http, world, snapshot):
    before = snapshot()
    check_all(http, "PUT", "/agency/gdpr/settings", [*not_objects(),
        ("days-zero", {"retention_days": 0}, 422, ("retention_days",)),
        ("days-too-many", {"retention_days": 3651}, 422, ("retention_days",)),
        ("days-string", {"retention_days": "30"}, 422, ("retention_days",)),
        ("days-float", {"retention_days": 30.5}, 422, ("retention_days",)),
        ("days-bool", {"retention_days": True}, 422, ("retention_days",)),
        ("days-null", {"retention_days": None}, 422, ("retention_days",)),
        ("auto-string", {"auto_store_until": "yes"}, 422, ("auto_store_until",)),
        ("delete-number", {"auto_delete_expired": 1}, 422, ("auto_delete_expired",)),
        ("reasons-string", {"custom_reasons": "Mietvertrag"}, 422, ("custom_reasons",)),
        ("reasons-too-long", {"custom_reasons": ["r" * 201]}, 422, ("custom_reasons.0",)),
        ("reasons-too-many", {"custom_reasons": [f"R{n}" for n in range(51)]}, 422,
         ("custom_reasons",)),
        ("unknown", {"auto_delete": True}, 422, ("auto_delete",)),
    ])
    assert snapshot() == before


def test_query_parameters(http, world, snapshot):
    before = snapshot()
    for name in ("consent-assistant", "deletion-requested", "expired"):
        base = f"/agency/gdpr/widgets/{name}"
        for query, field in (("cursor=%%%", "cursor"), ("cursor=bm9wZQ", "cursor"),
                             ("limit=0", "limit"), ("limit=101", "limit"),
                             ("limit=abc", "limit"), ("limit=-1", "limit")):
            assert_envelope(http.get(f"{base}?{query}", token=DEMO), 422, field, case=query)
    assert_envelope(http.get("/agency/gdpr/deletions?email=kaputt", token=DEMO), 422, "email")
    path = f"/agency/addresses/{world['address']}/consent-records?format=xml"
    assert_envelope(http.get(path, token=DEMO), 422, "format")
    assert_envelope(http.get("/agency/addresses/unbekannt/consent-records?format=xml",
                             token=DEMO), 404)
    for path in ("/agency/addresses/unbekannt", "/agency/addresses/unbekannt/preview",
                 "/agency/properties/unbekannt"):
        assert_envelope(http.get(path, token=DEMO), 404)
    assert_envelope(http.request("DELETE", "/agency/addresses/unbekannt", token=DEMO), 404)
    assert_envelope(http.request("DELETE", f"/agency/addresses/{'x' * 201}", token=DEMO), 404)
    assert_envelope(http.request("DELETE", f"/agency/addresses/{world['address']}",
                                 token=DEMO), 409)
    assert snapshot() == before
