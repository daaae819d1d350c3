"""The agency's record of processing activities (GDPR Art. 30(1)), generated from what the
product really does: one activity per agency-controlled holder of the personal-data
registry (``chalicelib/personal_data.py``: each declares its purpose, data categories,
recipients, retention and legal basis), the controller from the agency profile, the
processors and AWS services of this stage with their region, the retention the agency's
own settings give, and the technical and organisational measures (Art. 32) the stack
applies. ``?format=html`` renders it printable.

Until the registry is wired, the address book's own declaration stands in (the same
``ProcessingRecord`` shape), so the record never lists less than the erasure reaches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.agencies.profile import controller_of
from chalicelib.clock import Clock, iso
from chalicelib.plural import days
from chalicelib.privacy.notice import REGION_NAMES

# The AWS services the stack uses for personal data (infra/: the template).
AWS_SERVICES = (
    ("Amazon DynamoDB", "Speicherung des Adressbuchs, der Registrierungen, Links und Mails"),
    ("Amazon Simple Email Service", "Versand der E-Mails (Einverständnis-Assistent, Links)"),
    ("AWS Lambda und Amazon API Gateway", "Verarbeitung der Anfragen"),
    ("Amazon S3", "geschützte Medien der Rundgänge"),
    ("Amazon Cognito", "Anmeldung der Mitarbeiter der Agentur"),
    ("Amazon CloudWatch", "Protokolle ohne personenbezogene Inhalte, Metriken"),
)
MEASURES = (
    "Verschlüsselung aller Tabellen und Medien im Ruhezustand (AWS-verwaltete Schlüssel), "
    "Übertragung nur per TLS",
    "Zugriff nur mit Anmeldung; Tokens und Schlüssel nur als Hash gespeichert; "
    "Rollen (Inhaber, Makler, Assistenz); Mandantentrennung je Agentur",
    "Funktionen mit minimalen IAM-Rechten; keine personenbezogenen Daten in Protokollen",
    "Löschung mit Nachweis ohne Kontaktdaten; Löschprotokoll, das eine Wiederherstellung "
    "übersteht (erneute Löschung nach einer Wiederherstellung)",
    "Point-in-Time-Recovery der Datentabellen (35 Tage); Einwilligungen per Double-Opt-in "
    "mit unveränderlichem Nachweis",
)


class ProcessingRecordReport:
    def __init__(self, *, agency_repo: Any, settings: Any, clock: Clock, region: str,
                 ledger_days: int, registry: Callable[[], Any | None] = lambda: None) -> None:
        self.agency_repo = agency_repo
        self.settings = settings
        self.clock = clock
        self.region = region
        self.ledger_days = ledger_days
        self.registry = registry

    def activities(self) -> list[dict[str, Any]]:
        registry = self.registry()
        if registry is not None:
            return [{"name": holder.name, **_record(holder.record)}
                    for holder in registry.agency()]
        return [{"name": name, **record} for name, record in FALLBACK]

    def build(self, agency_id: str) -> dict[str, Any]:
        agency = self.agency_repo.get_agency(agency_id)
        controller = controller_of(agency).public()
        for internal in ("complete", "missing", "updated_at"):
            controller.pop(internal, None)
        gdpr = self.settings.get(agency_id)
        where = f"{self.region} ({REGION_NAMES.get(self.region, self.region)})"
        return {
            "generated_at": iso(self.clock.now()),
            "controller": controller,
            "processor": {"name": "freigabe (Betreiber der Plattform)",
                          "sub_processors": [f"Amazon Web Services EMEA SARL, Region {where}"]},
            "aws_services": [{"service": s, "use": u, "region": self.region}
                             for s, u in AWS_SERVICES],
            "activities": self.activities(),
            "retention": {
                "auto_store_until": gdpr.auto_store_until,
                "retention_days": gdpr.retention_days,
                "auto_delete_expired": gdpr.auto_delete_expired,
                "rule": (f"Interessenten: {days(gdpr.retention_days)} nach Archivierung der "
                         "Immobilie (automatisches Speichern-Bis-Datum"
                         + (", aktiv" if gdpr.auto_store_until else ", ausgeschaltet") + "); "
                         "danach "
                         + ("automatische Löschung in der Nacht" if gdpr.auto_delete_expired
                            else "Löschung über die Liste „DSGVO – Speichern-Bis-Datum "
                                 "abgelaufen“")
                         + "; mit Einwilligung bis zum Widerruf; gesetzliche "
                           "Aufbewahrungsfristen über ein manuelles Speichern-Bis-Datum."),
                "erasure_ledger_days": self.ledger_days,
            },
            "third_country_transfers": "keine (Verarbeitung in der EU)"
            if self.region.startswith("eu-") else f"Region {self.region}",
            "measures": list(MEASURES),
        }

    def html(self, agency_id: str) -> str:
        from chalicelib.clock import parse_iso
        from chalicelib.mail.render import german_datetime, render

        record = self.build(agency_id)
        return render("gdpr_processing_record.html", record=record,
                      when=lambda value: german_datetime(parse_iso(value)))


def _record(record: Any) -> dict[str, Any]:
    return {"purpose": record.purpose, "data_categories": list(record.data_categories),
            "recipients": list(record.recipients), "retention": record.retention,
            "legal_basis": record.legal_basis}


FALLBACK: list[tuple[str, dict[str, Any]]] = [
    ("addresses", {
        "purpose": "Adressverwaltung der Agentur: Interessenten, Eigentümer, Käufer und "
                   "Mieter; Einwilligungen und Aufbewahrung nach DSGVO",
        "data_categories": ["Kontaktdaten (Name, E-Mail, Telefon, Anschrift)",
                            "Aktivitäten (Anfragen, Termine, Notizen)",
                            "Einwilligungen und deren Nachweis", "Speicherfrist"],
        "recipients": ["die Agentur", "Amazon Web Services (Hosting, E-Mail-Versand)"],
        "retention": "bis zum Speichern-Bis-Datum der Adresse, dann Löschung",
        "legal_basis": "Art. 6 Abs. 1 lit. a, b und f DSGVO"}),
    ("registrations", {
        "purpose": "Freischaltung geschützter 360°-Rundgänge nach Registrierung",
        "data_categories": ["Kontaktdaten der Interessenten", "Zeitpunkt und Rundgang"],
        "recipients": ["die Agentur", "Amazon Web Services (Hosting, E-Mail-Versand)"],
        "retention": "mit der Adresse des Interessenten",
        "legal_basis": "Art. 6 Abs. 1 lit. b DSGVO"}),
]
