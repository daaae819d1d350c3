"""The dashboard's part of the gate (issue 14): the tour id and the embed snippet to paste,
the privacy_url in the tour form (a PUT keeps what the form does not show), the funnel and
per-viewpoint time, and each consenting lead's viewing timeline."""

from __future__ import annotations

import uuid
from typing import Any

from tests.browser.test_dashboard import _go, _sign_in
from tests.conftest import DEMO
from tests.live_stack import Running


def _tour_with_views(live: Running) -> tuple[str, str]:
    stack = live.stack
    created = stack.call("POST", "/agency/tours", token=DEMO, json_body={
        "title": f"Rundgang-{uuid.uuid4().hex[:8]}", "tour_url": "https://touren.example/altbau",
        "protection": {"mode": "email", "required_fields": ["first_name"],
                       "protected_viewpoints": ["wohnzimmer"]},
        "contact": {"name": "Dana Demo", "company": "Demo Makler GmbH",
                    "email": "dana@demo-makler.de", "phone": "+49 30 1234567"},
        "allowed_origins": ["https://player.example"]})
    assert created.status == 201, created.body
    tour_id = created.json["tour_id"]
    lead = stack.call("POST", f"/tours/{tour_id}/registrations", json_body={
        "first_name": "Eva", "email": f"eva-{uuid.uuid4().hex[:8]}@example.org",
        "privacy_accepted": True, "viewing_stats_accepted": True})
    assert lead.status == 202, lead.body
    for events in ([{"type": "tour_view"}, {"type": "viewpoint_view", "viewpoint_id": "flur",
                                            "seconds": 30}, {"type": "form_opened"}],
                   [{"type": "tour_view"}, {"type": "viewpoint_view",
                                            "viewpoint_id": "wohnzimmer", "seconds": 95}]):
        sent = stack.call("POST", f"/tours/{tour_id}/views", json_body={
            "viewer_token": lead.json["viewer_token"], "events": events})
        assert sent.status == 202, sent.body
    return tour_id, lead.json["registration_id"]


def test_snippet_funnel_and_a_leads_viewing(live: Running, page: Any, shot: Any,
                                           assert_accessible: Any) -> None:
    tour_id, registration_id = _tour_with_views(live)
    _sign_in(page, live)
    _go(page, live, f"#/tours/{tour_id}")
    assert page.locator("#tour-id").inner_text() == tour_id
    snippet = page.locator("#embed-snippet").input_value()
    assert f'<script src="{live.stack.base}/embed/v1.js"></script>' in snippet
    assert f'tourId: "{tour_id}"' in snippet and '["wohnzimmer"]' in snippet
    funnel = {key: page.locator(f"[data-funnel={key}] strong").inner_text()
              for key in ("tour_views", "form_opened", "registrations", "unlocked")}
    assert funnel == {"tour_views": "2", "form_opened": "1", "registrations": "1",
                      "unlocked": "0"}
    assert page.locator("[data-viewpoint=wohnzimmer]").inner_text().split("\t")[:3] == [
        "wohnzimmer", "1", "1 min 35 s"]
    assert_accessible(page)
    shot(page, "dashboard-tour-funnel")

    page.locator(f"[data-viewing='{registration_id}']").click()
    card = page.locator("#lead-viewing")
    card.get_by_role("heading").wait_for()
    items = card.locator("ol.timeline li")
    assert items.count() == 2
    assert "wohnzimmer" in items.nth(0).inner_text()  # newest visit first
    assert "flur" in items.nth(1).inner_text()
    shot(page, "dashboard-lead-viewing")


def test_the_tour_form_sets_privacy_url_and_keeps_the_origins(live: Running, page: Any) -> None:
    tour_id, _ = _tour_with_views(live)
    _sign_in(page, live)
    _go(page, live, f"#/tours/{tour_id}/edit")
    page.get_by_label("Datenschutzerklärung (URL, optional)").fill(
        "https://demo-makler.example/datenschutz-rundgang")
    page.get_by_role("button", name="Speichern").click()
    page.locator("#tour-id").wait_for()
    tour = live.stack.call("GET", f"/agency/tours/{tour_id}", token=DEMO).json
    assert tour["privacy_url"] == "https://demo-makler.example/datenschutz-rundgang"
    assert tour["allowed_origins"] == ["https://player.example"]
