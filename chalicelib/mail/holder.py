"""The outbox and the suppression list as a holder of personal data. Outbox mails are
reached through the records that sent them (``subject.refs["mail"]``: mail ids) and
erased with them. The suppression list (a keyed hash of a bounced or complaining address)
is kept on erasure: deleting it would let the next mail go to an address that asked for
none or does not exist (legitimate interest, Art. 17(3) / Art. 21)."""

from __future__ import annotations

from typing import Any

from chalicelib.mail.outbox import DynamoOutboxStore
from chalicelib.personal_data import Controller, Found, ItemKind, ProcessingRecord, Subject


class MailHolder:
    name = "mail"
    controller = Controller.AGENCY
    kinds = (
        ItemKind("core", "MAIL#", "MAIL",
                 "outbox mail: recipient, subject and body until sent, then a stub"),
        ItemKind("core", "SUPPRESS#", "SUPPRESS",
                 "suppression list: keyed hash of a bounced/complaining address"),
        ItemKind("core", "RATE#mail-recipient#", "RATE",
                 "mails per recipient and day (keyed hash of the address, mail/recipient_cap.py)"),
    )
    record = ProcessingRecord(
        purpose="Versand der E-Mails der Plattform und der Agenturen, Schutz vor Zustellung "
                "an Adressen, die abgewiesen oder sich beschwert haben",
        data_categories=("E-Mail-Adresse", "Inhalt der E-Mail bis zum Versand",
                         "Zustellstatus"),
        recipients=("Amazon Web Services (SES, Hosting)",),
        retention="Inhalt bis zum Versand, Eintrag mit dem Datensatz, zu dem die E-Mail "
                  "gehört; Sperrliste bis zur Aufhebung",
    )

    def find(self, subject: Subject) -> Found:
        return Found(keys=[("core", *DynamoOutboxStore.key(m)) for m in subject.ref("mail")])

    def export(self, subject: Subject, found: Found) -> dict[str, Any]:
        return {}

    def erase(self, subject: Subject, found: Found, *, by: str, reason: str
              ) -> dict[str, Any]:
        return {}  # deleted in the address book's clean-up plan (Found.keys)
