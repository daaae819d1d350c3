"""A rendered mail and its MIME form (multipart/alternative: text + HTML)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr


@dataclass(frozen=True)
class Mailbox:
    email: str
    name: str | None = None


@dataclass(frozen=True)
class MailMessage:
    to: list[str]
    subject: str
    text: str
    html: str
    reply_to: Mailbox | None = None
    tags: dict[str, str] = field(default_factory=dict)


def _address(value: str | Mailbox) -> Address:
    if isinstance(value, Mailbox):
        return Address(display_name=value.name or "", addr_spec=value.email)
    name, addr = parseaddr(value)
    return Address(display_name=name, addr_spec=addr)


def to_mime(message: MailMessage, *, sender: str, sent_at: datetime) -> bytes:
    """Builds the raw MIME. Header values pass through ``email``'s header registry, which
    refuses CR/LF, so a crafted name can never add a header line."""
    mime = EmailMessage(policy=policy.SMTP)
    mime["From"] = _address(sender)
    mime["To"] = [_address(addr) for addr in message.to]
    if message.reply_to is not None:
        mime["Reply-To"] = _address(message.reply_to)
    mime["Subject"] = message.subject
    mime["Date"] = format_datetime(sent_at)
    domain = _address(sender).domain or "freigabe.invalid"
    mime["Message-ID"] = make_msgid(domain=domain)
    # 7-bit safe parts: SES asks for non-ASCII content to be encoded, and an 8bit part
    # does not survive being read back as text (the local outbox shows mojibake).
    mime.set_content(message.text, charset="utf-8", cte="quoted-printable")
    mime.add_alternative(message.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return mime.as_bytes()
