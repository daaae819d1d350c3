"""Invitations from real deals (contract v2, "Reviews"): the agency asks a customer it
sold, let or bought for — an owner, buyer or tenant of one of its properties in its
address book — for a review. One mail per (address, property or none), a 30-day link to
the review form (``invitation_links.py``), and in every mail a link to object to further
invitations (UWG § 7(3) no. 4, GDPR Art. 21(2)).

Items in the reviews table:
- ``INVITE#<agency>#<address>`` / ``PROP#<property id | ->``  the invitation. Its key is the
  "invited before" rule: a second invitation for the pair fails its put condition. GSI
  ``agency``: ``INVITES#<agency>`` / ``<sent_at>#<id>``, the agency's list.
- ``INVITEOBJ#<agency>#<keyed email hash>`` / ``OBJECTION``  the person objected. Keyed by
  the email's keyed hash, not the address: a later address with the same email stays
  blocked, and the item holds nothing else (kept on erasure like the mail suppression
  list, ``invitation_holder.py``).

The address book is privacy's. Reviews reach it only through ``CustomerBook``, a protocol
privacy's ``AddressBook`` satisfies (wired in ``chalicelib/wiring.py``), so the two
capabilities stay independent (import contracts in pyproject.toml).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Annotated, Any, Protocol

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from chalicelib.agencies.profile import controller_of
from chalicelib.agencies.repository import agency_key
from chalicelib.auth.actor import Actor
from chalicelib.body import Body
from chalicelib.clock import iso
from chalicelib.errors import Conflict, NotFound
from chalicelib.mail.message import Mailbox
from chalicelib.mail.outbox import OutboxMail
from chalicelib.reviews import mails
from chalicelib.reviews.context import ReviewContext
from chalicelib.reviews.signals import keyed_hash
from chalicelib.reviews.views import TIME_POSITION
from chalicelib.secrets_util import new_id
from chalicelib.storage import cursor
from chalicelib.storage.cursor import Page
from chalicelib.storage.dynamo import BatchGet, Condition, Item, Transaction, TransactionCancelled
from chalicelib.storage.retry import Retry
from chalicelib.validation import email_key

PURPOSE_INVITE = "review-invite"
PURPOSE_OBJECTION = "review-invite-objection"
INVITE_DAYS = 30
# The objection must work "at any time" (UWG § 7(3) no. 4): far longer than the invitation.
OBJECTION_DAYS = 365
SENT, REVIEWED, EXPIRED, OBJECTED = "sent", "reviewed", "expired", "objected"
DEAL_ROLES = ("owner", "buyer", "tenant")
# "… im Rahmen <deal>": the business relation the address was collected in.
DEAL_PHRASES = {"owner": "der Vermarktung Ihrer Immobilie", "buyer": "Ihres Immobilienkaufs",
                "tenant": "Ihrer Anmietung"}
NO_PROPERTY = "-"
VIEW_FIELDS = ("invitation_id", "address_id", "property_id", "status", "sent_at", "expires_at",
               "reviewed_at", "objected_at", "by")


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


class InvitationInput(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    address_id: str = Field(min_length=1, max_length=200, pattern=r"^[^\s#]+$")
    property_id: Annotated[str | None, BeforeValidator(_blank_to_none)] = Field(
        default=None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:\-]+$")


class CustomerBook(Protocol):
    """What invitations need of the agency's address book (privacy's ``AddressBook``).
    An address item carries ``email``, ``gdpr_status``, the names and ``relations``, the
    set of ``<property id>#<role>`` its preview shows."""

    def get(self, agency_id: str, address_id: str) -> Mapping[str, Any] | None: ...

    def properties(self, agency_id: str, property_ids: set[str]) -> dict[str, Item]: ...

    def stage_activity(self, tx: Transaction, agency_id: str, address_id: str,
                       activity: dict[str, Any], at: datetime | None = None) -> str: ...


def invitation_pk(agency_id: str, address_id: str) -> str:
    return f"INVITE#{agency_id}#{address_id}"


def invitation_key(agency_id: str, address_id: str, property_id: str | None
                   ) -> tuple[str, str]:
    return invitation_pk(agency_id, address_id), f"PROP#{property_id or NO_PROPERTY}"


def objection_key(agency_id: str, email_hash: str) -> tuple[str, str]:
    return f"INVITEOBJ#{agency_id}#{email_hash}", "OBJECTION"


def email_hash(hash_key: str, email: str) -> str:
    # Its own hash kind: an objection cannot be joined with the reviewer index (IDENT#).
    return keyed_hash(hash_key, "invite-email", email_key(email))


def deal_role(address: Mapping[str, Any], property_id: str | None) -> str | None:
    """The address's owner/buyer/tenant relation (to ``property_id`` when given, else to
    any property), or ``None``: no deal, no invitation."""
    relations = set(address.get("relations") or ())
    for role in DEAL_ROLES:
        if property_id and f"{property_id}#{role}" in relations:
            return role
        if not property_id and any(r.rsplit("#", 1)[-1] == role for r in relations):
            return role
    return None


def greeting(address: Mapping[str, Any]) -> str:
    """"Frau Muster", "Eva Muster" or nothing (never a salutation without a name)."""
    last, first = address.get("last_name"), address.get("first_name")
    if address.get("salutation") in ("Herr", "Frau") and last:
        return f"{address['salutation']} {last}"
    return " ".join(p for p in (first, last) if p)


def suggested_name(address: Mapping[str, Any]) -> str:
    """What the form offers as the public name: "Eva M." (the reviewer may change it)."""
    first, last = address.get("first_name") or "", address.get("last_name") or ""
    return f"{first} {last[:1]}.".strip() if first and last else first


def link_hashes(invitation: Item) -> list[str]:
    """The token hashes of an invitation's two links."""
    return [h for h in (invitation.get("invite_link"), invitation.get("objection_link")) if h]


def invitation_view(item: Item, now: str) -> dict[str, Any]:
    view = {k: item.get(k) for k in VIEW_FIELDS}
    if view["status"] == SENT and item["expires_at"] <= now:
        view["status"] = EXPIRED
    return view


def agency_mail_details(agency: Item | None, agency_id: str) -> dict[str, str]:
    """The agency as the invitation mail names it (the sender of an advertising mail must
    be identifiable: its legal name, postal address and contact)."""
    controller = controller_of(agency)
    agency = agency or {}
    return {"name": str(agency.get("name") or controller.legal_name or agency_id),
            "legal_name": controller.legal_name or str(agency.get("name") or agency_id),
            "postal_address": controller.postal_address,
            "email": controller.email or str(agency.get("contact_email") or ""),
            "phone": controller.phone or str(agency.get("phone") or ""),
            "privacy_url": controller.privacy_url or ""}


class Invitations:
    def __init__(self, ctx: ReviewContext, book: CustomerBook) -> None:
        self.ctx = ctx
        self.book = book

    def send(self, agency_id: str, body: Body[InvitationInput], actor: Actor
             ) -> dict[str, Any]:
        return self.ctx.run(lambda: self._send(agency_id, body.get(), actor))

    def _send(self, agency_id: str, data: InvitationInput, actor: Actor) -> dict[str, Any]:
        """The contract's order: 404 → deletion_requested → no_email → objected →
        no_customer_relation → already_invited (then the controller details the mail
        must name)."""
        ctx = self.ctx
        address = self.book.get(agency_id, data.address_id)
        if address is None:
            raise NotFound("Adresse nicht gefunden.")
        if address.get("gdpr_status") == "deletion_requested":
            raise Conflict("Für diese Adresse ist die Löschung angefordert.",
                           code="deletion_requested")
        email = address.get("email")
        if not email:
            raise Conflict("Die Adresse hat keine E-Mail-Adresse.", code="no_email")
        hashed = email_hash(ctx.settings.hash_key, email)
        batch = BatchGet()
        objection = batch.add(ctx.repo.table, *objection_key(agency_id, hashed))
        earlier = batch.add(ctx.repo.table,
                            *invitation_key(agency_id, data.address_id, data.property_id))
        agency_item = batch.add(ctx.agency_repo.core, *agency_key(agency_id))
        found = batch.run()
        if objection in found:
            raise _objected()
        role = deal_role(address, data.property_id)
        if role is None:
            raise Conflict("Die Adresse ist nicht als Eigentümer, Käufer oder Mieter "
                           + ("dieser Immobilie" if data.property_id else "einer Immobilie")
                           + " eingetragen.", code="no_customer_relation")
        if earlier in found:
            raise _already_invited()
        agency = found.get(agency_item)
        if not controller_of(agency).complete:
            raise Conflict("Die Angaben zum Verantwortlichen fehlen noch; ohne sie kann die "
                           "Einladung den Absender nicht nennen (Einstellungen → "
                           "Verantwortlicher).", code="controller_details_missing")
        title = None
        if data.property_id:
            title = (self.book.properties(agency_id, {data.property_id})
                     .get(data.property_id) or {}).get("title")
        return self._stage_and_send(agency_id, address, data.property_id, role, title,
                                    agency, hashed, actor)

    def _stage_and_send(self, agency_id: str, address: Mapping[str, Any], property_id: str | None,
                        role: str, property_title: str | None, agency: Item | None,
                        hashed: str, actor: Actor) -> dict[str, Any]:
        ctx = self.ctx
        now = ctx.clock.now()
        invitation_id = new_id()
        details = agency_mail_details(agency, agency_id)
        tx = ctx.transaction()
        invite = ctx.links.issue(
            tx, purpose=PURPOSE_INVITE, record_id=invitation_id, agency_id=agency_id,
            valid_for=timedelta(days=INVITE_DAYS), context={
                "invitation": {"agency_id": agency_id, "address_id": address["address_id"],
                               "property_id": property_id},
                "agency_name": details["name"], "property_title": property_title,
                "suggested_name": suggested_name(address)})
        objection = ctx.links.issue(
            tx, purpose=PURPOSE_OBJECTION, record_id=invitation_id, agency_id=agency_id,
            valid_for=timedelta(days=OBJECTION_DAYS), context={
                "invitation": {"agency_id": agency_id, "address_id": address["address_id"],
                               "property_id": property_id},
                "agency_name": details["name"], "email_hash": hashed})
        pk, sk = invitation_key(agency_id, address["address_id"], property_id)
        mail_id = f"{invitation_id}-invite"
        tx.put(ctx.repo.table, {
            "pk": pk, "sk": sk, "invitation_id": invitation_id, "agency_id": agency_id,
            "address_id": address["address_id"], "property_id": property_id, "role": role,
            "email": address["email"], "status": SENT, "sent_at": iso(now),
            "expires_at": iso(invite.expires_at), "invite_link": invite.token_hash,
            "objection_link": objection.token_hash, "mail_id": mail_id,
            "by": actor.as_dict(), "version": 1,
            # The review's id, drawn now: a retried form POST writes the same review (its
            # sample day is drawn from the id). Never shown to the agency.
            "reserved_review_id": new_id(),
            "agency_pk": f"INVITES#{agency_id}", "agency_sk": f"{iso(now)}#{invitation_id}",
        }, condition=Condition("attribute_not_exists({pk})"), label="invitation")
        # An objection that arrives between the read and this write still wins.
        tx.check(ctx.repo.table, *objection_key(agency_id, hashed),
                 Condition("attribute_not_exists({pk})"), label="objection")
        self.book.stage_activity(tx, agency_id, address["address_id"], {
            "type": "review_invitation", "source": "agency_api", "property_id": property_id,
            "note": "Bewertungseinladung per E-Mail gesendet (gültig bis "
                    f"{invite.expires_at.date().isoformat()}).", "by": actor.as_dict()}, at=now)
        message = mails.invitation_mail(
            address["email"], agency=details, greeting=greeting(address),
            property_title=property_title, deal=DEAL_PHRASES[role], link_url=invite.url,
            objection_url=objection.url, valid_until=invite.expires_at)
        if details["email"]:
            # Replies reach the agency, who sent the invitation; not the platform's QA.
            message = mails.with_reply_to(message, Mailbox(details["email"], details["name"]))
        staged = ctx.outbox.stage(tx, [OutboxMail(mail_id, "review_invitation", message,
                                                  ref_kind="invitation", ref_id=invitation_id)])
        try:
            tx.execute()
        except TransactionCancelled as exc:
            if "objection" in exc.failed:
                raise _objected() from exc
            if "invitation" in exc.failed:
                raise _already_invited() from exc
            raise Retry() from exc
        ctx.outbox.deliver(staged)
        return {"invitation_id": invitation_id, "status": SENT}

    def list(self, agency_id: str, address_id: str | None, page: Page) -> dict[str, Any]:
        """The agency's invitations, newest first; ``address_id``: one address's (all of
        them, at most one per property)."""
        table, now = self.ctx.repo.table, iso(self.ctx.clock.now())
        if address_id is not None:
            items, _ = table.query(Condition("{pk} = {:p}", p=invitation_pk(agency_id,
                                                                          address_id)),
                                   consistent=True)
            items.sort(key=lambda i: i["sent_at"], reverse=True)
            return {"invitations": [invitation_view(i, now) for i in items],
                    "next_cursor": None}
        limit, after = page.limit, page.after(shape=TIME_POSITION)
        key = (Condition("{agency_pk} = {:p} AND {agency_sk} < {:a}",
                         p=f"INVITES#{agency_id}", a=after) if after
               else Condition("{agency_pk} = {:p}", p=f"INVITES#{agency_id}"))
        items, last = table.query(key, index="agency", limit=limit, forward=False)
        return {"invitations": [invitation_view(i, now) for i in items],
                "next_cursor": cursor.encode(last["agency_sk"]) if last else None}


def _objected() -> Conflict:
    return Conflict("Die Person hat weiteren Bewertungseinladungen widersprochen.",
                    code="objected")


def _already_invited() -> Conflict:
    return Conflict("Zu dieser Adresse und Immobilie wurde bereits eingeladen.",
                    code="already_invited")
