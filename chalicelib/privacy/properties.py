"""Properties (active/archived), owner/buyer/tenant relations, and the automatic
store-until date when a property is archived (onOffice's rule with its exclusions)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from chalicelib.body import Body
from chalicelib.clock import Clock, berlin_date, iso
from chalicelib.errors import Conflict, NotFound
from chalicelib.plural import days
from chalicelib.privacy import rules
from chalicelib.privacy.addresses import AddressBook, interest_pk, property_key, relation_key
from chalicelib.privacy.items import AddressItem
from chalicelib.privacy.model import NewProperty, NewRelation
from chalicelib.privacy.settings import SettingsRepository
from chalicelib.secrets_util import new_id
from chalicelib.storage.cursor import Page
from chalicelib.storage.dynamo import (
    Condition,
    ConditionFailed,
    Item,
    Transaction,
    TransactionCancelled,
    Update,
)
from chalicelib.storage.retry import Retry, optimistic
from chalicelib.validation import validate_model

# What a property's relation list shows of each address.
RELATION_FIELDS = ("first_name", "last_name", "company", "email", "gdpr_status")
PUBLIC_PROPERTY = ("property_id", "title", "status", "created_at", "archived_at", "archived_on")


def public_property(item: Item) -> dict[str, Any]:
    return {k: item.get(k) for k in PUBLIC_PROPERTY}


# The class has a method named ``list``: inside it, ``list[str]`` would name that method.
AddressIdList = list[str]


class PropertyService:
    def __init__(self, book: AddressBook, settings: SettingsRepository, clock: Clock) -> None:
        self.book = book
        self.table = book.table
        self.settings = settings
        self.clock = clock

    def create(self, agency_id: str, payload: Any) -> dict[str, Any]:
        data = validate_model(NewProperty, payload)
        property_id = data.property_id or new_id()
        pk, sk = property_key(agency_id, property_id)
        item = {"pk": pk, "sk": sk, "property_id": property_id, "agency_id": agency_id,
                "title": data.title, "status": "active", "created_at": iso(self.clock.now()),
                "archived_at": None, "archived_on": None, "version": 1}
        try:
            self.table.put(item, Condition("attribute_not_exists({pk})"))
        except ConditionFailed as exc:
            raise Conflict("Diese Objekt-ID ist bereits vergeben.", code="property_exists") from exc
        return public_property(item)

    def require(self, agency_id: str, property_id: str) -> Item:
        item = self.table.get(*property_key(agency_id, property_id))
        if item is None:
            raise NotFound("Immobilie nicht gefunden.")
        return item

    def get(self, agency_id: str, property_id: str) -> dict[str, Any]:
        return public_property(self.require(agency_id, property_id))

    def list(self, agency_id: str, page: Page) -> dict[str, Any]:
        """The agency's properties (active and archived), page by page: the dashboard
        offers them wherever it asks for a property id."""
        from chalicelib.storage import cursor

        limit = page.limit
        after = page.after("PROPERTY#")
        start = {"pk": f"AGENCY#{agency_id}", "sk": after} if after else None
        items, last = self.table.query(
            Condition("{pk} = {:p} AND begins_with({sk}, {:s})", p=f"AGENCY#{agency_id}",
                      s="PROPERTY#"), limit=limit, start_key=start)
        return {"properties": [public_property(i) for i in items],
                "next_cursor": cursor.encode(last["sk"]) if last else None}

    # -- relations -----------------------------------------------------------------------

    def relate(self, agency_id: str, property_id: str,
               body: Body[NewRelation]) -> dict[str, Any]:
        self.require(agency_id, property_id)
        data = body.get()

        def attempt(_number: int) -> dict[str, Any]:
            address = self.book.require(agency_id, data.address_id)
            relation = f"{property_id}#{data.role}"
            if relation in (address.get("relations") or ()):
                raise Conflict("Diese Beziehung ist bereits eingetragen.", code="relation_exists")
            now = self.clock.now()
            pk, sk = relation_key(agency_id, property_id, data.address_id, data.role)
            tx = Transaction(self.table.client)
            tx.put(self.table, {"pk": pk, "sk": sk, "property_id": property_id,
                                "address_id": data.address_id, "role": data.role,
                                "created_at": iso(now)},
                   condition=Condition("attribute_not_exists({pk})"), label="relation")
            self.book.stage_change(tx, address, {}, adds={"relations": {relation}})
            labels = {"owner": "Eigentümer", "buyer": "Käufer", "tenant": "Mieter"}
            self.book.stage_activity(tx, agency_id, data.address_id, {
                "type": "gdpr", "source": "agency_api", "property_id": property_id,
                "note": f"Als {labels[data.role]} der Immobilie eingetragen (vom automatischen "
                        "Speichern-Bis-Datum ausgenommen)."}, at=now)
            try:
                tx.execute()
            except TransactionCancelled as exc:
                if "relation" in exc.failed:
                    raise Conflict("Diese Beziehung ist bereits eingetragen.",
                                   code="relation_exists") from exc
                raise Retry() from exc
            return {"property_id": property_id, "address_id": data.address_id,
                    "role": data.role, "created_at": iso(now)}

        return optimistic(attempt)

    def relations(self, agency_id: str, property_id: str) -> dict[str, Any]:
        """The property's owners, buyers and tenants with the name and email of each (the
        dashboard's "Bewertung anfragen" for a property's buyers and tenants): one Query of
        the agency's relation items for the property, one BatchGetItem of the addresses."""
        self.require(agency_id, property_id)
        found: list[Item] = []
        start: dict[str, Any] | None = None
        while True:
            items, start = self.table.query(
                Condition("{pk} = {:p} AND begins_with({sk}, {:s})", p=f"AGENCY#{agency_id}",
                          s=f"RELATION#{property_id}#"), limit=100, start_key=start,
                consistent=True)
            found.extend(items)
            if start is None:
                break
        addresses = self.book.get_many(agency_id, [r["address_id"] for r in found])
        return {"relations": [
            {"address_id": r["address_id"], "role": r["role"], "created_at": r["created_at"],
             "address": {k: addresses[r["address_id"]].get(k) for k in RELATION_FIELDS}}
            for r in found if r["address_id"] in addresses]}

    # -- archive -------------------------------------------------------------------------

    def archive(self, agency_id: str, property_id: str) -> dict[str, Any]:
        """Archives the property and, when the agency's automatic mode is on, gives its
        interested parties their store-until date. The property is marked while its
        parties are processed, so a repeated call after an interruption completes it."""
        prop = self.require(agency_id, property_id)
        settings = self.settings.get(agency_id)
        if prop.get("status") == "archived" and not prop.get("rules_pending"):
            raise Conflict("Die Immobilie ist bereits archiviert.", code="already_archived")
        now = self.clock.now()
        if prop.get("status") != "archived":
            try:
                prop = self.table.update(
                    *property_key(agency_id, property_id),
                    Update(sets={"status": "archived", "archived_at": iso(now),
                                 "archived_on": berlin_date(now).isoformat(),
                                 "rules_pending": settings.auto_store_until},
                           adds={"version": 1}),
                    Condition("{status} = {:a}", a="active"))
            except ConditionFailed as exc:
                raise Conflict("Die Immobilie ist bereits archiviert.",
                               code="already_archived") from exc
        result: dict[str, Any] = {**public_property(prop), "auto_store_until":
                                  settings.auto_store_until, "store_until_set": [],
                                  "excluded": []}
        if not prop.get("rules_pending"):
            return result
        archive_date = date.fromisoformat(prop["archived_on"])
        for address_ids in self._interested_parties(agency_id, property_id):
            self._apply(agency_id, prop, address_ids, archive_date, settings.retention_days,
                        result)
        self.table.update(*property_key(agency_id, property_id),
                          Update(sets={"rules_pending": False}),
                          Condition("{status} = {:a}", a="archived"))
        return result

    def _interested_parties(self, agency_id: str, property_id: str) -> Iterator[AddressIdList]:
        """Distinct address ids with an interest activity for the property, in pages."""
        seen: set[str] = set()
        start: dict[str, Any] | None = None
        while True:
            items, start = self.table.query(
                Condition("{prop_pk} = {:p}", p=interest_pk(agency_id, property_id)),
                index="interest", limit=100, start_key=start)
            page = []
            for item in items:
                address_id = item["prop_sk"].split("#", 1)[0]
                if address_id not in seen:
                    seen.add(address_id)
                    page.append(address_id)
            if page:
                yield page
            if start is None:
                return

    def _apply(self, agency_id: str, prop: Item, address_ids: AddressIdList, archive_date: date,
               retention_days: int, result: dict[str, Any]) -> None:
        property_id = prop["property_id"]
        addresses = self.book.get_many(agency_id, address_ids)
        others = set().union(*(set(a.get("interest_properties") or ()) for a in
                               addresses.values())) - {property_id}
        status = {pid: p.get("status", "") for pid, p in
                  self.book.properties(agency_id, others).items()}
        status[property_id] = "archived"
        for address_id in address_ids:
            self._archive_one(agency_id, prop, address_id, addresses.get(address_id), status,
                              archive_date, retention_days, result)

    def _archive_one(self, agency_id: str, prop: Item, address_id: str,
                     address: AddressItem | None,
                     status: dict[str, str], archive_date: date, retention_days: int,
                     result: dict[str, Any]) -> None:
        property_id = prop["property_id"]

        def attempt(_number: int) -> None:
            nonlocal address
            if address is None:
                return
            decision = rules.archive_decision(
                address, archived_property_id=property_id, property_status=status,
                archive_date=archive_date, retention_days=retention_days)
            if decision.excluded:
                result["excluded"].append({"address_id": address_id,
                                           "reason": decision.excluded})
                return
            if decision.unchanged:
                result["store_until_set"].append(address_id)
                return
            tx = Transaction(self.table.client)
            self.book.stage_change(tx, address, {
                "store_until": decision.store_until, "store_until_manual": False,
                "store_until_reason": rules.ARCHIVE_REASON})
            self.book.stage_activity(tx, agency_id, address_id, {
                "type": "gdpr", "source": "automatic", "property_id": property_id,
                "note": f"Speichern-Bis-Datum automatisch auf {decision.store_until} gesetzt "
                        f"(Grund: {rules.ARCHIVE_REASON}: „{prop.get('title')}“, "
                        f"{days(retention_days)})."})
            try:
                tx.execute()
            except TransactionCancelled as exc:
                address = self.book.get(agency_id, address_id)
                raise Retry() from exc
            result["store_until_set"].append(address_id)

        # A batch job: an address still moving after three reads is left out of this
        # archive run's result, not a reason to fail the others.
        optimistic(attempt, exhausted=lambda: None)
