"""The MIME form of a mail, its read-back for the local outbox, and the SES adapter with a
fake client (no boto3 calls)."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from chalicelib.devtools import parse_raw_mail
from chalicelib.mail.message import Mailbox, MailMessage, to_mime
from chalicelib.mail.ses import MailError, SesMailer

SENDER = "Freigabe <noreply@freigabe.test>"
SENT_AT = datetime(2026, 11, 23, 9, 30, 15, tzinfo=UTC)
TEXT = "Guten Tag Jürgen Müßig,\n\nbitte klicken Sie: https://freigabe.test/links/unlock/abc\n"
HTML = ("<p>Guten Tag J&uuml;rgen Müßig,</p>\n"
        "<p><a href=\"https://freigabe.test/x\">Rundgang freischalten</a></p>\n")


def message(**overrides: Any) -> MailMessage:
    data: dict[str, Any] = {
        "to": ["eva@example.org"], "subject": "Ihr Zugang zum Rundgang „Altbau“ – Größe",
        "text": TEXT, "html": HTML, "reply_to": Mailbox("dana@demo-makler.de", "Dana Dämo"),
        "tags": {"kind": "tour_unlock"},
    }
    data.update(overrides)
    return MailMessage(**data)


def parse(raw: bytes) -> Any:
    return email.message_from_bytes(raw, policy=policy.default)


def header_text(value: str) -> str:
    return str(make_header(decode_header(value)))


# -- to_mime -------------------------------------------------------------------------------

def test_mime_is_multipart_alternative_with_text_then_html() -> None:
    parsed = parse(to_mime(message(), sender=SENDER, sent_at=SENT_AT))
    assert parsed.get_content_type() == "multipart/alternative"
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert parts[0].get_content().replace("\r\n", "\n") == TEXT
    assert parts[1].get_content().replace("\r\n", "\n") == HTML


def test_mime_is_seven_bit_clean() -> None:
    # SES asks for non-ASCII content to be encoded; 8bit parts also broke the read-back.
    raw = to_mime(message(), sender=SENDER, sent_at=SENT_AT)
    raw.decode("ascii")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_headers_subject_reply_to_date_and_message_id() -> None:
    raw = to_mime(message(), sender=SENDER, sent_at=SENT_AT)
    parsed = parse(raw)
    assert str(parsed["Subject"]) == "Ihr Zugang zum Rundgang „Altbau“ – Größe"
    assert b"=?utf-8?" in raw  # the subject travels as an encoded word
    assert parsed["From"].addresses[0].addr_spec == "noreply@freigabe.test"
    assert parsed["From"].addresses[0].display_name == "Freigabe"
    [reply_to] = parsed["Reply-To"].addresses
    assert (reply_to.display_name, reply_to.addr_spec) == ("Dana Dämo", "dana@demo-makler.de")
    assert [a.addr_spec for a in parsed["To"].addresses] == ["eva@example.org"]
    assert parsed["Date"].datetime == SENT_AT
    assert str(parsed["Message-ID"]).endswith("@freigabe.test>")


def test_without_reply_to_there_is_no_reply_to_header() -> None:
    parsed = parse(to_mime(message(reply_to=None), sender=SENDER, sent_at=SENT_AT))
    assert parsed["Reply-To"] is None


def test_message_ids_are_unique() -> None:
    ids = {str(parse(to_mime(message(), sender=SENDER, sent_at=SENT_AT))["Message-ID"])
           for _ in range(20)}
    assert len(ids) == 20


@pytest.mark.parametrize("name", ["Dana\r\nBcc: evil@example.org", "Dana\nBcc: evil@example.org",
                                  "Dana\rBcc: evil@example.org"])
def test_a_name_with_line_breaks_cannot_add_a_header(name: str) -> None:
    # The header registry refuses CR/LF in address parts outright (ValueError) rather
    # than folding it into the header: no Bcc can be smuggled in.
    with pytest.raises(ValueError, match="CR or LF"):
        to_mime(message(reply_to=Mailbox("dana@demo-makler.de", name)), sender=SENDER,
                sent_at=SENT_AT)


def test_a_subject_with_line_breaks_cannot_add_a_header() -> None:
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        to_mime(message(subject="Hallo\r\nBcc: evil@example.org"), sender=SENDER,
                sent_at=SENT_AT)


def test_a_recipient_with_line_breaks_cannot_add_a_header() -> None:
    raw = to_mime(message(to=["eva@example.org\r\nBcc: evil@example.org"]), sender=SENDER,
                  sent_at=SENT_AT)
    parsed = parse(raw)
    assert parsed["Bcc"] is None
    assert b"\r\nBcc:" not in raw
    assert [a.addr_spec for a in parsed["To"].addresses] == ["eva@example.org"]


# -- parse_raw_mail (the local outbox) -------------------------------------------------------

def test_parse_raw_mail_round_trips_to_mime() -> None:
    raw = to_mime(message(), sender=SENDER, sent_at=SENT_AT)
    # moto stores the raw data as text and repeats the To: addresses in the destinations.
    read = parse_raw_mail("msg-1", raw.decode("utf-8"),
                          ["eva@example.org", "Eva Muster <eva@example.org>"])
    assert read["id"] == "msg-1"
    assert read["to"] == ["eva@example.org"]
    assert read["from"] == SENDER
    assert read["reply_to"] == "Dana Dämo <dana@demo-makler.de>"
    assert read["subject"] == "Ihr Zugang zum Rundgang „Altbau“ – Größe"
    assert read["text"].replace("\r\n", "\n") == TEXT
    assert read["html"].replace("\r\n", "\n") == HTML
    assert read["sent_at"] == "2026-11-23T09:30:15.000Z"


def test_parse_raw_mail_keeps_short_non_ascii_text_intact() -> None:
    # Short lines used to go out as 8bit and came back as U+FFFD.
    raw = to_mime(message(text="Grüße\n", html="<p>Grüße</p>\n"), sender=SENDER,
                  sent_at=SENT_AT)
    read = parse_raw_mail("m", raw.decode("utf-8"), ["eva@example.org"])
    assert read["text"].strip() == "Grüße"
    assert read["html"].strip() == "<p>Grüße</p>"


def test_parse_raw_mail_dedupes_recipients_in_order_and_strips_names() -> None:
    raw = to_mime(message(to=["eva@example.org", "otto@example.org"]), sender=SENDER,
                  sent_at=SENT_AT)
    read = parse_raw_mail("m", raw.decode("utf-8"), [
        "eva@example.org", "otto@example.org", "Eva <eva@example.org>",
        "otto@example.org"])
    assert read["to"] == ["eva@example.org", "otto@example.org"]


def test_parse_raw_mail_without_date_or_reply_to() -> None:
    raw = "From: a@example.org\r\nSubject: x\r\nContent-Type: text/plain\r\n\r\nhallo\r\n"
    read = parse_raw_mail("m", raw, ["b@example.org"])
    assert read["sent_at"] is None
    assert read["reply_to"] is None
    assert read["text"].strip() == "hallo"
    assert read["html"] == ""


# -- SesMailer ------------------------------------------------------------------------------

class FakeSes:
    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error
        self.calls: list[dict[str, Any]] = []

    def send_email(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        if self.error is not None:
            raise self.error
        return {"MessageId": f"ses-{len(self.calls)}"}


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "x"}}, "SendEmail")


def test_ses_mailer_sends_raw_mime_with_tags_and_configuration_set() -> None:
    ses = FakeSes()
    mailer = SesMailer(ses, SENDER, configuration_set="freigabe-dev")
    assert mailer.send(message(), sent_at=SENT_AT) == "ses-1"
    [call] = ses.calls
    assert call["FromEmailAddress"] == SENDER
    assert call["Destination"] == {"ToAddresses": ["eva@example.org"]}
    assert call["ConfigurationSetName"] == "freigabe-dev"
    assert call["EmailTags"] == [{"Name": "kind", "Value": "tour_unlock"}]
    parsed = parse(call["Content"]["Raw"]["Data"])
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["Date"].datetime == SENT_AT


def test_ses_mailer_without_configuration_set_or_tags() -> None:
    ses = FakeSes()
    SesMailer(ses, SENDER).send(message(tags={}), sent_at=SENT_AT)
    assert "ConfigurationSetName" not in ses.calls[0]
    assert "EmailTags" not in ses.calls[0]


@pytest.mark.parametrize(("code", "transient"), [
    ("TooManyRequestsException", True), ("Throttling", True), ("LimitExceededException", True),
    ("SendingPausedException", True), ("InternalFailure", True), ("ServiceUnavailable", True),
    ("MessageRejected", False), ("MailFromDomainNotVerifiedException", False),
    ("AccountSuspendedException", True), ("BadRequestException", False),
    ("NotFoundException", False),
])
def test_ses_errors_are_classified(code: str, transient: bool) -> None:
    with pytest.raises(MailError) as caught:
        SesMailer(FakeSes(client_error(code)), SENDER).send(message(), sent_at=SENT_AT)
    assert (caught.value.code, caught.value.transient) == (code, transient)


def test_a_connection_error_is_transient() -> None:
    error = EndpointConnectionError(endpoint_url="https://email.eu-central-1.amazonaws.com")
    with pytest.raises(MailError) as caught:
        SesMailer(FakeSes(error), SENDER).send(message(), sent_at=SENT_AT)
    assert caught.value.transient is True
    assert caught.value.code == "EndpointConnectionError"


def test_a_mail_that_cannot_be_built_is_a_permanent_failure_not_a_crash() -> None:
    ses = FakeSes()
    bad = message(reply_to=Mailbox("dana@demo-makler.de", "Dana\r\nBcc: evil@example.org"))
    with pytest.raises(MailError) as caught:
        SesMailer(ses, SENDER).send(bad, sent_at=SENT_AT)
    assert (caught.value.code, caught.value.transient) == ("InvalidMessage", False)
    with pytest.raises(MailError):
        SesMailer(ses, SENDER).send(message(to=["jürgen@example.org"]), sent_at=SENT_AT)
    assert ses.calls == []
