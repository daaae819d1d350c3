"""Issue 19, hole 3: one victim address gets at most 10 mails a day from anonymous
requests, across all tours and agencies (it got 5 per tour per hour from every tour)."""

from __future__ import annotations

from tests.conftest import DEMO, OTHER, registration_payload

VICTIM = "opfer@example.org"
CAP = 10


def _mails_to(outbox, email):
    return [m for m in outbox() if email in m["to"]]


def test_the_eleventh_mail_of_the_day_is_suppressed_across_tours_and_agencies(
        http, make_tour, outbox, clock, container):
    tours = [make_tour("email"), make_tour("manual"), make_tour("email", token=OTHER),
             make_tour("email", token=OTHER)]
    answers = []
    for n in range(CAP + 2):
        tour = tours[n % len(tours)]
        reply = http.post(f"/tours/{tour['tour_id']}/registrations",
                          registration_payload(email=VICTIM))
        assert reply.status == 202, reply.body  # no enumeration: the same answer
        answers.append((tour, reply.json))
    assert len(_mails_to(outbox, VICTIM)) == CAP
    # The suppressed registrations say so to their agency.
    suppressed = []
    for tour, answer in answers:
        token = OTHER if tour in tours[2:] else DEMO
        listed = http.get(f"/agency/tours/{tour['tour_id']}/registrations", token=token
                          ).json["registrations"]
        [mine] = [r for r in listed if r["registration_id"] == answer["registration_id"]]
        suppressed.append(mine["mail_suppressed"])
    assert suppressed == [False] * CAP + [True, True]
    # The agency's own contact still gets the manual-release request (not capped).
    requests = [m for m in outbox() if "dana@demo-makler.de" in m["to"]]
    assert len(requests) == 3
    # A review submission for the same address is capped too; another address is not.
    review = {"rating": 5, "title": "Gute Beratung", "reviewer_name": "Eva M.",
              "text": "Schnelle Rückmeldungen und eine realistische Preiseinschätzung."}
    capped = http.post("/agencies/demo/reviews", {**review, "email": VICTIM})
    assert capped.status == 202
    assert len(_mails_to(outbox, VICTIM)) == CAP
    assert container.reviews.repo.get_review(capped.json["review_id"])["mail_suppressed"] is True
    other = http.post("/agencies/demo/reviews", {**review, "email": "jemand@example.org"})
    assert other.status == 202 and len(_mails_to(outbox, "jemand@example.org")) == 1
    # The next UTC day the address gets mail again.
    clock.advance(days=1)
    reply = http.post(f"/tours/{tours[0]['tour_id']}/registrations",
                      registration_payload(email=VICTIM))
    assert reply.status == 202
    assert len(_mails_to(outbox, VICTIM)) == CAP + 1


def test_the_cap_is_configurable(http, make_tour, outbox, container, monkeypatch):
    tight = container.settings.model_copy(update={"mail_per_recipient_per_day": 2})
    monkeypatch.setattr(container.tours.registration, "settings", tight)
    tour = make_tour("email")
    for _ in range(3):
        assert http.post(f"/tours/{tour['tour_id']}/registrations",
                         registration_payload(email=VICTIM)).status == 202
    assert len(_mails_to(outbox, VICTIM)) == 2
