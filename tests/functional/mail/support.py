"""Helpers for the mail tests: SES failures injected with a botocore hook, what the code
handed to SES, and SES's bounce and complaint notifications (the JSON SES publishes,
docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-examples.html) delivered
through the ``ses_feedback`` handler."""

from __future__ import annotations

import copy
import json
from typing import Any

from botocore.awsrequest import AWSResponse
from chalice.test import Client

import app as application

THROTTLED = "TooManyRequestsException"
REJECTED = "MessageRejected"
class SesFaults:
    """Answers ``sesv2:SendEmail`` with an SES error instead of sending, as planned.

    Returning ``(http_response, parsed)`` from ``before-call`` skips the HTTP request (and
    moto); botocore then raises the modelled error exactly as for a real SES answer.
    """

    def __init__(self, client: Any) -> None:
        # One entry per coming attempt: an error code, or None to really send.
        self.planned: list[str | None] = []
        self.always: str | None = None
        self.attempts = 0
        self.failed = 0
        self.before_send: Any = None
        client.meta.events.register("before-call.sesv2.SendEmail", self._hook)

    def fail_next(self, *codes: str | None) -> None:
        self.planned.extend(codes)

    def _hook(self, **_: Any) -> Any:
        self.attempts += 1
        if self.before_send is not None:
            self.before_send()
        code = self.planned.pop(0) if self.planned else self.always
        if code is None:
            return None  # really send (through moto's SES)
        self.failed += 1
        status = 429 if code == THROTTLED else 400
        parsed = {"Error": {"Code": code, "Message": f"injected {code}"},
                  "ResponseMetadata": {"HTTPStatusCode": status}}
        return AWSResponse("https://email.eu-central-1.amazonaws.com", status, {}, None), parsed


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


def mail_records(container: Any) -> list[dict[str, Any]]:
    # Test-only inspection of the outbox records (a Scan on moto's backend, not the API).
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][container.settings.region].get_table(
        container.settings.table("core"))
    items = [i.to_json()["Attributes"] for i in table.all_items()]
    plain = [{k: next(iter(v.values())) for k, v in item.items()} for item in items]
    return [i for i in plain if str(i.get("pk", "")).startswith("MAIL#")]
