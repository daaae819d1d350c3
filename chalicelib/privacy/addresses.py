"""The agency's address book (minimal core): addresses, their email index and activities.

Layout in the addresses table, all within the agency's partition or keyed by it, so a
foreign id simply is not found:
- ``AGENCY#<agency>`` / ``ADDRESS#<id>``   the address
- ``AGENCY#<agency>`` / ``EMAIL#<email>``  email → address id (one per email and agency)
- ``ACTIVITY#<agency>#<id>`` / ``<timestamp>#<activity id>``  its activities (an interest
  activity also carries ``prop_pk``/``prop_sk``: GSI "interest", the interested parties
  of a property)
- ``AGENCY#<agency>`` / ``PROPERTY#<property id>``   a property (active/archived)
- ``AGENCY#<agency>`` / ``RELATION#<property>#<address>#<role>``   owner/buyer/tenant
- ``AGENCY#<agency>`` / ``GDPR#SETTINGS``   the agency's GDPR settings
- ``AGENCY#<agency>`` / ``TOMBSTONE#<email hash|->#<address id>``   proof of a deletion
- ``CONSENT#<agency>#<id>`` / ``<timestamp>#<record id>``   append-only consent records

An address that can be in a GDPR worklist carries ``gdpr_pk``/``gdpr_sk`` (GSI "gdpr",
see ``rules.index_keys``); every change of an address goes through ``stage_change``,
which keeps those keys, the version and the email index's mirror in step.

The email index item mirrors the address's *automatic* store-until date and its status
(``auto_until``, ``auto_status``) so that a tour registration learns with the read it
already makes (plus the property) whether its inquiry resets that date.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from chalicelib.clock import Clock, iso
from chalicelib.privacy import events, rules, search
from chalicelib.privacy.items import AddressItem
from chalicelib.secrets_util import new_id
from chalicelib.storage.dynamo import (
    Condition,
    ConditionFailed,
    Item,
    Table,
    Transaction,
    Update,
)
from chalicelib.validation import email_key

ActivityType = Literal["appointment", "expose_sent", "revocation_confirmed", "inquiry", "note"]
LEAD_FIELDS = ("first_name", "last_name", "phone", "street", "zip", "city")
PUBLIC_FIELDS = (
    "address_id", "salutation", "first_name", "last_name", "company", "email", "phone",
    "street", "zip", "city", "user_id", "assigned_user_id", "external_id", "gdpr_status",
    "store_until", "store_until_reason",
    "store_until_manual", "email_undeliverable", "created_at", "updated_at",
)
ACTIVITY_FIELDS = ("activity_id", "type", "property_id", "note", "created_at", "source",
                   "tour_id", "registration_id", "by", "verified", "suggestion", "status")


def address_key(agency_id: str, address_id: str) -> tuple[str, str]:
    return f"AGENCY#{agency_id}", f"ADDRESS#{address_id}"


def email_index_key(agency_id: str, email: str) -> tuple[str, str]:
    return f"AGENCY#{agency_id}", f"EMAIL#{email_key(email)}"


def activity_pk(agency_id: str, address_id: str) -> str:
    return f"ACTIVITY#{agency_id}#{address_id}"


def property_key(agency_id: str, property_id: str) -> tuple[str, str]:
    return f"AGENCY#{agency_id}", f"PROPERTY#{property_id}"


def relation_key(agency_id: str, property_id: str, address_id: str, role: str
                 ) -> tuple[str, str]:
    return f"AGENCY#{agency_id}", f"RELATION#{property_id}#{address_id}#{role}"


def consent_pk(agency_id: str, address_id: str) -> str:
    return f"CONSENT#{agency_id}#{address_id}"


def interest_pk(agency_id: str, property_id: str) -> str:
    return f"PROP#{agency_id}#{property_id}"


def mirror(address: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """What the email index mirrors: the automatic date and the status, or nothing."""
    if rules.has_automatic_date(address):
        return address["store_until"], address.get("gdpr_status") or "none"
    return None, None


@dataclass(frozen=True)
class LeadState:
    """What a registration knows before it writes: the address with that email (if any),
    its automatic date as mirrored on the email index, and whether the tour's property
    is an active property of the agency."""

    address_id: str | None
    property_active: bool = False
    auto_until: str | None = None
    auto_status: str | None = None
    # The searchable fields as mirrored on the email index (None: not mirrored).
    search: dict[str, str] | None = None

    @property
    def resets(self) -> bool:
        return (self.address_id is not None and self.property_active
                and self.auto_until is not None)


@dataclass(frozen=True)
class LeadRef:
    """Where a registration's lead landed: the address and its inquiry activity's sort
    key (kept on the registration and its links, so verifying it needs no lookup)."""

    address_id: str
    activity_sk: str
    # The address as this registration created it (a new email): verifying can act on it
    # without a read, conditioned on its version (a stale copy costs one retry with a read).
    created: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        ref: dict[str, Any] = {"address_id": self.address_id, "activity_sk": self.activity_sk}
        if self.created is not None:
            ref["created"] = self.created
        return ref


@dataclass(frozen=True)
class LeadContact:
    email: str
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    street: str | None = None
    zip: str | None = None
    city: str | None = None


def public_address(item: Mapping[str, Any]) -> dict[str, Any]:
    public = {name: item.get(name) for name in PUBLIC_FIELDS}
    public["store_until_manual"] = bool(public["store_until_manual"])
    public["email_undeliverable"] = bool(public["email_undeliverable"])
    public["gdpr_status"] = public["gdpr_status"] or "none"
    return public


def public_activity(item: Item) -> dict[str, Any]:
    return {k: item.get(k) for k in ACTIVITY_FIELDS}


class AddressBook:
    def __init__(self, table: Table, clock: Clock, *, events: Any = None) -> None:
        self.table = table
        self.clock = clock
        # Webhook events (chalicelib/privacy/events.py) ride in each change's transaction.
        self.events = events

    def find_id_by_email(self, agency_id: str, email: str) -> str | None:
        entry = self.table.get(*email_index_key(agency_id, email))
        return entry["address_id"] if entry else None

    def lead_state(self, agency_id: str, email: str, property_id: str | None) -> LeadState:
        """The registration's one read: the email index entry, and the tour's property in
        the same round trip (one BatchGetItem) when the tour names one."""
        index = email_index_key(agency_id, email)
        if not property_id:
            entry = self.table.get(*index)
            prop = None
        else:
            found = {(i["pk"], i["sk"]): i for i in self.table.batch_get(
                [index, property_key(agency_id, property_id)])}
            entry = found.get(index)
            prop = found.get(property_key(agency_id, property_id))
        if entry is None:
            return LeadState(None)
        return LeadState(entry["address_id"],
                         property_active=bool(prop and prop.get("status") == "active"),
                         auto_until=entry.get("auto_until"), auto_status=entry.get("auto_status"),
                         search=entry.get("search"))

    def mark_email_undeliverable(self, agency_id: str, address_id: str) -> None:
        """SES reported the address's email as permanently undeliverable (idempotent)."""
        with contextlib.suppress(ConditionFailed):
            self.table.update(*address_key(agency_id, address_id),
                              Update(sets={"email_undeliverable": True}),
                              Condition("attribute_exists({pk})"))

    # The reads hand out the stored shape (chalicelib/privacy/items.py), which only this
    # book's writes produce.

    def get(self, agency_id: str, address_id: str) -> AddressItem | None:
        if not address_id:
            return None
        return cast("AddressItem | None", self.table.get(*address_key(agency_id, address_id)))

    def get_many(self, agency_id: str, address_ids: list[str]) -> dict[str, AddressItem]:
        found: dict[str, AddressItem] = {}
        ids = rules.unique(address_ids)
        for start in range(0, len(ids), 100):
            for item in self.table.batch_get(
                    [address_key(agency_id, i) for i in ids[start:start + 100]]):
                found[item["address_id"]] = cast("AddressItem", item)
        return found

    def properties(self, agency_id: str, property_ids: set[str]) -> dict[str, Item]:
        found: dict[str, Item] = {}
        ids = sorted(property_ids)
        for start in range(0, len(ids), 100):
            for item in self.table.batch_get(
                    [property_key(agency_id, p) for p in ids[start:start + 100]]):
                found[item["property_id"]] = item
        return found

    def stage_lead(self, tx: Transaction, agency_id: str, existing: str | LeadState | None,
                   lead: LeadContact, activity: dict[str, Any]) -> LeadRef:
        """Adds to ``tx`` an unverified lead (v2 contract, Tours): for a new email an
        address holding only the email, for a known one nothing but the activity. The
        activity does not count as interest yet (no interest index keys, no reset): the
        prospect has proved nothing, and anyone can type someone else's email. What they
        typed stays on the registration; ``privacy.leads.Leads.stage_verified`` applies it
        after the unlock POST or the agency's approval. Fails the transaction (label
        ``address``) if the email index changed since ``existing`` was read."""
        state = existing if isinstance(existing, LeadState) else LeadState(existing)
        # One clock read: the activity's sort key below must be the one it is stored under.
        moment = self.clock.now()
        now = iso(moment)
        if state.address_id is None:
            address_id = new_id()
            pk, sk = address_key(agency_id, address_id)
            item = {
                "pk": pk, "sk": sk, "address_id": address_id, "agency_id": agency_id,
                "salutation": None, "company": None, "user_id": None,
                "first_name": None, "last_name": None, "phone": None, "street": None,
                "zip": None, "city": None,
                "email": lead.email, "gdpr_status": "none", "store_until": None,
                "store_until_reason": None, "store_until_manual": False,
                "created_at": now, "updated_at": now, "source": "tour_registration",
                "version": 1,
            }
            words = search.stage_words(tx, self.table, agency_id, address_id, None, item)
            item.update(search.index_sets(words, item, address_id)[0])
            tx.put(self.table, item, condition=Condition("attribute_not_exists({pk})"),
                   label="address")
            ipk, isk = email_index_key(agency_id, lead.email)
            tx.put(self.table, {"pk": ipk, "sk": isk, "address_id": address_id,
                                "search": search.mirror_fields(item)},
                   condition=Condition("attribute_not_exists({pk})"), label="address")
            created: dict[str, Any] | None = item
        else:
            created = None
            address_id = state.address_id
            tx.check(self.table, *email_index_key(agency_id, lead.email),
                     Condition("{address_id} = {:a}", a=address_id), label="address")
        activity_id = new_id()
        sk = f"{now}#{activity_id}"
        self.stage_activity(tx, agency_id, address_id,
                            {**activity, "verified": False}, at=moment,
                            activity_id=activity_id, interest=False)
        return LeadRef(address_id, sk, created)

    def stage_activity(self, tx: Transaction, agency_id: str, address_id: str,
                       activity: dict[str, Any], at: datetime | None = None, *,
                       activity_id: str | None = None, interest: bool = True) -> str:
        """``interest=False``: an activity that does not (yet) count as interest in its
        property, whatever its type (an unverified lead's inquiry)."""
        moment = iso(at or self.clock.now())
        activity_id = activity_id or new_id()
        item = {
            "pk": activity_pk(agency_id, address_id), "sk": f"{moment}#{activity_id}",
            "activity_id": activity_id, "address_id": address_id, "created_at": moment,
            "property_id": None, "note": None, **activity,
        }
        if interest and rules.is_interest(item.get("type", ""), item.get("property_id")):
            item["prop_pk"] = interest_pk(agency_id, item["property_id"])
            item["prop_sk"] = f"{address_id}#{moment}#{activity_id}"
        tx.put(self.table, item, label="activity")
        return activity_id

    def stage_change(self, tx: Transaction, before: Mapping[str, Any], sets: dict[str, Any], *,
                     adds: dict[str, set[str]] | None = None, label: str = "address",
                     mirror_email: bool = True) -> Item:
        """The one way an existing address changes: ``sets`` (and set-``adds``) on top of
        ``before``, conditional on ``before``'s version; the worklist index keys follow
        the new state, and so does the email index's mirror of the automatic date.
        Returns the address as it will be."""
        agency_id = before["agency_id"]
        address_id = before["address_id"]
        now = iso(self.clock.now())
        adds = {k: v for k, v in (adds or {}).items() if v}
        after = {**before, **sets, "updated_at": now, "version": int(before["version"]) + 1}
        for name, values in adds.items():
            after[name] = set(before.get(name) or ()) | set(values)
        words = search.stage_words(tx, self.table, agency_id, address_id, before, after)
        word_sets, word_removes = search.index_sets(words, after, address_id)
        after.update(word_sets)
        for name in word_removes:
            after.pop(name, None)
        update = Update(sets={**sets, **word_sets, "updated_at": now},
                        adds={"version": 1, **adds}, removes=list(word_removes))
        keys = rules.index_keys(agency_id, after)
        if keys:
            after["gdpr_pk"], after["gdpr_sk"] = keys
            update.sets.update(gdpr_pk=keys[0], gdpr_sk=keys[1])
        elif before.get("gdpr_pk"):
            after.pop("gdpr_pk", None)
            after.pop("gdpr_sk", None)
            update.removes.extend(["gdpr_pk", "gdpr_sk"])
        tx.update(self.table, *address_key(agency_id, address_id), update,
                  condition=Condition("{version} = {:v}", v=before["version"]), label=label)
        events.emit_changes(self.events, tx, before, after, self.clock.now())
        if mirror_email and after.get("email") and (
                mirror(before) != mirror(after)
                or search.mirror_fields(before) != search.mirror_fields(after)):
            self.stage_mirror(tx, agency_id, after, label=label)
        return after

    def stage_mirror(self, tx: Transaction, agency_id: str, address: Item,
                     label: str = "address") -> None:
        until, status = mirror(address)
        fields = search.mirror_fields(address)
        update = (Update(sets={"auto_until": until, "auto_status": status, "search": fields})
                  if until else Update(sets={"search": fields},
                                       removes=["auto_until", "auto_status"]))
        tx.update(self.table, *email_index_key(agency_id, address["email"]), update,
                  condition=Condition("{address_id} = {:a}", a=address["address_id"]),
                  label=label)

    def index_entry(self, agency_id: str, address: Item) -> dict[str, Any]:
        pk, sk = email_index_key(agency_id, address["email"])
        entry: dict[str, Any] = {"pk": pk, "sk": sk, "address_id": address["address_id"],
                                 "search": search.mirror_fields(address)}
        until, status = mirror(address)
        if until:
            entry.update(auto_until=until, auto_status=status)
        return entry

    def all_activities(self, agency_id: str, address_id: str) -> Iterator[Item]:
        start: dict[str, Any] | None = None
        while True:
            items, start = self.table.query(
                Condition("{pk} = {:p}", p=activity_pk(agency_id, address_id)),
                limit=100, start_key=start, consistent=True)
            yield from items
            if start is None:
                return

    def activities(self, agency_id: str, address_id: str, limit: int = 100) -> list[Item]:
        items, _ = self.table.query(
            Condition("{pk} = {:p}", p=activity_pk(agency_id, address_id)),
            forward=False, limit=limit,
        )
        return items

    def require(self, agency_id: str, address_id: str) -> AddressItem:
        from chalicelib.errors import NotFound

        item = self.get(agency_id, address_id)
        if item is None:
            raise NotFound("Adresse nicht gefunden.")
        return item

    def preview(self, agency_id: str, address_id: str) -> dict[str, Any]:
        item = self.require(agency_id, address_id)
        activities = [public_activity(a) for a in self.activities(agency_id, address_id)]
        return {"address": public_address(item), **gdpr_state(item),
                "activities": activities}


def gdpr_state(item: Mapping[str, Any]) -> dict[str, Any]:
    """The "erweiterte Lupenvorschau": everything that decides what happens next."""
    return {
        "gdpr_status": item.get("gdpr_status") or "none",
        "store_until": item.get("store_until"),
        "store_until_reason": item.get("store_until_reason"),
        "store_until_manual": bool(item.get("store_until_manual")),
        "last_consent_request_on": item.get("last_consent_request_on"),
        "relations": sorted(item.get("relations") or ()),
        "interest_properties": sorted(item.get("interest_properties") or ()),
    }


def reset_activity(cleared: str | None, property_id: str | None) -> dict[str, Any]:
    return {"type": "gdpr", "source": "automatic", "property_id": property_id,
            "note": f"Speichern-Bis-Datum {cleared} zurückgesetzt: erneutes Interesse an einer "
                    "aktiven Immobilie."}
