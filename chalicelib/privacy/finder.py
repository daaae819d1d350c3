"""``GET /agency/addresses``: the whole address book page by page, one address by its
email, or the "Adressvervollständigung" (``q``, see ``chalicelib/privacy/search.py``)."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import ValidationFailed
from chalicelib.privacy import search
from chalicelib.privacy.addresses import AddressBook, public_address
from chalicelib.storage import cursor
from chalicelib.storage.cursor import Page
from chalicelib.storage.dynamo import Condition

QUERY_PAGE = 1000
MAX_Q = 200
MAX_TERMS = 6
CURSOR_PREFIX = "Q#"


class AddressFinder:
    def __init__(self, book: AddressBook) -> None:
        self.book = book
        self.table = book.table

    def find(self, agency_id: str, *, email: str | None, q: str | None,
             page: Page) -> dict[str, Any]:
        _ = page.limit  # parsed first: a bad limit is 422 also beside an email or a bad q
        if q is not None and email is not None:
            raise ValidationFailed({"q": "Entweder q oder email angeben, nicht beides."})
        if q is not None:
            return self.complete(agency_id, q, page)
        if email:
            return self.by_email(agency_id, email)
        return self.page(agency_id, page)

    def by_email(self, agency_id: str, email: str) -> dict[str, Any]:
        # Longer than any valid address (and DynamoDB refuses sort keys over 1 KB).
        if len(email) > 254:
            return {"addresses": [], "next_cursor": None}
        address_id = self.book.find_id_by_email(agency_id, email)
        item = self.book.get(agency_id, address_id) if address_id else None
        return {"addresses": [public_address(item)] if item else [], "next_cursor": None}

    def page(self, agency_id: str, page: Page) -> dict[str, Any]:
        after = page.after("ADDRESS#")
        start = {"pk": f"AGENCY#{agency_id}", "sk": after} if after else None
        items, last = self.table.query(
            Condition("{pk} = {:p} AND begins_with({sk}, {:s})",
                      p=f"AGENCY#{agency_id}", s="ADDRESS#"),
            limit=page.limit, start_key=start)
        return {"addresses": [public_address(i) for i in items],
                "next_cursor": cursor.encode(last["sk"]) if last else None}

    # -- the completion ----------------------------------------------------------------

    def complete(self, agency_id: str, q: str, page: Page) -> dict[str, Any]:
        if len(q) > MAX_Q:
            raise ValidationFailed({"q": f"Höchstens {MAX_Q} Zeichen."})
        query_terms = search.terms(q)
        if not query_terms:
            raise ValidationFailed({"q": "Mindestens ein Suchbegriff mit 2 Zeichen."})
        if len(query_terms) > MAX_TERMS:
            raise ValidationFailed({"q": f"Höchstens {MAX_TERMS} Suchbegriffe."})
        after = page.after(CURSOR_PREFIX)
        position = after[len(CURSOR_PREFIX):] if after else None
        found: dict[str, str] | None = None
        for prefixes in query_terms:
            hits: dict[str, str] = {}
            for prefix in prefixes:
                hits.update(self._matching(agency_id, prefix))
            found = hits if found is None else {a: o for a, o in found.items() if a in hits}
            if not found:
                return {"addresses": [], "next_cursor": None}
        ordered = sorted((o, a) for a, o in (found or {}).items()
                         if position is None or o > position)
        shown = ordered[:page.limit]
        items = self.book.get_many(agency_id, [a for _, a in shown])
        addresses = [public_address(items[a]) for _, a in shown
                     if a in items and search.matches(items[a], query_terms)]
        more = len(ordered) > page.limit
        return {"addresses": addresses,
                "next_cursor": cursor.encode(CURSOR_PREFIX + shown[-1][0]) if more else None}

    def _matching(self, agency_id: str, prefix: str) -> dict[str, str]:
        """address id → sort position of every address with a word starting ``prefix``:
        one partition, one ``begins_with`` range, page by page."""
        hits: dict[str, str] = {}
        start: dict[str, Any] | None = None
        while True:
            items, start = self.table.query(
                Condition("{pk} = {:p} AND begins_with({sk}, {:s})",
                          p=search.search_pk(agency_id, prefix), s=prefix),
                limit=QUERY_PAGE, start_key=start)
            for item in items:
                hits[item["a"]] = item["o"]
            if start is None:
                return hits
