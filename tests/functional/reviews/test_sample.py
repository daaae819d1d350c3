"""Flags beyond QA's own (contract v2 "a real sample"): a burst of reviews from new
reviewer emails, and every disappearance told to the agency (phone check, bounce)."""

from __future__ import annotations

from typing import Any

from tests.conftest import QA
from tests.functional.reviews.support import qa_review, submit_and_confirm

TEXTS = [
    "Die Wohnungsübergabe in Pankow lief pünktlich und das Protokoll war vollständig.",
    "Sehr geduldige Beratung beim Kauf unseres ersten Reihenhauses in Falkensee.",
    "Exposé mit ehrlichen Fotos, Besichtigung am Samstag war schnell organisiert.",
    "Der Notartermin wurde zügig vereinbart, alle Unterlagen lagen rechtzeitig vor.",
    "Faire Einschätzung des Verkaufspreises für unser Grundstück in Bernau erhalten.",
    "Rückrufe kamen immer am selben Tag, auch bei Fragen zur Finanzierung des Kaufs.",
]


def agency_mails(outbox: Any) -> list[dict[str, Any]]:
    return [m for m in outbox() if "kontakt@demo-makler.de" in m["to"]]


def test_five_reviews_from_new_emails_within_24_hours_flag_the_whole_burst(
        http, outbox, clock):
    reviews = []
    for number in range(4):
        reviews.append(submit_and_confirm(http, outbox, email=f"neu{number}@example.org",
                                          text=TEXTS[number]))
        clock.advance(hours=5)
    assert all(not r["reverification_plan"]["flags"] for r in reviews)
    fifth = submit_and_confirm(http, outbox, email="neu4@example.org", text=TEXTS[4])
    assert fifth["status"] == "published"
    [own] = fifth["reverification_plan"]["flags"]
    assert own["source"] == "burst" and "5 Bewertungen" in own["reason"]
    for earlier in reviews:
        flags = qa_review(http, earlier["review_id"])["reverification_plan"]["flags"]
        assert [f["source"] for f in flags] == ["burst"]
    # A sixth more than 24 h after the first ones is outside the window: no burst of 5.
    clock.advance(hours=30)
    late = submit_and_confirm(http, outbox, email="neu5@example.org", text=TEXTS[5])
    assert late["reverification_plan"]["flags"] == []
    assert http.post("/dev/jobs/review-sweep").json["reverification_requested"] == 5


def test_a_failed_phone_check_and_a_bounce_tell_the_agency_why_the_review_left(
        http, outbox, clock, container):
    called = submit_and_confirm(http, outbox, email="tel@example.org", text=TEXTS[0],
                                phone="030 1234567")
    before = len(agency_mails(outbox))
    reply = http.post(f"/qa/reviews/{called['review_id']}/phone-check",
                      {"confirmed": False, "note": "Niemand kennt den Makler."}, token=QA)
    assert reply.status == 200 and reply.json["status"] == "in_review"
    [mail] = agency_mails(outbox)[before:]
    assert mail["subject"] == "Bewertung nicht mehr sichtbar: „Sehr gute Beratung“"
    assert "telefonische Prüfung" in mail["text"]
    assert "Niemand kennt" not in mail["text"]  # QA's note stays with QA
    # QA publishes it again after all (contact is fine): "wieder sichtbar", not "Neue".
    reply = http.post(f"/qa/reviews/{called['review_id']}/decision",
                      {"decision": "publish", "reason": "Rückruf erreicht."}, token=QA)
    assert reply.status == 200
    subjects = [m["subject"] for m in agency_mails(outbox)[before:]]
    assert subjects[-1] == "Bewertung wieder sichtbar: „Sehr gute Beratung“"
    assert not any(s.startswith("Neue Bewertung") for s in subjects)

    # A bounce of the reviewer's address takes it off the list and QA may not publish it.
    container.reviews.qa.mail_failed(called["review_id"], "review_published")
    assert qa_review(http, called["review_id"])["status"] == "in_review"
    assert agency_mails(outbox)[-1]["subject"].startswith("Bewertung nicht mehr sichtbar")
    assert "nicht mehr zustellbar" in agency_mails(outbox)[-1]["text"]
    refused = http.post(f"/qa/reviews/{called['review_id']}/decision",
                        {"decision": "publish", "reason": "Trotzdem."}, token=QA)
    assert refused.status == 409
    assert refused.json["error"]["code"] == "contact_undeliverable"
    assert http.post(f"/qa/reviews/{called['review_id']}/decision",
                     {"decision": "reject", "reason": "Kein Kontakt."}, token=QA).status == 200


def test_review_mails_answer_to_the_qa_address(http, outbox, container):
    import email

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    submit_and_confirm(http, outbox, email="eva@example.org", text=TEXTS[1])
    sent = ses_backends[DEFAULT_ACCOUNT_ID][container.settings.region].sent_messages
    raws = [email.message_from_string(m.raw_data) for m in sent if hasattr(m, "raw_data")]
    review_mails = [m for m in raws if "Bewertung" in str(m["Subject"])]
    assert review_mails
    assert all("bewertungen@freigabe.example" in str(m["Reply-To"]) for m in review_mails)
