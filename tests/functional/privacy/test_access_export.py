"""GET /agency/addresses/{id}/export: the person's data (Art. 15/20) as JSON with documented
fields and as a printable German page; never who wrote which review."""

from __future__ import annotations

from typing import Any

from tests.conftest import DEMO, OTHER, registration_payload
from tests.functional.privacy.support import (
    activity,
    consent_request,
    create_address,
    create_property,
    ok,
)

SECTIONS = {"format", "generated_at", "controller", "address", "gdpr", "activities",
            "consent_records", "registrations", "review_invitations", "webhook_deliveries",
            "information"}


def export(http: Any, address_id: str, token: str = DEMO, fmt: str | None = None) -> Any:
    suffix = f"?format={fmt}" if fmt else ""
    return http.get(f"/agency/addresses/{address_id}/export{suffix}", token=token)


def test_json_export_holds_what_the_agency_holds(http: Any, make_tour: Any, outbox: Any
                                                 ) -> None:
    tour = make_tour()
    reply = http.post(f"/tours/{tour['tour_id']}/registrations",
                      registration_payload(first_name="Lea", last_name="Lange",
                                           email="lea@example.org", phone="+49 171 5550001"))
    assert reply.status == 202
    person = ok(http.get("/agency/addresses?email=lea@example.org", token=DEMO))["addresses"][0]
    prop = create_property(http)
    activity(http, person["address_id"], "appointment", prop, note="Besichtigung Samstag")
    consent_request(http, person["address_id"])

    body = ok(export(http, person["address_id"]))
    assert set(body) >= SECTIONS
    assert body["format"] == "freigabe-auskunft/1"
    assert body["controller"]["legal_name"] == "Demo Makler GmbH"
    assert body["address"]["email"] == "lea@example.org"
    assert body["address"]["source"] == "tour_registration"
    assert body["gdpr"]["gdpr_status_label"] == "Keine Angabe"
    notes = [a["note"] for a in body["activities"]]
    assert "Besichtigung Samstag" in notes
    assert {a["type"] for a in body["activities"]} >= {"inquiry", "appointment", "gdpr"}
    assert len(body["registrations"]) == 1
    registration = body["registrations"][0]
    assert registration["tour_id"] == tour["tour_id"]
    assert registration["prospect"]["email"] == "lea@example.org"
    headings = [s["heading"] for s in body["information"]]
    assert "Zwecke und Rechtsgrundlagen" in headings and "Ihre Rechte" in headings


def test_html_export_is_printable_german(http: Any) -> None:
    person = create_address(http, first_name="Ole", last_name="<Ortmann>",
                            email="ole@example.org", store_until="2031-01-01",
                            store_until_reason="Steuerrecht")["address_id"]
    reply = export(http, person, fmt="html")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/html")
    assert reply.headers["cache-control"] == "no-store"
    page = reply.text
    for shown in ("Auskunft nach Art. 15 DSGVO", "Demo Makler GmbH", "ole@example.org",
                  "DSGVO-Status", "Keine Angabe", "Speichern-Bis-Datum", "2031-01-01",
                  "Speichern-Bis-Grund", "Steuerrecht", "Herkunft der Daten (Art. 14 DSGVO)"):
        assert shown in page, shown
    assert "<Ortmann>" not in page and "&lt;Ortmann&gt;" in page


def test_never_who_wrote_which_review(http: Any, outbox: Any) -> None:
    from tests.functional.reviews.support import submit_and_confirm

    person = create_address(http, email="rev@example.org")["address_id"]
    review = submit_and_confirm(http, outbox, "demo", email="rev@example.org")
    assert review
    body = ok(export(http, person))
    text = repr(body)
    assert "review_id" not in text and "rating" not in text
    assert review["review_id"] not in text
    assert "reviews" not in body


def test_unknown_foreign_and_bad_format(http: Any) -> None:
    person = create_address(http, email="x@example.org")["address_id"]
    assert export(http, "nope").status == 404
    assert export(http, person, token=OTHER).status == 404
    assert export(http, "nope", fmt="pdf").status == 404         # 404 wins
    bad = export(http, person, fmt="pdf")
    assert bad.status == 422 and "format" in bad.json["error"]["fields"]
    assert http.get(f"/agency/addresses/{person}/export").status == 401
