"""A tour registration's lead once it is verified, and the agency applying a suggestion.

Until the prospect's unlock POST or the agency's approval a lead is unverified: it added
an email-only address (or nothing to a known one) and an inquiry activity that does not
count as interest (``AddressBook.stage_lead``). ``stage_verified`` runs inside the unlock
or approval transaction: the inquiry becomes interest in the tour's property (the
interest index, ``interest_properties``, the renewed-interest reset of an automatic
store-until date), empty contact fields are filled from the registration, and fields that
differ become a ``suggestion`` activity the agency applies with one click
(``apply_suggestion``) — a registration never overwrites what the agency stored.

Its writes carry the ``retry:`` label prefix: when the address changed between the read
and the commit, the link POST (``LinkService.perform``) or the API decision reads again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from chalicelib.clock import Clock, iso
from chalicelib.errors import NotFound
from chalicelib.links.service import RETRY_PREFIX
from chalicelib.privacy import rules
from chalicelib.privacy.addresses import (
    LEAD_FIELDS,
    AddressBook,
    activity_pk,
    address_key,
    interest_pk,
    property_key,
    public_address,
    reset_activity,
)
from chalicelib.secrets_util import new_id
from chalicelib.storage.dynamo import Condition, Item, Transaction, TransactionCancelled, Update
from chalicelib.storage.retry import Retry, optimistic

LEAD_LABEL = RETRY_PREFIX + "lead"
FIELD_LABELS = {"first_name": "Vorname", "last_name": "Nachname", "phone": "Telefon",
                "street": "Straße", "zip": "PLZ", "city": "Ort"}


def _same(a: Any, b: Any) -> bool:
    return " ".join(str(a).split()).casefold() == " ".join(str(b).split()).casefold()


class Leads:
    def __init__(self, book: AddressBook, clock: Clock) -> None:
        self.book = book
        self.table = book.table
        self.clock = clock

    def stage_verified(self, tx: Transaction, agency_id: str, lead: Mapping[str, Any] | None,
                       prospect: Mapping[str, Any], property_id: str | None,
                       registration_id: str | None = None, attempt: int = 0) -> None:
        """Adds the verified lead's writes to ``tx``. An address this registration created
        is taken as it was created (no read; it has no automatic date, so the property
        does not matter); otherwise, or on a retry, one read: the address and the tour's
        property in one BatchGetItem. Nothing when the registration predates unverified
        leads (no ``lead``) or the address was deleted meanwhile."""
        if not lead:
            return
        address_id, activity_sk = lead["address_id"], lead["activity_sk"]
        prop = None
        address: Item | None
        if lead.get("created") and attempt == 0:
            address = dict(lead["created"])
        else:
            keys = [address_key(agency_id, address_id)]
            if property_id:
                keys.append(property_key(agency_id, property_id))
            found = {(i["pk"], i["sk"]): i for i in self.table.batch_get(keys)}
            address = found.get(keys[0])
            if address is None:
                return
            prop = found.get(keys[1]) if property_id else None
        now = self.clock.now()
        fills: dict[str, Any] = {}
        differing: dict[str, dict[str, Any]] = {}
        for name in LEAD_FIELDS:
            typed = prospect.get(name)
            if not typed:
                continue
            stored = address.get(name)
            if not stored:
                fills[name] = typed
            elif not _same(stored, typed):
                differing[name] = {"current": stored, "suggested": typed}
        sets: dict[str, Any] = dict(fills)
        interest = rules.interest_property("inquiry", property_id)
        resets = bool(interest and prop and prop.get("status") == "active"
                      and rules.has_automatic_date(address))
        if resets:
            sets.update(store_until=None, store_until_reason=None, store_until_manual=False)
        suggestion_id = new_id() if differing else None
        if suggestion_id:
            moment = iso(now + timedelta(milliseconds=2))
            open_suggestions = dict(address.get("open_suggestions") or {})
            open_suggestions[suggestion_id] = {
                "sk": f"{moment}#{suggestion_id}",
                "fields": {k: v["suggested"] for k, v in differing.items()}}
            sets["open_suggestions"] = open_suggestions
        if sets or interest:
            self.book.stage_change(tx, address, sets,
                                   adds={"interest_properties": {interest}} if interest
                                   else None, label=LEAD_LABEL)
        activity = Update(sets={"verified": True, "verified_at": iso(now)})
        if interest:
            activity.sets.update(prop_pk=interest_pk(agency_id, interest),
                                 prop_sk=f"{address_id}#{activity_sk}")
        tx.update(self.table, activity_pk(agency_id, address_id), activity_sk, activity,
                  condition=Condition("{verified} = {:f}", f=False), label=LEAD_LABEL)
        if resets:
            self.book.stage_activity(tx, agency_id, address_id, reset_activity(
                address["store_until"], property_id), at=now + timedelta(milliseconds=1))
        if suggestion_id:
            listed = ", ".join(f"{FIELD_LABELS[k]}: „{v['suggested']}“ statt „{v['current']}“"
                               for k, v in differing.items())
            self.book.stage_activity(tx, agency_id, address_id, {
                "type": "suggestion", "source": "tour_registration", "status": "open",
                "registration_id": registration_id,
                "suggestion": differing,
                "note": f"Abweichende Kontaktdaten aus einer bestätigten Registrierung: "
                        f"{listed}. Mit „Übernehmen“ werden sie gespeichert."},
                at=now + timedelta(milliseconds=2), activity_id=suggestion_id)

    def apply_suggestion(self, agency_id: str, address_id: str, activity_id: str,
                         actor: dict[str, Any]) -> dict[str, Any]:
        """The agency's one click: the suggested fields are stored, the suggestion is
        marked applied. 404 for an unknown or already applied suggestion."""
        def attempt(_number: int) -> dict[str, Any]:
            address = self.book.require(agency_id, address_id)
            entry = (address.get("open_suggestions") or {}).get(activity_id)
            if not entry:
                raise NotFound("Vorschlag nicht gefunden oder bereits übernommen.")
            remaining = {k: v for k, v in address["open_suggestions"].items()
                         if k != activity_id}
            fields = {k: v for k, v in entry["fields"].items() if k in LEAD_FIELDS}
            tx = Transaction(self.table.client)
            after = self.book.stage_change(tx, address, {**fields,
                                                         "open_suggestions": remaining})
            tx.update(self.table, activity_pk(agency_id, address_id), entry["sk"],
                      Update(sets={"status": "applied", "applied_at": iso(self.clock.now()),
                                   "applied_by": actor}),
                      condition=Condition("{status} = {:o}", o="open"), label="activity")
            try:
                tx.execute()
            except TransactionCancelled as exc:
                if "activity" in exc.failed:
                    raise NotFound("Vorschlag nicht gefunden oder bereits übernommen.") from exc
                raise Retry() from exc  # the address changed meanwhile: read it again
            return public_address(after)

        return optimistic(attempt)
