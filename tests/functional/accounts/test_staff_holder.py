"""Staff accounts in the personal-data registry: exported for the agency's person, kept
by an address-book erasure of the same e-mail (two relations, one ends)."""

from __future__ import annotations

from typing import Any

from chalicelib.personal_data import Subject
from tests.conftest import DEMO


def test_a_staff_account_is_exported_and_survives_an_address_erasure(
        http: Any, container: Any, people: dict[str, str]) -> None:
    registry = container.person_data
    assert registry.get("staff_accounts") in registry.agency()
    located = registry.locate(Subject("demo", "makler@demo-makler.de"))
    exported = registry.export(located)
    assert exported["staff_account"]["user_id"] == people["makler@demo-makler.de"]
    assert exported["staff_account"]["role"] == "agent"
    # Another agency's subject with that e-mail knows nothing of demo's account.
    assert "staff_account" not in registry.export(
        registry.locate(Subject("other", "makler@demo-makler.de")))
    address = http.post("/agency/addresses", {"first_name": "Mark", "last_name": "Makler",
                                              "email": "makler@demo-makler.de"}, token=DEMO)
    assert address.status == 201, address.body
    assert http.request("DELETE", f"/agency/addresses/{address.json['address_id']}",
                        token=DEMO).status == 200
    assert container.users.get(people["makler@demo-makler.de"]) is not None
    assert http.post("/auth/sign-in", {"email": "makler@demo-makler.de",
                                       "password": "Freigabe-Demo-2026!"}).status == 200
