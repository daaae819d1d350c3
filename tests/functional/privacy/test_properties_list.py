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
