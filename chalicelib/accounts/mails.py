"""The product's own account mails (German, with the agency's details): invitations with
a temporary password and password-reset codes. Cognito's own mails stay off
(``MessageAction=SUPPRESS``, no Cognito reset)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.mail.message import Mailbox, MailMessage
from chalicelib.mail.render import render_pair

ROLE_LABELS = {"owner": "Inhaber", "agent": "Makler", "assistant": "Assistenz"}


def agency_contact(agency: dict[str, Any]) -> dict[str, Any]:
    return {"name": agency.get("contact_name") or agency.get("name", ""),
            "company": agency.get("legal_name") or agency.get("name", ""),
            "phone": agency.get("phone") or "", "email": agency.get("contact_email") or ""}


def invitation_mail(user: dict[str, Any], agency: dict[str, Any] | None, invited_by: str,
                    temporary_password: str, sign_in_url: str, valid_until: datetime
                    ) -> MailMessage:
    if agency:
        subject = f"Einladung: Ihr Zugang zu Freigabe für {agency.get('name', '')}"
        contact: dict[str, Any] | None = agency_contact(agency)
    else:
        subject = "Einladung: Ihr Zugang zur Qualitätssicherung von Freigabe"
        contact = None
    text, html = render_pair(
        "account_invitation", subject=subject, person=user["name"], email=user["email"],
        agency_name=agency.get("name") if agency else None, invited_by=invited_by,
        role_label=ROLE_LABELS.get(user.get("role") or "", "QA"),
        temporary_password=temporary_password, sign_in_url=sign_in_url,
        valid_until=valid_until, contact=contact)
    reply_to = Mailbox(contact["email"], contact["name"]) if contact and contact["email"] else None
    return MailMessage(to=[user["email"]], subject=subject, text=text, html=html,
                       reply_to=reply_to, tags={"kind": "account_invitation"})


def reset_mail(user: dict[str, Any], code: str, sign_in_url: str, valid_until: datetime
               ) -> MailMessage:
    subject = "Ihr Code für ein neues Passwort bei Freigabe"
    text, html = render_pair("account_reset", subject=subject, person=user["name"], code=code,
                             sign_in_url=sign_in_url, valid_until=valid_until)
    return MailMessage(to=[user["email"]], subject=subject, text=text, html=html,
                       tags={"kind": "account_reset"})
