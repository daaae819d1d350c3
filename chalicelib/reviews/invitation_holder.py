"""Review invitations as a holder of personal data, **controlled by the agency** (it
chose whom to invite; the platform sends on its behalf): who was invited for which
property, when, and what became of it. Reached through the address
(``subject.refs["address"]``, named by the address book before); erased with it (the
address book's erasure deletes ``Found.keys``: the invitations, their links and mails).

The objection to further invitations (a keyed hash of the email and the date) is
exported but kept on erasure: deleting it would let the agency invite the person again
once it re-enters the address, against the objection (Art. 21(3), Art. 17(3)(b) GDPR; as
the mail suppression list, ``chalicelib/mail/holder.py``)."""

from __future__ import annotations

from typing import Any

from chalicelib.clock import Clock, iso
from chalicelib.links.service import LinkService
from chalicelib.mail.outbox import DynamoOutboxStore
from chalicelib.personal_data import (
    Controller,
    Found,
    ItemKind,
    ProcessingRecord,
    StoredKey,
    Subject,
)
from chalicelib.reviews.invitations import (
    email_hash,
    invitation_pk,
    invitation_view,
    link_hashes,
    objection_key,
)
from chalicelib.storage.dynamo import Condition, Item, Table


class InvitationHolder:
    name = "review_invitations"
    controller = Controller.AGENCY
    kinds = (
        ItemKind("reviews", "INVITE#", "PROP#",
                 "review invitation: address id, email, property, relation, status, dates"),
        ItemKind("reviews", "INVITEOBJ#", "OBJECTION",
                 "objection to review invitations: keyed email hash and date (kept on "
                 "erasure)"),
    )
    record = ProcessingRecord(
        purpose="Bewertungseinladungen an Kunden der Agentur (Eigentümer, Käufer, Mieter "
                "einer Immobilie) und deren Widerspruch gegen weitere Einladungen",
        data_categories=("E-Mail-Adresse und Name", "Immobilie und Art der Beziehung",
                         "Zeitpunkte von Einladung, Bewertung und Widerspruch"),
        recipients=("die Agentur", "Amazon Web Services (Hosting, E-Mail-Versand)"),
        retention="Einladungen mit der Adresse; der Widerspruch als Sperrvermerk (nur "
                  "Schlüssel-Hash der E-Mail-Adresse) ohne Frist",
        legal_basis="Art. 6 Abs. 1 lit. f DSGVO i. V. m. § 7 Abs. 3 UWG; Sperrvermerk: "
                    "Art. 21 Abs. 3 DSGVO",
    )

    def __init__(self, reviews: Table, clock: Clock, hash_key: str) -> None:
        self.reviews = reviews
        self.clock = clock
        self.hash_key = hash_key

    def _invitations(self, agency_id: str, address_id: str) -> list[Item]:
        found: list[Item] = []
        start: dict[str, Any] | None = None
        while True:
            items, start = self.reviews.query(
                Condition("{pk} = {:p}", p=invitation_pk(agency_id, address_id)),
                limit=100, start_key=start, consistent=True)
            found.extend(items)
            if start is None:
                return found

    def find(self, subject: Subject) -> Found:
        invitations = [i for a in subject.ref("address")
                       for i in self._invitations(subject.agency_id, a)]
        keys: list[StoredKey] = []
        for invitation in invitations:
            keys.append(("reviews", invitation["pk"], invitation["sk"]))
            keys.extend(("core", *LinkService.key(h)) for h in link_hashes(invitation))
            if invitation.get("mail_id"):
                keys.append(("core", *DynamoOutboxStore.key(invitation["mail_id"])))
        objection = (self.reviews.get(*objection_key(
            subject.agency_id, email_hash(self.hash_key, subject.email)))
            if subject.email else None)
        if not invitations and objection is None:
            return Found()
        return Found(keys=keys, handle=(invitations, objection),
                     counts={"review_invitations": len(invitations)})

    def export(self, subject: Subject, found: Found) -> dict[str, Any]:
        if found.handle is None:
            return {}
        invitations, objection = found.handle
        now = iso(self.clock.now())
        out: dict[str, Any] = {"review_invitations": [
            {**invitation_view(i, now), "email": i.get("email")} for i in invitations]}
        if objection is not None:
            out["review_invitation_objection"] = {"objected_at": objection.get("objected_at")}
        return out

    def erase(self, subject: Subject, found: Found, *, by: str, reason: str
              ) -> dict[str, Any]:
        # The invitations go in the address book's clean-up plan (Found.keys).
        if found.handle is not None and found.handle[1] is not None:
            return {"review_invitation_objection_kept": True}
        return {}
