"""The mails of the two release modes. Every one carries the tour's contact verbatim."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chalicelib.mail.message import Mailbox, MailMessage
from chalicelib.mail.render import render_pair

PROSPECT_LABELS = (
    ("first_name", "Vorname"), ("last_name", "Nachname"), ("email", "E-Mail"),
    ("phone", "Telefon"), ("street", "Straße"), ("zip", "PLZ"), ("city", "Ort"),
    ("message", "Nachricht"),
)


# Before the prospect proved the address (unlock, approval) a name is only what an anonymous
# request typed: "Guten Tag Gewinn! Jetzt auf http://evil.example klicken" must not reach
# a stranger's mailbox with the tour's sender. These mails greet with "Guten Tag," only;
# the name appears once verified (the approval mail). A denial is never verified.
UNVERIFIED_GREETING = ""


def prospect_rows(prospect: dict[str, Any]) -> list[tuple[str, str]]:
    return [(label, str(prospect[name])) for name, label in PROSPECT_LABELS if prospect.get(name)]


def prospect_name(prospect: dict[str, Any]) -> str:
    return " ".join(p for p in (prospect.get("first_name"), prospect.get("last_name")) if p)


def _contact_mailbox(contact: dict[str, Any]) -> Mailbox:
    return Mailbox(contact["email"], contact.get("name"))


def _mail(template: str, subject: str, to: str, reply_to: Mailbox, kind: str,
          **context: Any) -> MailMessage:
    text, html = render_pair(template, subject=subject, **context)
    return MailMessage(to=[to], subject=subject, text=text, html=html, reply_to=reply_to,
                       tags={"kind": kind})


def unlock_mail(snapshot: Mapping[str, Any], link_url: str, valid_until: datetime) -> MailMessage:
    prospect = snapshot["prospect"]
    return _mail(
        "tour_unlock", f"Ihr Zugang zum Rundgang „{snapshot['tour_title']}“",
        prospect["email"], _contact_mailbox(snapshot["contact"]), "tour_unlock",
        prospect_name=UNVERIFIED_GREETING, tour_title=snapshot["tour_title"],
        contact=snapshot["contact"], link_url=link_url, valid_until=valid_until,
    )


def request_received_mail(snapshot: Mapping[str, Any]) -> MailMessage:
    prospect = snapshot["prospect"]
    return _mail(
        "tour_request_received",
        f"Ihre Anfrage zum Rundgang „{snapshot['tour_title']}“ wird geprüft",
        prospect["email"], _contact_mailbox(snapshot["contact"]), "tour_request_received",
        prospect_name=UNVERIFIED_GREETING, tour_title=snapshot["tour_title"],
        contact=snapshot["contact"],
    )


def access_request_mail(snapshot: Mapping[str, Any], approve_url: str, deny_url: str,
                        valid_until: datetime, dashboard_url: str | None = None) -> MailMessage:
    prospect = snapshot["prospect"]
    who = prospect_name(prospect) or prospect["email"]
    # The agent answers the prospect directly from this mail, so Reply-To is the prospect.
    return _mail(
        "tour_access_request",
        f"Zugangsanfrage für „{snapshot['tour_title']}“ von {who}",
        snapshot["contact"]["email"], Mailbox(prospect["email"], prospect_name(prospect) or None),
        "tour_access_request",
        tour_title=snapshot["tour_title"], contact=snapshot["contact"],
        contact_heading="Ansprechpartner dieses Rundgangs (so sehen ihn Interessenten)",
        prospect_rows=prospect_rows(prospect), approve_url=approve_url, deny_url=deny_url,
        valid_until=valid_until, dashboard_url=dashboard_url,
    )


def access_granted_mail(snapshot: dict[str, Any], entry_url: str) -> MailMessage:
    prospect = snapshot["prospect"]
    return _mail(
        "tour_access_granted", f"Ihr Zugang zum Rundgang „{snapshot['tour_title']}“ ist freigegeben",
        prospect["email"], _contact_mailbox(snapshot["contact"]), "tour_access_granted",
        prospect_name=prospect_name(prospect), tour_title=snapshot["tour_title"],
        contact=snapshot["contact"], entry_url=entry_url,
    )


def access_denied_mail(snapshot: dict[str, Any]) -> MailMessage:
    prospect = snapshot["prospect"]
    return _mail(
        "tour_access_denied", f"Ihre Anfrage zum Rundgang „{snapshot['tour_title']}“",
        prospect["email"], _contact_mailbox(snapshot["contact"]), "tour_access_denied",
        prospect_name=UNVERIFIED_GREETING, tour_title=snapshot["tour_title"],
        contact=snapshot["contact"],
    )


def reentry_mail(snapshot: dict[str, Any], link_url: str, valid_until: datetime) -> MailMessage:
    """A fresh one-time way back into an unlocked tour ("Neuen Zugangslink senden")."""
    prospect = snapshot["prospect"]
    return _mail(
        "tour_reentry", f"Ihr neuer Zugangslink zum Rundgang „{snapshot['tour_title']}“",
        prospect["email"], _contact_mailbox(snapshot["contact"]), "tour_reentry",
        prospect_name=prospect_name(prospect), tour_title=snapshot["tour_title"],
        contact=snapshot["contact"], link_url=link_url, valid_until=valid_until,
    )
