"""Webhooks as a holder of personal data (``chalicelib.personal_data``): deliveries not
gone out yet carry what their event names (a prospect's fields in
``registration.created``, a review's title). They are found through the erasure index
items (``WHSUBJ#<agency>#<address id | review:<id>>``); the export lists them with their
``data``, the erasure rewrites them without the person (the event still goes out, with
ids only). Webhook settings and subscriptions hold no data about a person."""

from __future__ import annotations

from typing import Any

from chalicelib.personal_data import Controller, Found, ItemKind, ProcessingRecord, Subject

NEUTRAL = (
    ItemKind("core", "WH#", "", "an agency's webhook (URL, event types, sealed secrets) and "
             "their count"),
    ItemKind("core", "WHSUB#", "", "which webhooks subscribe to an event type"),
)


class WebhookHolder:
    name = "webhooks"
    controller = Controller.AGENCY
    kinds = (
        ItemKind("core", "WHD#", "", "webhook delivery: event body until delivered, then "
                 "status codes only"),
        ItemKind("core", "WHSUBJ#", "", "erasure index: which deliveries carry a person's data"),
    )
    record = ProcessingRecord(
        purpose="Übermittlung von Ereignissen (Interessenten, Einwilligungen, Löschungen) an "
                "das CRM der Agentur über deren Webhooks",
        data_categories=("Kontaktdaten aus der Registrierung bis zur Zustellung",
                         "Kennungen von Adressen und Registrierungen", "Zustellstatus"),
        recipients=("die von der Agentur eingetragenen Empfänger (ihr CRM)",
                    "Amazon Web Services (SQS, KMS, Hosting)"),
        retention="Inhalt bis zur Zustellung, fehlgeschlagene Zustellungen höchstens 30 Tage",
        legal_basis="Art. 28 DSGVO (Auftragsverarbeitung für die Agentur)",
    )

    def __init__(self, service: Any, addresses: Any, reviews: Any) -> None:
        self.service = service
        self.addresses = addresses
        self.reviews = reviews

    def _subjects(self, subject: Subject) -> list[str]:
        found = [self.addresses.find_id_by_email(subject.agency_id, subject.email)]
        found += [f"review:{r['review_id']}"
                  for r in self.reviews().reviews_of(subject.agency_id, subject.email)]
        return [s for s in found if s]

    def find(self, subject: Subject) -> Found:
        return Found(handle=self._subjects(subject) or None)

    def export(self, subject: Subject, found: Found) -> dict[str, Any]:
        deliveries = [d for s in found.handle or []
                      for d in self.service.export_person(subject.agency_id, s)]
        return {"webhook_deliveries": deliveries} if deliveries else {}

    def erase(self, subject: Subject, found: Found, *, by: str, reason: str
              ) -> dict[str, Any]:
        scrubbed = sum(self.service.erase_person(subject.agency_id, s)
                       for s in found.handle or [])
        return {"webhook_deliveries_scrubbed": scrubbed} if scrubbed else {}
