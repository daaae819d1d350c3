"""SES bounce and complaint notifications (configuration-set event publishing via SNS):
our own suppression list and the flags on what the mail was about. The samples follow
the JSON SES publishes (docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-examples.html);
the message id and tags are the ones of the mail the code really sent."""

from __future__ import annotations

from typing import Any

from chalice.test import Client

import app as application
from tests.conftest import DEMO, QA
from tests.functional.mail.support import (
    BOUNCE_PERMANENT,
    BOUNCE_TRANSIENT,
    COMPLAINT,
    deliver,
    mail_records,
    notification,
)
from tests.functional.privacy.support import consent_request, create_address, get_address
from tests.functional.reviews.support import public, qa_review, submit_and_confirm
from tests.support import register


def registrations(http: Any, tour_id: str) -> dict[str, dict[str, Any]]:
    reply = http.get(f"/agency/tours/{tour_id}/registrations", token=DEMO)
    assert reply.status == 200, reply.body
    return {r["registration_id"]: r for r in reply.json["registrations"]}



def test_a_permanent_bounce_flags_the_registration_and_suppresses_the_address(
        http, make_tour, container, sent, outbox):
    tour = make_tour("email")
    first = register(http, tour["tour_id"], email="eva@example.org")["registration_id"]
    mail = sent.last_to("eva@example.org")
    assert mail["tags"]["ref_kind"] == ["registration"]
    assert mail["tags"]["ref_id"] == [first]

    summary = deliver(notification(BOUNCE_PERMANENT, mail))
    assert summary == {"type": "bounce", "bounce_type": "Permanent", "suppressed": 1,
                       "flagged": True, "ignored": False}
    listed = registrations(http, tour["tour_id"])[first]
    assert listed["undeliverable"] is True
    assert listed["status"] == "pending_email"  # the status stays as it is

    # Delivered again (SNS is at-least-once): harmless.
    assert deliver(notification(BOUNCE_PERMANENT, mail))["suppressed"] == 1
    assert registrations(http, tour["tour_id"])[first]["undeliverable"] is True

    # The next mail to that address is not sent, but recorded as suppressed, and its
    # registration is flagged at once.
    mails_before = len(outbox())
    sends_before = len(sent.sent)
    other_tour = make_tour("email")
    second = register(http, other_tour["tour_id"], email="EVA@example.org")["registration_id"]
    assert len(sent.sent) == sends_before
    assert len(outbox()) == mails_before
    records = [i for i in mail_records(container) if i.get("ref_id") == second]
    assert [r["status"] for r in records] == ["suppressed"]
    assert registrations(http, other_tour["tour_id"])[second]["undeliverable"] is True


def test_a_transient_bounce_neither_suppresses_nor_flags(http, make_tour, sent):
    tour = make_tour("email")
    first = register(http, tour["tour_id"], email="eva@example.org")["registration_id"]
    summary = deliver(notification(BOUNCE_TRANSIENT, sent.last_to("eva@example.org")))
    assert summary["bounce_type"] == "Transient"
    assert summary["suppressed"] == 0 and summary["flagged"] is False
    assert registrations(http, tour["tour_id"])[first]["undeliverable"] is False
    sends = len(sent.sent)
    register(http, make_tour("email")["tour_id"], email="eva@example.org")
    assert len(sent.sent) == sends + 1


def test_a_complaint_suppresses_without_calling_the_address_undeliverable(
        http, make_tour, sent):
    tour = make_tour("email")
    first = register(http, tour["tour_id"], email="eva@example.org")["registration_id"]
    summary = deliver(notification(COMPLAINT, sent.last_to("eva@example.org")))
    assert summary == {"type": "complaint", "suppressed": 1, "flagged": False,
                       "ignored": False}
    assert registrations(http, tour["tour_id"])[first]["undeliverable"] is False
    sends = len(sent.sent)
    register(http, make_tour("email")["tour_id"], email="eva@example.org")
    assert len(sent.sent) == sends  # suppressed


def test_a_notification_for_several_recipients_suppresses_each(http, make_tour, sent):
    tour = make_tour("email")
    register(http, tour["tour_id"], email="eva@example.org")
    mail = sent.last_to("eva@example.org")
    summary = deliver(notification(BOUNCE_PERMANENT, mail, "anna@example.org",
                                   "ben@example.org"))
    assert summary["suppressed"] == 2
    sends = len(sent.sent)
    register(http, make_tour("email")["tour_id"], email="anna@example.org")
    register(http, make_tour("email")["tour_id"], email="ben@example.org")
    assert len(sent.sent) == sends
    register(http, make_tour("email")["tour_id"], email="carla@example.org")
    assert len(sent.sent) == sends + 1


def test_out_of_order_and_unreadable_notifications_are_harmless(http, make_tour, sent):
    tour = make_tour("email")
    register(http, tour["tour_id"], email="eva@example.org")
    mail = sent.last_to("eva@example.org")
    later = notification(COMPLAINT, mail)
    earlier = notification(BOUNCE_PERMANENT, mail)
    assert deliver(later)["suppressed"] == 1
    assert deliver(earlier)["suppressed"] == 1
    assert deliver("not json")["ignored"] is True
    assert deliver({"eventType": "Delivery", "mail": mail | {"messageId": "x"}})["ignored"]


def test_a_reviewer_bounce_takes_the_review_off_the_public_list_with_the_reason(
        http, outbox, container, sent):
    review = submit_and_confirm(http, outbox, email="rita@example.org")
    assert review["status"] == "published"
    assert len(public(http)["reviews"]) == 1
    mail = sent.last_to("rita@example.org")
    assert mail["tags"]["kind"] == ["review_published"]

    assert deliver(notification(BOUNCE_PERMANENT, mail))["flagged"] is True
    after = qa_review(http, review["review_id"])
    assert after["status"] == "in_review"
    assert [f["check"] for f in after["findings"]][-1] == "contact_undeliverable"
    assert public(http)["reviews"] == []
    queue = http.get("/qa/reviews?status=in_review", token=QA).json["reviews"]
    assert review["review_id"] in {r["review_id"] for r in queue}
    # Again: one finding, not two.
    deliver(notification(BOUNCE_PERMANENT, mail))
    findings = qa_review(http, review["review_id"])["findings"]
    assert [f["check"] for f in findings].count("contact_undeliverable") == 1


def test_an_address_book_bounce_flags_the_address(http, clock, sent):
    address = create_address(http, first_name="Eva", last_name="Muster",
                             email="eva@example.org")["address_id"]
    assert get_address(http, address)["email_undeliverable"] is False
    clock.advance(minutes=1)
    assert consent_request(http, address)["sent"] == [address]
    mail = sent.last_to("eva@example.org")
    assert mail["tags"]["agency"] == ["demo"]
    assert deliver(notification(BOUNCE_PERMANENT, mail))["flagged"] is True
    assert get_address(http, address)["email_undeliverable"] is True


def test_the_ops_function_runs_a_job_on_request(container):
    with Client(application.app, stage_name="local") as client:
        reply = client.lambda_.invoke("ops", {"action": "run_job", "job": "mail-retry"}).payload
        unknown = client.lambda_.invoke("ops", {"action": "run_job", "job": "nope"}).payload
    assert reply["ok"] is True and reply["summary"]["job"] == "mail-retry"
    assert unknown["ok"] is False and unknown["error"]["code"] == "unknown_job"


def test_the_ops_function_exports_and_erases_one_person(container, http):
    address = create_address(http, first_name="Eva", last_name="Muster",
                             email="eva@example.org")["address_id"]
    with Client(application.app, stage_name="local") as client:
        def ops(event: dict[str, Any]) -> dict[str, Any]:
            return client.lambda_.invoke("ops", event).payload

        exported = ops({"action": "export_person", "agency_id": "demo",
                        "email": "EVA@example.org"})
        assert exported["ok"] is True
        assert exported["address"]["address_id"] == address
        assert "records" in exported
        assert ops({"action": "export_person", "agency_id": "other",
                    "email": "eva@example.org"})["error"]["code"] == "not_found"
        erased = ops({"action": "erase_person", "agency_id": "demo",
                      "email": "eva@example.org"})
        assert erased["ok"] is True and erased["deleted"] == address
        assert ops({"action": "export_person", "agency_id": "demo",
                    "email": "eva@example.org"})["ok"] is False
    assert http.get(f"/agency/addresses/{address}", token=DEMO).status == 404
