"""Issue 19, hole 1, in the dashboard: a verified registration with differing contact
details shows as "Änderungsvorschlag" on the address; "Vorschlag übernehmen" stores them."""

from __future__ import annotations

import uuid
from typing import Any

from tests.browser.test_dashboard import _go, _sign_in, _tour
from tests.conftest import DEMO
from tests.live_stack import Running


def test_the_agency_applies_a_verified_lead_s_suggestion_with_one_click(
        live: Running, page: Any) -> None:
    stack = live.stack
    email = f"vorschlag-{uuid.uuid4().hex[:8]}@example.org"
    created = stack.call("POST", "/agency/addresses", token=DEMO, json_body={
        "first_name": "Erika", "last_name": "Mustermann", "email": email,
        "phone": "+49 30 1111111"})
    assert created.status == 201, created.body
    address_id = created.json["address_id"]
    tour = _tour(stack, "email")
    answer = stack.call("POST", f"/tours/{tour['tour_id']}/registrations", json_body={
        "first_name": "Erika", "last_name": "Neumann", "phone": "+49 30 1111111",
        "email": email, "privacy_accepted": True})
    assert answer.status == 202, answer.body
    assert stack.call("POST", stack.mail_link("unlock", email), form="confirm=1").status == 303
    assert stack.call("GET", f"/agency/addresses/{address_id}", token=DEMO
                      ).json["last_name"] == "Mustermann"

    _sign_in(page, live)
    _go(page, live, f"#/addresses/{address_id}")
    item = page.locator("ol.activities li", has_text="Änderungsvorschlag")
    assert "Mustermann → Neumann" in item.inner_text()
    item.get_by_role("button", name="Vorschlag übernehmen").click()
    page.get_by_role("status").filter(has_text="übernommen").wait_for()
    assert stack.call("GET", f"/agency/addresses/{address_id}", token=DEMO
                      ).json["last_name"] == "Neumann"
    assert page.locator("ol.activities li", has_text="Änderungsvorschlag").get_by_role(
        "button", name="Vorschlag übernehmen").count() == 0
