"""The SES v2 adapter: one ``send`` that sends raw MIME and classifies failures."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.mail.message import MailMessage, to_mime

# Errors worth another attempt later; anything else SES refuses is permanent.
TRANSIENT_CODES = frozenset(
    {
        "TooManyRequestsException",
        "Throttling",
        "ThrottlingException",
        "LimitExceededException",
        "SendingPausedException",
        "AccountSuspendedException",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


class MailError(Exception):
    def __init__(self, code: str, transient: bool) -> None:
        super().__init__(code)
        self.code = code
        self.transient = transient


class Mailer(Protocol):
    def send(self, message: MailMessage, *, sent_at: datetime) -> str:
        """Sends and returns the provider's message id, or raises MailError."""
        ...


class SesMailer:
    def __init__(self, client: Any, sender: str, configuration_set: str | None = None) -> None:
        self.client = client
        self.sender = sender
        self.configuration_set = configuration_set

    def send(self, message: MailMessage, *, sent_at: datetime) -> str:
        try:
            raw = to_mime(message, sender=self.sender, sent_at=sent_at)
        except ValueError as exc:
            # A mail that cannot be built never will be: give it up instead of failing the
            # request that already committed (or every later job run).
            raise MailError("InvalidMessage", transient=False) from exc
        args: dict[str, Any] = {
            "FromEmailAddress": self.sender,
            "Destination": {"ToAddresses": list(message.to)},
            "Content": {"Raw": {"Data": raw}},
        }
        if self.configuration_set:
            args["ConfigurationSetName"] = self.configuration_set
        if message.tags:
            args["EmailTags"] = [{"Name": k, "Value": v} for k, v in message.tags.items()]
        try:
            resp = self.client.send_email(**args)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "Unknown")
            raise MailError(code, transient=code in TRANSIENT_CODES) from exc
        except BotoCoreError as exc:
            raise MailError(type(exc).__name__, transient=True) from exc
        return str(resp["MessageId"])
