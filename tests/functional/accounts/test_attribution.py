"""Every state change names who made it: the person or API key deciding a registration,
adding an activity or deleting an address; the QA member deciding a review (named to QA
only)."""

from __future__ import annotations

from typing import Any

from tests.conftest import DEMO, registration_payload, tour_payload
from tests.functional.reviews.support import submit_and_confirm


def test_decisions_activities_and_deletions_name_the_person_or_key(
        http: Any, bearer: dict[str, str], people: dict[str, str]) -> None:
    tour = http.post("/agency/tours", tour_payload("manual"), token=bearer["agent"]).json
    reg = http.post(f"/tours/{tour['tour_id']}/registrations", registration_payload()).json
    decided = http.post(f"/agency/registrations/{reg['registration_id']}/approve",
                        token=bearer["agent"])
    assert decided.status == 200, decided.body
    [listed] = http.get(f"/agency/tours/{tour['tour_id']}/registrations", token=DEMO
                        ).json["registrations"]
    assert listed["decided_by"] == {"kind": "user", "id": people["makler@demo-makler.de"],
                                    "name": "Mark Makler"}
    [address] = http.get("/agency/addresses?email=eva@example.org", token=DEMO).json["addresses"]
    added = http.post(f"/agency/addresses/{address['address_id']}/activities",
                      {"type": "note", "note": "Rückruf"}, token=bearer["assistant"])
    assert added.status == 201, added.body
    activities = http.get(f"/agency/addresses/{address['address_id']}/preview", token=DEMO
                          ).json["activities"]
    [note] = [a for a in activities if a["type"] == "note"]
    assert note["by"] == {"kind": "user", "id": people["assistenz@demo-makler.de"],
                          "name": "Anna Assistenz"}
    key = http.post("/agency/api-keys", {"name": "CRM"}, token=bearer["owner"]).json
    assert http.request("DELETE", f"/agency/addresses/{address['address_id']}",
                        token=key["key"]).status == 200
    [proof] = http.get("/agency/gdpr/deletions", token=DEMO).json["deletions"]
    assert proof["by"] == {"kind": "api_key", "id": key["api_key_id"], "name": "CRM"}


def test_a_qa_members_decision_names_them_to_qa_only(http: Any, bearer: dict[str, str],
                                                     people: dict[str, str], outbox: Any) -> None:
    review_id = submit_and_confirm(http, outbox, text="Der Makler ist ein B3trüg3r, "
                                   "Termine hat er nie eingehalten.",
                                   email="max@example.org")["review_id"]
    decided = http.post(f"/qa/reviews/{review_id}/decision",
                        {"decision": "reject", "reason": "Formalbeleidigung."}, token=bearer["qa"])
    assert decided.status == 200, decided.body
    qa = http.get(f"/qa/reviews/{review_id}", token=bearer["qa"]).json
    assert qa["decisions"][-1]["by"] == {"kind": "qa", "id": people["qa@freigabe.example"],
                                         "name": "Quentin Prüfer"}
    agency = http.get("/agency/reviews", token=DEMO).text
    assert "Quentin" not in agency and people["qa@freigabe.example"] not in agency
    assert not [m for m in outbox() if "Quentin" in m["text"] or "Quentin" in m["html"]]
