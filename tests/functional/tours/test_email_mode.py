"""E-Mail-Freigabe end to end through the HTTP surface."""

from __future__ import annotations

from tests.conftest import DEMO, registration_payload
from tests.support import links_of


def test_registration_mails_unlock_link_with_contact_and_unlocks_on_post(http, make_tour, outbox):
    tour = make_tour("email")
    reply = http.post(f"/tours/{tour['tour_id']}/registrations", registration_payload())
    assert reply.status == 202
    body = reply.json
    assert body["status"] == "pending_email"
    viewer = body["viewer_token"]

    access = http.get(f"/tours/{tour['tour_id']}/access", headers={"X-Viewer-Token": viewer})
    assert access.json == {"status": "pending_email", "protected_viewpoints": ["wohnzimmer", "bad"]}

    [mail] = outbox()
    assert mail["to"] == ["eva@example.org"]
    for part in (mail["text"], mail["html"]):
        for detail in ("Dana Demo", "Demo Makler GmbH", "+49 30 1234567", "dana@demo-makler.de"):
            assert detail in part
    assert "Rundgang freischalten" in mail["html"]
    [link] = links_of(mail, "unlock")

    page = http.get(link)
    assert page.status == 200
    assert '<form method="post"' in page.text and "Rundgang freischalten" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"

    done = http.form_post(link)
    assert done.status == 303
    location = done.headers["location"]
    assert location.startswith("https://touren.example/altbau#freigabe=")
    new_token = location.split("#freigabe=", 1)[1]

    for token in (viewer, new_token):
        access = http.get(f"/tours/{tour['tour_id']}/access", headers={"X-Viewer-Token": token})
        assert access.json["status"] == "unlocked"
    stats = http.get(f"/agency/tours/{tour['tour_id']}/stats", token=DEMO).json
    v1 = {"registrations", "unlocked", "pending_email", "pending_approval", "denied"}
    assert {k: v for k, v in stats.items() if k in v1} == {
        "registrations": 1, "unlocked": 1, "pending_email": 0, "pending_approval": 0,
        "denied": 0}
    assert stats["funnel"]["registrations"] == 1 and stats["funnel"]["unlocked"] == 1

    assert http.form_post(link).status == 410
    assert http.get(link).status == 410
