"""The address book as a holder of personal data (``chalicelib.personal_data``): the
agency's addresses, their activities, consent records and property relations, and the
deletion proofs. It is the entry to an agency's data about a person (by email), names the
registrations, consent links and mails other holders reach through it, and its erasure
(``Erasure``: tombstone first, then a crash-safe clean-up plan) deletes what the other
agency holders found."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.personal_data import Controller, Found, ItemKind, ProcessingRecord, Subject
from chalicelib.privacy.addresses import AddressBook
from chalicelib.privacy.erasure import Erasure
from chalicelib.privacy.service import AddressService

# The address book's items without personal data (addresses table, core table).
NEUTRAL = (
    ItemKind("addresses", "AGENCY#", "PROPERTY#", "the agency's property (title, status)"),
    ItemKind("addresses", "AGENCY#", "GDPR#SETTINGS", "the agency's GDPR settings"),
    ItemKind("core", "JOB#retention-sweep#", "RUN", "the retention sweep's daily checkpoint"),
)


class AddressHolder:
    name = "addresses"
    controller = Controller.AGENCY
    kinds = (
        ItemKind("addresses", "AGENCY#", "ADDRESS#",
                 "address: contact data, GDPR status, store-until date"),
        ItemKind("addresses", "AGENCY#", "EMAIL#", "email index entry (the email)"),
        ItemKind("addresses", "ACTIVITY#", "",
                 "activities: inquiries, appointments, notes (free text)"),
        ItemKind("addresses", "CONSENT#", "",
                 "consent records: action, channel, the text's hash, time"),
        ItemKind("addresses", "AGENCY#", "RELATION#", "owner/buyer/tenant of a property"),
        ItemKind("addresses", "AGENCY#", "TOMBSTONE#",
                 "deletion proof: keyed email hash, counts, consent record metadata"),
        ItemKind("addresses", "AGENCY#", "DELETED#", "the deletion proof by email hash"),
        ItemKind("addresses", "SEARCH#", "",
                 "search word index: folded words of the address's name, email, phone, "
                 "city (privacy/search.py)"),
        ItemKind("addresses", "AGENCY#", "ACCESSREQ#",
                 "access request log (Art. 12(3)): address id, received and due dates"),
        ItemKind("ledger", "ERASED#", "",
                 "erasure ledger: agency, address id, keyed email hash (replayed after a "
                 "restore; TTL = the PITR window, privacy/ledger.py)"),
    )
    record = ProcessingRecord(
        purpose="Adressverwaltung der Agentur: Interessenten, Eigentümer, Käufer und Mieter; "
                "Einwilligungen und Aufbewahrung nach DSGVO",
        data_categories=("Kontaktdaten (Name, E-Mail, Telefon, Anschrift)",
                         "Aktivitäten (Anfragen, Termine, Notizen)",
                         "Einwilligungen und deren Nachweis", "Speicherfrist"),
        recipients=("die Agentur", "Amazon Web Services (Hosting, E-Mail-Versand)"),
        retention="bis zur Speicherfrist der Adresse (gesetzt von der Agentur oder "
                  "automatisch), dann Löschung durch den nächtlichen Lauf; der "
                  "Löschnachweis enthält keine Kontaktdaten",
        legal_basis="Art. 6 Abs. 1 lit. a, b und f DSGVO",
    )

    def __init__(self, book: AddressBook, service: Callable[[], AddressService],
                 erasure: Callable[[], Erasure]) -> None:
        self.book = book
        self._service = service
        self._erasure = erasure

    def find(self, subject: Subject) -> Found:
        address_id = self.book.find_id_by_email(subject.agency_id, subject.email)
        item = self.book.get(subject.agency_id, address_id) if address_id else None
        if item is None:
            return Found()
        _, found_for = self._erasure().subject(subject.agency_id, item)
        return Found(refs={k: list(v) for k, v in found_for.refs.items()}, handle=item)

    def export(self, subject: Subject, found: Found) -> dict[str, Any]:
        if found.handle is None:
            return {}
        address_id = found.handle["address_id"]
        return {**self.book.preview(subject.agency_id, address_id),
                **self._service().consent_records(subject.agency_id, address_id)}

    def erase(self, subject: Subject, found: Found, *, by: str, reason: str
              ) -> dict[str, Any]:
        if found.handle is None:
            return {}
        # Raises retention_active (409 in the API) while a store-until date protects it.
        return self._service().delete(subject.agency_id, found.handle["address_id"], by,
                                      reason=reason)
