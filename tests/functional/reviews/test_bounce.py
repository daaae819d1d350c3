"""A reviewer's address that bounced before the review was confirmed keeps the review
unpublished after the confirmation (no contact, no publication); the SNS event delivered
twice (SNS retries) has one effect."""

from __future__ import annotations

from tests.conftest import QA
from tests.functional.mail.support import (
    BOUNCE_PERMANENT,
    SentMails,
    deliver,
    notification,
)
from tests.functional.reviews.support import last_link, public, qa_review, submit


def test_a_bounce_before_the_confirmation_keeps_the_review_unpublished(http, outbox,
                                                                         container, emf):
    sent = SentMails(container.ses)
    reply = submit(http, email="rita@example.org")
    assert reply.status == 202
    review_id = reply.json["review_id"]
    confirm = last_link(outbox, "rita@example.org", "review-confirm")
    mail = sent.last_to("rita@example.org")
    assert mail["tags"]["kind"] == ["review_confirm"]

    # The same SNS event twice (a retried delivery): one suppression, one finding.
    note = notification(BOUNCE_PERMANENT, mail)
    assert deliver(note)["flagged"] is True
    deliver(note)
    before = qa_review(http, review_id)
    assert before["status"] == "awaiting_confirmation"
    assert [f["check"] for f in before["findings"]] == ["contact_undeliverable"]

    # The mail had reached the reviewer before it bounced: the link still confirms, but the
    # checks' clean result does not overwrite the bounce.
    assert http.form_post(confirm).status == 200
    after = qa_review(http, review_id)
    assert after["status"] == "in_review"
    assert "contact_undeliverable" in [f["check"] for f in after["findings"]]
    assert after["confirmed_at"] and after["due_by"]
    assert public(http)["reviews"] == [] and public(http)["summary"]["count"] == 0
    queue = http.get("/qa/reviews?status=in_review", token=QA).json["reviews"]
    assert review_id in {r["review_id"] for r in queue}
    assert emf.total("ReviewsPublished") == 0
    # Used: a second POST of the link changes nothing.
    assert http.form_post(confirm).status == 410
    assert qa_review(http, review_id)["status"] == "in_review"


def test_without_a_bounce_the_same_review_is_published(http, outbox):
    reply = submit(http, email="rita@example.org")
    assert http.form_post(last_link(outbox, "rita@example.org", "review-confirm")).status == 200
    assert qa_review(http, reply.json["review_id"])["status"] == "published"
