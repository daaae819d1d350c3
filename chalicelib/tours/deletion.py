"""An agency deletes a tour: its panoramas (every object under the tour's prefixes, also
forgotten uploads), its mail links (unlock, approve/deny, re-entry), its counters, media
and viewing items, and last the tour itself. The registrations stay: they are the
agency's leads and live on with the addresses (contract v2).

The tour item goes last, so an interrupted deletion is finished by a repeated DELETE.
This is an agency's explicit action on one tour, not a request path on the hot side: it
pages through the tour's registrations (Query on the tour's index range, never a Scan)."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import NotFound, Unavailable
from chalicelib.links.service import LinkService
from chalicelib.storage.dynamo import Condition, Table, Transaction, TransactionCancelled
from chalicelib.tours.media import MediaService
from chalicelib.tours.repository import TourRepository, tour_key

MAX_TRANSACTION_ITEMS = 100


class TourDeletion:
    def __init__(self, repo: TourRepository, core: Table, media: MediaService,
                 links: LinkService) -> None:
        self.repo = repo
        self.core = core
        self.media = media
        self.links = links

    def delete(self, agency_id: str, tour_id: str) -> dict[str, Any]:
        tour = self.repo.get_tour(tour_id)
        if tour is None or tour.get("agency_id") != agency_id:
            raise NotFound("Rundgang nicht gefunden.")
        objects = self.media.delete_tour_media(tour_id)
        links = self._link_keys(tour_id)
        self._delete(self.core, links)
        partition, _ = self.repo.table.query(
            Condition("{pk} = {:p}", p=f"TOUR#{tour_id}"))
        others = [(i["pk"], i["sk"]) for i in partition if (i["pk"], i["sk"]) != tour_key(tour_id)]
        self._delete(self.repo.table, others)
        self.repo.table.delete(*tour_key(tour_id), Condition("{agency_id} = {:a}", a=agency_id))
        return {"tour_id": tour_id, "deleted": True, "media_objects": objects,
                "links": len(links)}

    def _link_keys(self, tour_id: str) -> list[tuple[str, str]]:
        keys: list[tuple[str, str]] = []
        after = None
        while True:
            items, after = self.repo.list_registrations(tour_id, 200, after)
            for item in items:
                hashes = item.get("link_hashes") or {}
                values = hashes.values() if isinstance(hashes, dict) else hashes
                keys.extend(self.links.key(h) for h in values if h)
                keys.extend(self.links.key(h) for h in item.get("reentry_hashes") or ())
            if not after:
                return keys

    @staticmethod
    def _delete(table: Table, keys: list[tuple[str, str]]) -> None:
        for start in range(0, len(keys), MAX_TRANSACTION_ITEMS):
            tx = Transaction(table.client)
            for n, (pk, sk) in enumerate(keys[start:start + MAX_TRANSACTION_ITEMS]):
                tx.delete(table, pk, sk, label=f"delete:{n}")
            try:
                tx.execute()
            except TransactionCancelled as exc:
                # Unconditional deletes lose only to a concurrent transaction; the repeated
                # DELETE finishes the job (the tour item goes last).
                raise Unavailable(retry_after=1) from exc
