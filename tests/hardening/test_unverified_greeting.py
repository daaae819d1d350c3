"""Issue 19, hole 3: mails caused by an anonymous request greet without the name it typed
("Guten Tag Gewinn! Jetzt auf http://evil.example klicken" reached any address)."""

from __future__ import annotations

from tests.conftest import DEMO, registration_payload

BAIT = "Gewinn! Jetzt auf http://evil.example klicken"


def _to(outbox, email):
    return [m for m in outbox() if email in m["to"]]


def test_the_unlock_and_request_received_mails_greet_without_the_typed_name(
        http, make_tour, outbox):
    for mode, email in (("email", "opfer1@example.org"), ("manual", "opfer2@example.org")):
        tour = make_tour(mode)
        reply = http.post(f"/tours/{tour['tour_id']}/registrations",
                          registration_payload(first_name="Gewinn!", last_name=BAIT[8:],
                                               email=email))
        assert reply.status == 202
        [mail] = _to(outbox, email)
        for part in (mail["text"], mail["html"]):
            assert "Gewinn" not in part and "evil.example" not in part
        assert mail["text"].startswith("Guten Tag,")
        assert tour["title"] in mail["text"] and "Demo Makler GmbH" in mail["text"]


def test_the_approval_mail_uses_the_verified_name(http, make_tour, outbox):
    tour = make_tour("manual")
    reply = http.post(f"/tours/{tour['tour_id']}/registrations",
                      registration_payload(first_name="Eva", last_name="Muster"))
    http.post(f"/agency/registrations/{reply.json['registration_id']}/approve", token=DEMO)
    granted = _to(outbox, "eva@example.org")[-1]
    assert "Eva Muster" in granted["text"]


def test_the_review_confirm_mail_carries_no_free_text_of_the_request(http, outbox):
    reply = http.post("/agencies/demo/reviews", {
        "rating": 5, "title": "Jetzt klicken: evil.example", "reviewer_name": "Gewinn!",
        "email": "opfer3@example.org",
        "text": "Eine ganz normale Bewertung mit ausreichend langem Text hier."})
    assert reply.status == 202, reply.body
    [mail] = _to(outbox, "opfer3@example.org")
    for part in (mail["text"], mail["html"]):
        assert "Gewinn" not in part and "evil.example" not in part
    assert mail["text"].startswith("Guten Tag,")
