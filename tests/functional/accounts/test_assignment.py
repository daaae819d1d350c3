"""Addresses assigned to a person of the agency (``assigned_user_id``, else 422) and the
CRM's ``external_id``; the store-until exclusion "assigned to a user" honours either."""

from __future__ import annotations

from typing import Any

from tests.conftest import DEMO, OTHER


def new_address(http: Any, **fields: Any) -> Any:
    return http.post("/agency/addresses", {"first_name": "Zora", "last_name": "Zugeteilt",
                                           **fields}, token=DEMO)


def test_assigned_user_must_be_a_person_of_the_agency(http: Any, people: dict[str, str]) -> None:
    agent = people["makler@demo-makler.de"]
    created = new_address(http, assigned_user_id=agent, external_id="CRM-4711")
    assert created.status == 201, created.body
    assert created.json["assigned_user_id"] == agent and created.json["external_id"] == "CRM-4711"
    foreign = new_address(http, assigned_user_id=people["inhaber@other-makler.de"])
    assert foreign.status == 422 and "assigned_user_id" in foreign.json["error"]["fields"]
    unknown = new_address(http, assigned_user_id="gibt-es-nicht")
    assert unknown.status == 422
    too_long = new_address(http, external_id="x" * 101)
    assert too_long.status == 422 and "external_id" in too_long.json["error"]["fields"]
    address_id = created.json["address_id"]
    # A record of another agency is 404 before its body is looked at.
    assert http.request("PATCH", f"/agency/addresses/{address_id}",
                        json_body={"assigned_user_id": "gibt-es-nicht"}, token=OTHER).status == 404
    cleared = http.request("PATCH", f"/agency/addresses/{address_id}",
                           json_body={"assigned_user_id": None}, token=DEMO)
    assert cleared.status == 200 and cleared.json["assigned_user_id"] is None
    assert cleared.json["external_id"] == "CRM-4711"  # not named: kept


def test_an_assigned_address_is_excluded_from_automatic_store_until(
        http: Any, people: dict[str, str]) -> None:
    prop = http.post("/agency/properties", {"title": "Objekt"}, token=DEMO).json["property_id"]
    ids = {}
    for name, extra in (("frei", {}), ("v1", {"user_id": "kollege-7"}),
                        ("v2", {"assigned_user_id": people["makler@demo-makler.de"]})):
        reply = new_address(http, last_name=name, **extra)
        assert reply.status == 201, reply.body
        ids[name] = reply.json["address_id"]
        assert http.post(f"/agency/addresses/{ids[name]}/activities",
                         {"type": "appointment", "property_id": prop}, token=DEMO).status == 201
    assert http.post(f"/agency/properties/{prop}/archive", token=DEMO).status == 200
    until = {name: http.get(f"/agency/addresses/{i}", token=DEMO).json["store_until"]
             for name, i in ids.items()}
    assert until["frei"] is not None
    assert until["v1"] is None and until["v2"] is None
