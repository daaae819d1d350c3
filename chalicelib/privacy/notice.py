"""The information to be given to the person (GDPR Art. 13, and Art. 14 where the agency did
not get the data from the person): onOffice's "Hinweispflicht zur Speicherung der Daten".

Pure functions over the agency as the consent mail shows it (``mails.agency_details``,
with the controller details of ``chalicelib/agencies/profile.py``), the address snapshot
and the agency's retention setting. The consent mail and every page behind its links show
the same sections; the consent record keeps the page's text, these sections included.

The recipients are what the product really uses (the Art. 30 record names the same):
the platform as processor, on Amazon Web Services in the stage's region, mail through
Amazon SES.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.plural import days

Section = tuple[str, list[str]]

# Sources of an address that the person gave themselves (a tour registration form, the
# consent links). Anything else — entered or imported by the agency — needs Art. 14's
# "source" information.
SELF_GIVEN_SOURCES = frozenset({"tour_registration"})
SOURCE_LABELS = {
    "agency_api": "von {controller} selbst in ihr Adressbuch eingetragen (zum Beispiel nach "
                  "einem Telefonat, einer E-Mail, einer Anfrage über ein Immobilienportal oder "
                  "einer Empfehlung)",
    "import": "aus dem bisherigen Adressbestand (CRM) von {controller} übernommen",
}
REGION_NAMES = {"eu-central-1": "Frankfurt am Main", "eu-central-2": "Zürich",
                "eu-west-1": "Irland", "eu-west-3": "Paris", "eu-north-1": "Stockholm"}


def given_by_person(address: Mapping[str, Any]) -> bool:
    return (address.get("source") or "agency_api") in SELF_GIVEN_SOURCES


def controller_line(agency: dict[str, str]) -> str:
    parts = [agency.get("legal_name") or agency["name"], agency.get("postal_address") or ""]
    contact = []
    if agency.get("controller_email"):
        contact.append(f"E-Mail: {agency['controller_email']}")
    if agency.get("controller_phone"):
        contact.append(f"Telefon: {agency['controller_phone']}")
    return ", ".join(p for p in parts if p) + (f" ({', '.join(contact)})" if contact else "")


def storage_period(address: Mapping[str, Any], retention_days: int) -> str:
    until = address.get("store_until")
    text = ""
    if until:
        day = ".".join(reversed(until.split("-")))
        reason = address.get("store_until_reason")
        text = f"Derzeit ist als Speichern-Bis-Datum der {day} eingetragen" + (
            f" (Grund: {reason}). " if reason else ". ")
    return text + (
        "Wir speichern Ihre Daten, solange Sie sich für eine unserer Immobilien interessieren; "
        f"wird die Immobilie archiviert, noch {days(retention_days)} danach. Mit Ihrer "
        "Einwilligung speichern wir sie bis zu Ihrem Widerruf. Gesetzliche "
        "Aufbewahrungspflichten (z. B. Handels- und Steuerrecht: 6 bzw. 10 Jahre; "
        "Geldwäschegesetz: 5 Jahre) gehen vor; danach werden die Daten gelöscht.")


def sections(agency: dict[str, str], address: Mapping[str, Any], retention_days: int,
             region: str) -> list[Section]:
    """The Art. 13 (and, where due, Art. 14) information as headed paragraphs."""
    controller = agency.get("legal_name") or agency["name"]
    where = REGION_NAMES.get(region, region)
    found: list[Section] = [
        ("Verantwortlicher", [controller_line(agency)]),
    ]
    if agency.get("dpo_contact"):
        found.append(("Datenschutzbeauftragter", [agency["dpo_contact"]]))
    found += [
        ("Zwecke und Rechtsgrundlagen", [
            "Beratung zu Immobilien, Bearbeitung Ihrer Anfragen und Kontaktaufnahme dazu "
            "(Art. 6 Abs. 1 lit. b DSGVO: Anbahnung eines Maklervertrags); Sicherung des "
            "Provisionsanspruchs (Art. 6 Abs. 1 lit. f DSGVO: berechtigtes Interesse); "
            "gesetzliche Aufbewahrungspflichten (Art. 6 Abs. 1 lit. c DSGVO); soweit Sie "
            "zustimmen, die weitere Speicherung auf Grundlage Ihrer Einwilligung "
            "(Art. 6 Abs. 1 lit. a DSGVO)."]),
        ("Empfänger", [
            f"Die Plattform freigabe als Auftragsverarbeiter von {controller}; sie betreibt "
            "das Adressbuch bei Amazon Web Services (Amazon Web Services EMEA SARL, "
            f"Rechenzentrum {where}) und versendet E-Mails über Amazon Simple Email Service. "
            "Eine Weitergabe an sonstige Dritte findet nicht statt."]),
        ("Speicherdauer", [storage_period(address, retention_days)]),
        ("Ihre Rechte", [
            "Sie haben das Recht auf Auskunft (Art. 15 DSGVO), Berichtigung (Art. 16), "
            "Löschung (Art. 17), Einschränkung der Verarbeitung (Art. 18), "
            "Datenübertragbarkeit (Art. 20) und Widerspruch (Art. 21). Eine Einwilligung "
            "können Sie jederzeit mit Wirkung für die Zukunft widerrufen (Art. 7 Abs. 3 "
            "DSGVO), zum Beispiel über den Link „Löschung beantragen“"
            + (f" oder per E-Mail an {agency['controller_email']}"
               if agency.get("controller_email") else "") + ".",
            "Sie können sich bei einer Datenschutz-Aufsichtsbehörde beschweren (Art. 77 "
            "DSGVO)" + (f", zuständig ist: {agency['supervisory_authority']}."
                        if agency.get("supervisory_authority") else ".")]),
    ]
    if not given_by_person(address):
        label = SOURCE_LABELS.get(address.get("source") or "agency_api",
                                  SOURCE_LABELS["agency_api"]).format(controller=controller)
        detail = (f" Herkunft laut Adressbuch: {address['data_source']}."
                  if address.get("data_source") else "")
        found.append(("Herkunft der Daten (Art. 14 DSGVO)", [
            f"Diese Daten haben wir nicht bei Ihnen selbst erhoben: Sie wurden {label}."
            + detail + " Es handelt sich um Ihre Kontaktdaten (die oben aufgeführten "
            "Angaben) und die Notizen zu Ihren Anfragen."]))
    if agency.get("privacy_url"):
        found.append(("Datenschutzerklärung", [
            f"Ausführlich informiert die Datenschutzerklärung von {controller}: "
            f"{agency['privacy_url']}"]))
    return found


def section_lines(found: list[Section]) -> list[str]:
    """The sections as plain lines (the mail's text part, the consent record's text)."""
    lines = ["Datenschutzhinweise (Art. 13 DSGVO)"]
    for heading, paragraphs in found:
        lines += ["", heading + ":", *paragraphs]
    return lines
