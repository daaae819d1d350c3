"""Builds the GDPR part of the address book from the container's parts (one place)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from chalicelib.metrics import NULL as NULL_METRICS
from chalicelib.personal_data import Holder
from chalicelib.privacy.addresses import AddressBook
from chalicelib.privacy.consent import ConsentService
from chalicelib.privacy.erasure import Erasure
from chalicelib.privacy.properties import PropertyService
from chalicelib.privacy.service import AddressService
from chalicelib.privacy.settings import SettingsRepository
from chalicelib.privacy.sweep import RetentionSweep
from chalicelib.privacy.worklists import Worklists


class Gdpr:
    def __init__(self, book: AddressBook, *, tours_table: Any, core: Any, agency_repo: Any,
                 links: Any, outbox: Any, clock: Any, settings: Any,
                 metrics: Any = NULL_METRICS, ledger: Any = None,
                 person_data: Callable[[], Sequence[Holder]] = tuple,
                 tables: Any = None) -> None:
        """``person_data``: the other agency-controlled holders of personal data, whose keys
        an address's erasure deletes with it (``wiring.Container.person_data``), and the
        further ``tables`` those keys live in."""
        self.book = book
        self.settings = SettingsRepository(book.table, clock)
        self.erasure = Erasure(book, tours_table, core, clock, settings.hash_key,
                               metrics=metrics, ledger=ledger, person_data=person_data,
                               tables=tables)
        self.ledger = ledger
        self.addresses = AddressService(book, self.erasure, clock, settings=self.settings)
        self.properties = PropertyService(book, self.settings, clock)
        # Registers the link purposes "consent", "deletion-request" and "correction".
        self.consent = ConsentService(book, agency_repo, links, outbox, clock,
                                      settings.public_base_url, metrics=metrics,
                                      settings=self.settings, region=settings.region)
        self.worklists = Worklists(book, clock)
        outbox.on_permanent_failure("address", self._mail_failed, with_agency=True)
        self.sweep = RetentionSweep(book.table, core, self.erasure, self.settings, agency_repo,
                                    outbox, clock, settings.public_base_url)

    def replay_erasures(self, since: Any) -> dict[str, Any]:
        """After a restore of the data tables: erase again everyone the ledger lists since
        ``since`` (ops event ``replay_erasures``). No retention check: the person was
        erased already; the fresh tombstone says ``replay_after_restore``."""
        from chalicelib.privacy.ledger import replay

        def erase_again(agency_id: str, address_id: str) -> bool:
            result = self.erasure.erase(agency_id, address_id, reason="replay_after_restore",
                                        by="ops:replay_erasures", check=lambda item: None)
            if result is not None:
                return True
            tombstone = self.erasure.tombstone(agency_id, address_id)
            if tombstone is not None and tombstone.get("status") == "cleanup_pending":
                self.erasure.resume(agency_id, address_id)
                return True
            return False

        return replay(self.ledger, since, erase_again)

    def _mail_failed(self, address_id: str, mail_kind: str, *, agency_id: str) -> None:
        # Only the consent request goes to the address itself; notices go to the agency.
        if mail_kind == "gdpr_consent_request":
            self.book.mark_email_undeliverable(agency_id, address_id)
