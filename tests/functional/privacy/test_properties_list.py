"""GET /agency/properties: the agency's properties page by page (the dashboard's pickers)."""

from __future__ import annotations

from typing import Any

from tests.conftest import DEMO, OTHER
from tests.functional.privacy.support import archive, create_property, ok


def test_lists_active_and_archived_per_agency_with_a_cursor(http: Any) -> None:
    ids = [create_property(http, f"Objekt {i}") for i in range(5)]
    archive(http, ids[0])
    create_property(http, "Fremd", token=OTHER)
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        body = ok(http.get("/agency/properties?limit=2" + (f"&cursor={cursor}" if cursor else ""),
                           token=DEMO))
        seen += body["properties"]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert sorted(p["property_id"] for p in seen) == sorted(ids)
    status = {p["property_id"]: p["status"] for p in seen}
    assert status[ids[0]] == "archived" and status[ids[1]] == "active"
    assert [p["title"] for p in ok(http.get("/agency/properties", token=OTHER))["properties"]] \
        == ["Fremd"]
    assert http.get("/agency/properties?cursor=%%%", token=DEMO).status == 422
    assert http.get("/agency/properties?limit=0", token=DEMO).status == 422


def test_a_propertys_relations_with_names(http: Any) -> None:
    property_id = create_property(http, "Altbau")
    other_property = create_property(http, "Neubau")
    people = {}
    for role, first in (("owner", "Otto"), ("buyer", "Berta"), ("tenant", "Tina")):
        reply = http.post("/agency/addresses", {"first_name": first, "last_name": "Muster",
                                                "email": f"{first.lower()}@example.org"},
                          token=DEMO)
        people[role] = reply.json["address_id"]
        assert http.post(f"/agency/properties/{property_id}/relations",
                         {"address_id": people[role], "role": role}, token=DEMO).status == 201
    assert http.post(f"/agency/properties/{other_property}/relations",
                     {"address_id": people["owner"], "role": "buyer"}, token=DEMO).status == 201
    body = ok(http.get(f"/agency/properties/{property_id}/relations", token=DEMO))
    got = {(r["role"], r["address_id"], r["address"]["first_name"]) for r in body["relations"]}
    assert got == {("owner", people["owner"], "Otto"), ("buyer", people["buyer"], "Berta"),
                   ("tenant", people["tenant"], "Tina")}
    assert http.get(f"/agency/properties/{property_id}/relations", token=OTHER).status == 404
    assert http.get("/agency/properties/unknown/relations", token=DEMO).status == 404
