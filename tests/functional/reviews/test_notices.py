"""Notices (DSA Art. 16): POST /agencies/{agency_id}/reviews/{review_id}/notices from
anyone, GET /qa/notices, the receipt and the decision mailed to the notifier."""

from __future__ import annotations

from typing import Any

from tests.conftest import DEMO, QA
from tests.functional.reviews.support import submit_and_confirm
from tests.support import mails_to

TEXT = "Die Übergabe lief pünktlich, das Protokoll war vollständig und gut erklärt."
REASON = "Diese Bewertung behauptet Dinge über mich, die nachweislich falsch sind."


def notice(http: Any, review: dict[str, Any], **body: Any) -> Any:
    return http.post(f"/agencies/demo/reviews/{review['review_id']}/notices",
                     {"reason": REASON, **body})


def test_anyone_can_file_a_notice_and_gets_a_receipt_and_the_decision(http, outbox):
    review = submit_and_confirm(http, outbox, email="eva@example.org", text=TEXT)
    reply = notice(http, review, email="nachbar@example.org", name="Nina Nachbar")
    assert reply.status == 202, reply.body
    assert reply.json["status"] == "received"
    [receipt] = mails_to(outbox(), "nachbar@example.org")
    assert "Eingangsbestätigung" in receipt["subject"]
    assert "Art. 16" in receipt["text"] and "Nina Nachbar" in receipt["text"]
    anonymous = notice(http, review)  # no email: nobody to tell, still received
    assert anonymous.status == 202

    listed = http.get("/qa/notices", token=QA).json["notices"]
    assert {n["notice_id"] for n in listed} == {reply.json["notice_id"],
                                                 anonymous.json["notice_id"]}
    mine = next(n for n in listed if n["notice_id"] == reply.json["notice_id"])
    assert mine["reason"] == REASON and mine["review"]["review_id"] == review["review_id"]
    assert http.get("/qa/notices", token=DEMO).status == 401

    done = http.post(f"/qa/notices/{reply.json['notice_id']}/resolve",
                     {"outcome": "keep", "reason": "Zulässige Meinungsäußerung."}, token=QA)
    assert done.status == 200 and done.json["status"] == "resolved"
    assert http.post(f"/qa/notices/{reply.json['notice_id']}/resolve",
                     {"outcome": "keep", "reason": "x"}, token=QA).status == 409
    decision = mails_to(outbox(), "nachbar@example.org")[-1]
    assert "Entscheidung" in decision["subject"]
    assert "bleibt veröffentlicht" in decision["text"]
    assert "Zulässige Meinungsäußerung." in decision["text"]

    # A takedown decides the notices still open about the review.
    assert http.post(f"/qa/reviews/{review['review_id']}/takedown",
                     {"category": "other", "reason": "Unwahre Tatsachenbehauptung."},
                     token=QA).status == 200
    assert http.get("/qa/notices", token=QA).json["notices"] == []
    resolved = http.get("/qa/notices?status=resolved", token=QA).json["notices"]
    assert {n["outcome"] for n in resolved} == {"keep", "takedown"}


def test_notices_need_a_public_review_of_that_agency_and_a_reason(http, outbox):
    review = submit_and_confirm(http, outbox, email="eva@example.org", text=TEXT)
    assert http.post(f"/agencies/other/reviews/{review['review_id']}/notices",
                     {"reason": REASON}).status == 404
    assert http.post("/agencies/demo/reviews/unknown/notices", {"reason": REASON}).status == 404
    short = notice(http, review, reason="kurz")
    assert short.status == 422 and "reason" in short.json["error"]["fields"]
    assert notice(http, review, email="kein-mail").status == 422
    held = submit_and_confirm(http, outbox, email="max@example.org",
                              text="Der Makler ist ein B3trüg3r, Termine hat er nie eingehalten.")
    assert http.post(f"/agencies/demo/reviews/{held['review_id']}/notices",
                     {"reason": REASON}).status == 404  # not public


def test_the_notifiers_notices_are_exported_and_erased_with_them(http, outbox, container):
    from chalicelib import ops

    review = submit_and_confirm(http, outbox, email="eva@example.org", text=TEXT)
    filed = notice(http, review, email="nachbar@example.org", name="Nina Nachbar")
    assert filed.status == 202
    answer = ops.handle({"action": "export_person", "agency_id": "demo",
                         "email": "Nachbar@Example.org"}, container)
    assert answer["ok"], answer
    [exported] = answer["review_notices"]
    assert exported["reason"] == REASON and exported["name"] == "Nina Nachbar"
    assert answer["reviews"] == []  # a notifier, no reviewer

    erased = ops.handle({"action": "erase_person", "agency_id": "demo",
                         "email": "nachbar@example.org", "reason": "Art. 17"}, container)
    assert erased["ok"] and erased["review_notices_erased"] == [filed.json["notice_id"]]
    [kept] = http.get("/qa/notices", token=QA).json["notices"]
    assert kept["notice_id"] == filed.json["notice_id"]  # QA keeps that it was filed
    assert kept["email"] is None and kept["name"] is None and "Art. 17" in kept["reason"]
    again = ops.handle({"action": "export_person", "agency_id": "demo",
                        "email": "nachbar@example.org"}, container)
    assert again["error"]["code"] == "not_found"
