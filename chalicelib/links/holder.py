"""Mail links as a holder of personal data: a link's ``context`` copies what its pages
show (a prospect's name and email, an address's consent snapshot). Reached only through
the records that issued them (``subject.refs["link"]``: token hashes); erased with them."""

from __future__ import annotations

from typing import Any

from chalicelib.links.service import LinkService
from chalicelib.personal_data import Controller, Found, ItemKind, ProcessingRecord, Subject


class LinkHolder:
    name = "links"
    controller = Controller.AGENCY
    kinds = (ItemKind("core", "LINK#", "LINK",
                      "action link (hash of the token); its context snapshots the data its "
                      "page shows"),)
    record = ProcessingRecord(
        purpose="Ein-Klick-Links in E-Mails (Freischaltung, Freigabe, Einwilligung, "
                "Bestätigung)",
        data_categories=("Name und E-Mail der Person, soweit die Seite des Links sie zeigt",),
        recipients=("Amazon Web Services (Hosting)",),
        retention="bis 90 Tage nach Ablauf des Links, oder mit dem Datensatz, zu dem er gehört",
    )

    def find(self, subject: Subject) -> Found:
        return Found(keys=[("core", *LinkService.key(h)) for h in subject.ref("link")])

    def export(self, subject: Subject, found: Found) -> dict[str, Any]:
        return {}  # a link shows only what its record (exported there) holds

    def erase(self, subject: Subject, found: Found, *, by: str, reason: str
              ) -> dict[str, Any]:
        return {}  # deleted in the address book's clean-up plan (Found.keys)
