"""The agency's address book (minimal core): addresses, their email index and activities.

Layout in the addresses table, all within the agency's partition or keyed by it, so a
foreign id simply is not found:
- ``AGENCY#<agency>`` / ``ADDRESS#<id>``   the address
- ``AGENCY#<agency>`` / ``EMAIL#<email>``  email → address id (one per email and agency)
- ``ACTIVITY#<agency>#<id>`` / ``<timestamp>#<activity id>``  its activities
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from chalicelib.clock import Clock, iso
from chalicelib.secrets_util import new_id
from chalicelib.storage.dynamo import Condition, Item, Table, Transaction, Update
from chalicelib.validation import email_key

ActivityType = Literal["appointment", "expose_sent", "revocation_confirmed", "inquiry", "note"]
LEAD_FIELDS = ("first_name", "last_name", "phone", "street", "zip", "city")
PUBLIC_FIELDS = (
    "address_id", "salutation", "first_name", "last_name", "company", "email", "phone",
    "street", "zip", "city", "user_id", "gdpr_status", "store_until", "store_until_reason",
    "store_until_manual", "created_at", "updated_at",
)


def address_key(agency_id: str, address_id: str) -> tuple[str, str]:
    return f"AGENCY#{agency_id}", f"ADDRESS#{address_id}"


def email_index_key(agency_id: str, email: str) -> tuple[str, str]:
    return f"AGENCY#{agency_id}", f"EMAIL#{email_key(email)}"


def activity_pk(agency_id: str, address_id: str) -> str:
    return f"ACTIVITY#{agency_id}#{address_id}"


@dataclass(frozen=True)
class LeadContact:
    email: str
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    street: str | None = None
    zip: str | None = None
    city: str | None = None


def public_address(item: Item) -> dict[str, Any]:
    return {name: item.get(name) for name in PUBLIC_FIELDS}


class AddressBook:
    def __init__(self, table: Table, clock: Clock) -> None:
        self.table = table
        self.clock = clock

    def find_id_by_email(self, agency_id: str, email: str) -> str | None:
        entry = self.table.get(*email_index_key(agency_id, email))
        return entry["address_id"] if entry else None

    def get(self, agency_id: str, address_id: str) -> Item | None:
        if not address_id:
            return None
        return self.table.get(*address_key(agency_id, address_id))

    def stage_lead(self, tx: Transaction, agency_id: str, existing_id: str | None,
                   lead: LeadContact, activity: dict[str, Any]) -> str:
        """Adds to ``tx`` the create-or-update of the address with the lead's email, and the
        activity. Fails the transaction (label ``address``) if the email index changed since
        ``existing_id`` was read, so the caller reads again and retries."""
        now = iso(self.clock.now())
        given = {name: getattr(lead, name) for name in LEAD_FIELDS if getattr(lead, name)}
        if existing_id is None:
            address_id = new_id()
            pk, sk = address_key(agency_id, address_id)
            item = {
                "pk": pk, "sk": sk, "address_id": address_id, "agency_id": agency_id,
                "salutation": None, "company": None, "user_id": None,
                "first_name": None, "last_name": None, "phone": None, "street": None,
                "zip": None, "city": None, **given,
                "email": lead.email, "gdpr_status": "none", "store_until": None,
                "store_until_reason": None, "store_until_manual": False,
                "created_at": now, "updated_at": now, "source": "tour_registration",
                "version": 1,
            }
            tx.put(self.table, item, condition=Condition("attribute_not_exists({pk})"),
                   label="address")
            ipk, isk = email_index_key(agency_id, lead.email)
            tx.put(self.table, {"pk": ipk, "sk": isk, "address_id": address_id},
                   condition=Condition("attribute_not_exists({pk})"), label="address")
        else:
            address_id = existing_id
            # Newer contact details from the prospect win; GDPR fields are never touched here.
            tx.update(self.table, *address_key(agency_id, address_id),
                      Update(sets={**given, "updated_at": now}, adds={"version": 1}),
                      condition=Condition("attribute_exists({pk})"), label="address")
        self.stage_activity(tx, agency_id, address_id, activity)
        return address_id

    def stage_activity(self, tx: Transaction, agency_id: str, address_id: str,
                       activity: dict[str, Any], at: datetime | None = None) -> str:
        moment = iso(at or self.clock.now())
        activity_id = new_id()
        tx.put(self.table, {
            "pk": activity_pk(agency_id, address_id), "sk": f"{moment}#{activity_id}",
            "activity_id": activity_id, "address_id": address_id, "created_at": moment,
            "property_id": None, "note": None, **activity,
        }, label="activity")
        return activity_id

    def activities(self, agency_id: str, address_id: str, limit: int = 100) -> list[Item]:
        items, _ = self.table.query(
            Condition("{pk} = {:p}", p=activity_pk(agency_id, address_id)),
            forward=False, limit=limit,
        )
        return items

    def list(self, agency_id: str, limit: int, start: dict[str, Any] | None
             ) -> tuple[list[Item], dict[str, Any] | None]:
        return self.table.query(
            Condition("{pk} = {:p} AND begins_with({sk}, {:s})",
                      p=f"AGENCY#{agency_id}", s="ADDRESS#"),
            limit=limit, start_key=start,
        )

    # -- read side for the agency (the GDPR issue extends these) -------------------------

    def search(self, agency_id: str, email: str | None, cursor_value: str | None,
               limit: int = 100) -> dict[str, Any]:
        from chalicelib.storage import cursor

        if email:
            # Longer than any valid address (and DynamoDB refuses sort keys over 1 KB).
            if len(email) > 254:
                return {"addresses": [], "next_cursor": None}
            address_id = self.find_id_by_email(agency_id, email)
            item = self.get(agency_id, address_id) if address_id else None
            return {"addresses": [public_address(item)] if item else [], "next_cursor": None}
        after = cursor.decode(cursor_value, "ADDRESS#")
        start = {"pk": f"AGENCY#{agency_id}", "sk": after} if after else None
        items, last = self.list(agency_id, limit, start)
        return {"addresses": [public_address(i) for i in items],
                "next_cursor": cursor.encode(last["sk"]) if last else None}

    def require(self, agency_id: str, address_id: str) -> Item:
        from chalicelib.errors import NotFound

        item = self.get(agency_id, address_id)
        if item is None:
            raise NotFound("Adresse nicht gefunden.")
        return item

    def preview(self, agency_id: str, address_id: str) -> dict[str, Any]:
        item = self.require(agency_id, address_id)
        activities = [
            {k: a.get(k) for k in ("activity_id", "type", "property_id", "note", "created_at",
                                   "source", "tour_id", "registration_id")}
            for a in self.activities(agency_id, address_id)
        ]
        return {"address": public_address(item), "gdpr_status": item.get("gdpr_status"),
                "store_until": item.get("store_until"), "activities": activities}
