"""SES bounce and complaint notifications (configuration-set event publishing via SNS):
our own suppression list and the flags on what the mail was about. The samples follow
the JSON SES publishes (docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-examples.html);
the message id and tags are the ones of the mail the code really sent."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from chalice.test import Client

import app as application
from tests.conftest import DEMO, QA, registration_payload
from tests.functional.gdpr_support import consent_request, create_address, get_address
from tests.functional.review_support import public, qa_review, submit_and_confirm

BOUNCE_PERMANENT: dict[str, Any] = {
    "eventType": "Bounce",
    "bounce": {
        "feedbackId": "0102017a3f8e5b3c-7a2b-4f5e-9f3c-1c2d3e4f5a6b-000000",
        "bounceType": "Permanent",
        "bounceSubType": "General",
        "bouncedRecipients": [{
            "emailAddress": "recipient@example.com", "action": "failed",
            "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
        "timestamp": "2026-11-23T09:05:00.000Z",
        "reportingMTA": "dsn; a8-70.smtp-out.amazonses.com",
    },
    "mail": {
        "timestamp": "2026-11-23T09:01:00.000Z",
        "source": "Freigabe <noreply@freigabe.test>",
        "sourceArn": "arn:aws:ses:eu-central-1:123456789012:identity/freigabe.test",
        "sendingAccountId": "123456789012",
        "messageId": "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
        "destination": ["recipient@example.com"],
        "headersTruncated": False,
        "tags": {"ses:configuration-set": ["freigabe-dev"],
                 "ses:source-ip": ["192.0.2.0"], "ses:from-domain": ["freigabe.test"],
                 "ses:caller-identity": ["freigabe-dev-ApiHandlerRole"]},
    },
}
BOUNCE_TRANSIENT = copy.deepcopy(BOUNCE_PERMANENT)
BOUNCE_TRANSIENT["bounce"].update({"bounceType": "Transient", "bounceSubType": "MailboxFull",
                                   "feedbackId": "0102017a-transient-000000"})
BOUNCE_TRANSIENT["bounce"]["bouncedRecipients"][0].update(
    {"status": "4.2.2", "diagnosticCode": "smtp; 452 4.2.2 mailbox full"})
COMPLAINT: dict[str, Any] = {
    "eventType": "Complaint",
    "complaint": {
        "feedbackId": "0102017a-complaint-000000",
        "complaintSubType": None,
        "complainedRecipients": [{"emailAddress": "recipient@example.com"}],
        "timestamp": "2026-11-23T09:10:00.000Z",
        "userAgent": "Mozilla/5.0",
        "complaintFeedbackType": "abuse",
        "arrivalDate": "2026-11-23T09:09:00.000Z",
    },
    "mail": copy.deepcopy(BOUNCE_PERMANENT["mail"]),
}


class SentMails:
    """What the code handed to SES: recipients, message id and tags (SES echoes the tags
    in its notifications)."""

    def __init__(self, client: Any) -> None:
        self.sent: list[dict[str, Any]] = []
        client.meta.events.register("before-parameter-build.sesv2.SendEmail", self._params)
        client.meta.events.register("after-call.sesv2.SendEmail", self._after)
        self._pending: dict[str, Any] | None = None

    def _params(self, params: dict[str, Any], **_: Any) -> None:
        self._pending = {"to": params["Destination"]["ToAddresses"],
                         "tags": {t["Name"]: [t["Value"]] for t in params.get("EmailTags", [])}}

    def _after(self, parsed: dict[str, Any], **_: Any) -> None:
        assert self._pending is not None
        self.sent.append({**self._pending, "message_id": parsed["MessageId"]})

    def last_to(self, address: str) -> dict[str, Any]:
        return [m for m in self.sent if address in m["to"]][-1]


@pytest.fixture
def sent(container: Any) -> SentMails:
    return SentMails(container.ses)


def notification(sample: dict[str, Any], mail: dict[str, Any], *recipients: str
                 ) -> dict[str, Any]:
    note = copy.deepcopy(sample)
    note["mail"]["messageId"] = mail["message_id"]
    note["mail"]["destination"] = list(mail["to"])
    note["mail"]["tags"].update(mail["tags"])
    key = "bounce" if "bounce" in note else "complaint"
    field = "bouncedRecipients" if key == "bounce" else "complainedRecipients"
    template = note[key][field][0]
    note[key][field] = [{**template, "emailAddress": r} for r in recipients or mail["to"]]
    return note


def deliver(note: dict[str, Any] | str) -> Any:
    with Client(application.app, stage_name="local") as client:
        event = client.events.generate_sns_event(
            message=note if isinstance(note, str) else json.dumps(note),
            subject="Amazon SES Email Event Notification")
        return client.lambda_.invoke("ses_feedback", event).payload


def registrations(http: Any, tour_id: str) -> dict[str, dict[str, Any]]:
    reply = http.get(f"/agency/tours/{tour_id}/registrations", token=DEMO)
    assert reply.status == 200, reply.body
    return {r["registration_id"]: r for r in reply.json["registrations"]}


def register(http: Any, tour: dict[str, Any], email: str) -> str:
    reply = http.post(f"/tours/{tour['tour_id']}/registrations",
                      registration_payload(email=email))
    assert reply.status == 202, reply.body
    return reply.json["registration_id"]


def test_a_permanent_bounce_flags_the_registration_and_suppresses_the_address(
        http, make_tour, container, sent, outbox):
    tour = make_tour("email")
    first = register(http, tour, "eva@example.org")
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
    second = register(http, other_tour, "EVA@example.org")
    assert len(sent.sent) == sends_before
    assert len(outbox()) == mails_before
    records = [i for i in _mail_records(container) if i.get("ref_id") == second]
    assert [r["status"] for r in records] == ["suppressed"]
    assert registrations(http, other_tour["tour_id"])[second]["undeliverable"] is True


def _mail_records(container: Any) -> list[dict[str, Any]]:
    # Test-only inspection of the outbox records (a Scan on moto's backend, not the API).
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][container.settings.region].get_table(
        container.settings.table("core"))
    items = [i.to_json()["Attributes"] for i in table.all_items()]
    plain = [{k: next(iter(v.values())) for k, v in item.items()} for item in items]
    return [i for i in plain if str(i.get("pk", "")).startswith("MAIL#")]


def test_a_transient_bounce_neither_suppresses_nor_flags(http, make_tour, sent):
    tour = make_tour("email")
    first = register(http, tour, "eva@example.org")
    summary = deliver(notification(BOUNCE_TRANSIENT, sent.last_to("eva@example.org")))
    assert summary["bounce_type"] == "Transient"
    assert summary["suppressed"] == 0 and summary["flagged"] is False
    assert registrations(http, tour["tour_id"])[first]["undeliverable"] is False
    sends = len(sent.sent)
    register(http, make_tour("email"), "eva@example.org")
    assert len(sent.sent) == sends + 1


def test_a_complaint_suppresses_without_calling_the_address_undeliverable(
        http, make_tour, sent):
    tour = make_tour("email")
    first = register(http, tour, "eva@example.org")
    summary = deliver(notification(COMPLAINT, sent.last_to("eva@example.org")))
    assert summary == {"type": "complaint", "suppressed": 1, "flagged": False,
                       "ignored": False}
    assert registrations(http, tour["tour_id"])[first]["undeliverable"] is False
    sends = len(sent.sent)
    register(http, make_tour("email"), "eva@example.org")
    assert len(sent.sent) == sends  # suppressed


def test_a_notification_for_several_recipients_suppresses_each(http, make_tour, sent):
    tour = make_tour("email")
    register(http, tour, "eva@example.org")
    mail = sent.last_to("eva@example.org")
    summary = deliver(notification(BOUNCE_PERMANENT, mail, "anna@example.org",
                                   "ben@example.org"))
    assert summary["suppressed"] == 2
    sends = len(sent.sent)
    register(http, make_tour("email"), "anna@example.org")
    register(http, make_tour("email"), "ben@example.org")
    assert len(sent.sent) == sends
    register(http, make_tour("email"), "carla@example.org")
    assert len(sent.sent) == sends + 1


def test_out_of_order_and_unreadable_notifications_are_harmless(http, make_tour, sent):
    tour = make_tour("email")
    register(http, tour, "eva@example.org")
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
