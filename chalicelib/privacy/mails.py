"""The GDPR texts: the consent assistant's mail and pages (their exact wording is what a
consent record proves), the agency's notices, and the nightly digest."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from chalicelib.mail.message import Mailbox, MailMessage
from chalicelib.mail.render import german_date, render_pair
from chalicelib.privacy.vocabulary import WIDGETS

BUTTON_CONSENT = "Speicherung zustimmen"
BUTTON_DELETION = "Löschung beantragen"
BUTTON_CORRECTION = "Korrektur senden"

ACTION_LABELS = {
    "consent": "Speicherung zugestimmt",
    "deletion_request": "Löschung beantragt (Speicherung widerrufen)",
    "correction_request": "Korrektur angefragt",
}
CHANNEL_LABELS = {"link": "Bestätigungsseite (Double-Opt-in)", "agency": "durch den Makler erfasst"}


def agency_details(profile: dict[str, Any] | None, agency_id: str) -> dict[str, str]:
    """The agency as every consent mail and page shows it."""
    from chalicelib.agencies.profile import controller_of

    controller = controller_of(profile)
    profile = profile or {}
    return {
        "name": str(profile.get("name") or controller.legal_name or agency_id),
        "contact_name": str(profile.get("contact_name") or ""),
        "contact_email": str(profile.get("contact_email") or ""),
        "phone": str(profile.get("phone") or ""),
        "agency_id": agency_id,
        # The controller (Art. 13(1)(a)/(b)): chalicelib/agencies/profile.py.
        "legal_name": controller.legal_name or "",
        "postal_address": controller.postal_address,
        "controller_email": controller.email or "",
        "controller_phone": controller.phone or "",
        "privacy_url": controller.privacy_url or "",
        "dpo_contact": controller.dpo_contact or "",
        "supervisory_authority": controller.supervisory_authority or "",
    }


def person_name(address: Mapping[str, Any]) -> str:
    return " ".join(p for p in (address.get("first_name"), address.get("last_name")) if p)


def data_rows(address: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The stored data the person is asked to check: name, email, phone, postal address."""
    salutation = address.get("salutation") if address.get("salutation") in ("Herr", "Frau") \
        else None
    name = " ".join(p for p in (salutation, person_name(address)) if p)
    place = " ".join(p for p in (address.get("zip"), address.get("city")) if p)
    postal = ", ".join(p for p in (address.get("street"), place) if p)
    rows = [("Name", name), ("Firma", address.get("company") or ""),
            ("E-Mail", address.get("email") or ""), ("Telefon", address.get("phone") or ""),
            ("Anschrift", postal)]
    return [(label, str(value)) for label, value in rows if value]


def _agency_line(agency: dict[str, str]) -> str:
    return agency["name"]


def consent_paragraphs(agency: dict[str, str]) -> list[str]:
    withdraw = "über den Link „Löschung beantragen“ aus unserer E-Mail"
    if agency["contact_email"]:
        withdraw += f" oder per E-Mail an {agency['contact_email']}"
    return [
        f"{_agency_line(agency)} speichert die unten aufgeführten Daten zu Ihrer Person, um Sie "
        "zu Immobilien und zu Ihren Anfragen zu beraten und zu kontaktieren.",
        f"Mit „{BUTTON_CONSENT}“ willige ich ein, dass {_agency_line(agency)} diese Daten zu "
        "diesem Zweck speichert und verarbeitet (Art. 6 Abs. 1 lit. a DSGVO). Die Einwilligung "
        "ist freiwillig. Ich kann sie jederzeit mit Wirkung für die Zukunft widerrufen, "
        f"{withdraw}.",
    ]


def deletion_paragraphs(agency: dict[str, str]) -> list[str]:
    return [
        f"Mit „{BUTTON_DELETION}“ widerrufe ich eine etwa erteilte Einwilligung und beantrage, "
        f"dass {_agency_line(agency)} die unten aufgeführten Daten zu meiner Person löscht "
        "(Art. 17 DSGVO).",
        "Soweit gesetzliche Aufbewahrungspflichten (z. B. Steuer- oder Handelsrecht) einer "
        "sofortigen Löschung entgegenstehen, werden die Daten bis zum Ende der Frist nur noch "
        "dafür aufbewahrt und danach gelöscht.",
    ]


def correction_paragraphs(agency: dict[str, str]) -> list[str]:
    return [
        "Stimmt etwas an den unten aufgeführten Daten nicht? Schreiben Sie uns, was korrigiert "
        f"werden soll. Ihre Nachricht wird an {_agency_line(agency)} weitergeleitet.",
    ]


def statement_text(heading: str, paragraphs: list[str], rows: list[tuple[str, str]],
                   button: str, notice: list[tuple[str, list[str]]] | None = None) -> str:
    """The exact text a confirmation page shows, as one canonical string: the consent
    record keeps it and its SHA-256 (the Art. 13 information included)."""
    from chalicelib.privacy.notice import section_lines

    lines = [heading, "", *paragraphs, "", *(f"{label}: {value}" for label, value in rows)]
    if notice:
        lines += ["", *section_lines(notice)]
    lines += ["", f"[{button}]"]
    return "\n".join(lines)


def page_contact(agency: dict[str, str]) -> dict[str, str]:
    """The block pages render under "Ihr Ansprechpartner"."""
    return {"name": agency["contact_name"] or agency["name"], "company": agency["name"],
            "phone": agency["phone"] or "–", "email": agency["contact_email"]}


def _mail(template: str, subject: str, to: str, reply_to: Mailbox | None, kind: str,
          agency_id: str | None = None, **context: Any) -> MailMessage:
    text, html = render_pair(template, subject=subject, **context)
    # The agency tag lets a bounce (SES feedback) find the address it is about.
    tags = {"kind": kind, **({"agency": agency_id} if agency_id else {})}
    return MailMessage(to=[to], subject=subject, text=text, html=html, reply_to=reply_to,
                       tags=tags)


def consent_request_mail(address: dict[str, Any], agency: dict[str, str], *, consent_url: str,
                         deletion_url: str, correction_url: str, valid_until: datetime,
                         notice: list[tuple[str, list[str]]] | None = None) -> MailMessage:
    reply_to = (Mailbox(agency["contact_email"], agency["contact_name"] or agency["name"])
                if agency["contact_email"] else None)
    return _mail(
        "gdpr_consent_request", f"Ihre bei {agency['name']} gespeicherten Daten",
        address["email"], reply_to, "gdpr_consent_request", agency.get("agency_id"),
        person_name=person_name(address), agency=agency, rows=data_rows(address),
        consent_url=consent_url, deletion_url=deletion_url, correction_url=correction_url,
        valid_until=valid_until, button_consent=BUTTON_CONSENT, button_deletion=BUTTON_DELETION,
        notice=notice or [],
    )


def agency_notice_mail(agency: dict[str, str], *, action: str, rows: list[tuple[str, str]],
                       who: str, at: datetime, dashboard_url: str, message: str | None = None,
                       reply_to: Mailbox | None = None) -> MailMessage:
    subjects = {
        "consent": f"DSGVO: {who} hat der Speicherung zugestimmt",
        "deletion_request": f"DSGVO: {who} beantragt die Löschung",
        "correction_request": f"DSGVO: {who} bittet um Korrektur der Daten",
    }
    return _mail(
        "gdpr_agency_notice", subjects[action], agency["contact_email"], reply_to,
        f"gdpr_notice_{action}", agency=agency, action=action, who=who, rows=rows, at=at,
        message=message, dashboard_url=dashboard_url,
    )


def digest_mail(agency: dict[str, str], *, day: date, counts: dict[str, int], deleted: int,
                auto_delete: bool, dashboard_url: str) -> MailMessage:
    lines = [(label, counts[key]) for key, label in (
        ("consent-assistant", WIDGETS["consent-assistant"]
         + " (Speichern-Bis-Datum in den nächsten 28 Tagen)"),
        ("deletion-requested", WIDGETS["deletion-requested"]),
        ("expired", WIDGETS["expired"]),
    ) if counts.get(key)]
    return _mail(
        "gdpr_digest", f"DSGVO-Übersicht vom {german_date(day)}", agency["contact_email"],
        None, "gdpr_digest", agency=agency, day=day, lines=lines, deleted=deleted,
        auto_delete=auto_delete, dashboard_url=dashboard_url,
    )
