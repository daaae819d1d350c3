"""A prospect registers for a protected tour: rate limits per email and IP, the lead in
the address book, the registration, its counters, the mail links and mails — one
transaction, retried when the address book changed under it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from chalicelib import ratelimit
from chalicelib.clock import Clock, iso
from chalicelib.config import Settings
from chalicelib.errors import RateLimited
from chalicelib.hashing import keyed_hash
from chalicelib.links.service import LinkService
from chalicelib.mail import deliverability, recipient_cap
from chalicelib.mail.outbox import Outbox, OutboxMail
from chalicelib.metrics import REGISTRATIONS, Recorder
from chalicelib.privacy.addresses import AddressBook, LeadContact
from chalicelib.secrets_util import new_id, new_secret, sha256_hex
from chalicelib.storage.dynamo import (
    Item,
    Table,
    Transaction,
    TransactionCancelled,
)
from chalicelib.storage.retry import Retry, optimistic
from chalicelib.tours import events, mails
from chalicelib.tours.events import Emitter
from chalicelib.tours.items import RegistrationItem, RegistrationSnapshot
from chalicelib.tours.model import validate_registration
from chalicelib.tours.repository import TourRepository
from chalicelib.tours.views import PURPOSE_APPROVE, PURPOSE_DENY, PURPOSE_UNLOCK
from chalicelib.validation import email_key


@dataclass(frozen=True)
class Registered:
    registration_id: str
    viewer_token: str
    status: str


def email_rate_key(hash_key: str, tour_id: str, email: str, window: str) -> str:
    """The per-email rate counter of a tour and hour: a keyed hash, never the address. The
    GDPR erasure recomputes it to delete a person's counters (tours.holder)."""
    return f"reg-email#{tour_id}#{keyed_hash(hash_key, 'tour-email', email_key(email))}#{window}"


def ip_rate_key(hash_key: str, tour_id: str, ip: str, window: str) -> str:
    return (f"reg-ip#{tour_id}#{keyed_hash(hash_key, 'tour-ip', ratelimit.ip_subject(ip))}"
            f"#{window}")


class Registration:
    def __init__(self, repo: TourRepository, core: Table, addresses: AddressBook,
                 links: LinkService, outbox: Outbox, clock: Clock, settings: Settings,
                 metrics: Recorder, events: Emitter | None = None) -> None:
        self.events = events
        self.repo = repo
        self.core = core
        self.addresses = addresses
        self.links = links
        self.outbox = outbox
        self.clock = clock
        self.settings = settings
        self.metrics = metrics

    def register(self, tour: Item, payload: dict[str, Any], client_ip: str | None,
                 status: str) -> Registered:
        protection = tour["protection"]
        tour_id = tour["tour_id"]
        lead = validate_registration(payload, protection["required_fields"],
                                     protection["protected_viewpoints"])
        deliverability.require_mail_domain(self.settings, lead.email)  # deployed stages
        now = self.clock.now()
        window, retry_after = ratelimit.window(now)
        suppressed = False

        def attempt(_number: int) -> Registered:
            nonlocal suppressed
            # One read: the email index. The lead stays unverified (it changes no stored
            # field and is no interest yet), so the property is read only on verification.
            existing = self.addresses.lead_state(tour["agency_id"], lead.email, None)
            tx = Transaction(self.core.client)
            ratelimit.stage(tx, self.core, "rate_email",
                            email_rate_key(self.settings.hash_key, tour_id, lead.email, window),
                            self.settings.rate_per_email_per_hour, now)
            if client_ip:
                ratelimit.stage(tx, self.core, "rate_ip",
                                ip_rate_key(self.settings.hash_key, tour_id, client_ip, window),
                                self.settings.rate_per_ip_per_hour, now)
            if not suppressed:
                recipient_cap.stage(tx, self.core, self.settings.hash_key, lead.email, now,
                                    self.settings.mail_per_recipient_per_day)
            registered, staged = self._stage_registration(tx, tour, lead, status, existing,
                                                          suppressed)
            try:
                tx.execute()
            except TransactionCancelled as exc:
                if exc.failed & {"rate_email", "rate_ip"}:
                    raise RateLimited(retry_after=retry_after) from exc
                if recipient_cap.only_cap_failed(exc.failed):
                    suppressed = True  # 202 all the same, without the prospect's mail
                    raise Retry() from exc
                if "address" in exc.failed or (exc.conflict and not exc.failed):
                    # The address book changed under us: read the index again.
                    raise Retry() from exc
                raise
            self.metrics.count(REGISTRATIONS, mode=protection["mode"])
            self.outbox.deliver(staged)
            return registered

        return optimistic(attempt, attempts=4)

    def _stage_registration(self, tx: Transaction, tour: Item, lead: Any, status: str,
                            existing_address: Any, suppressed: bool = False
                            ) -> tuple[Registered, list[OutboxMail]]:
        now = self.clock.now()
        registration_id = new_id()
        secret = new_secret()
        snapshot: RegistrationSnapshot = {
            "registration_id": registration_id, "tour_id": tour["tour_id"],
            "agency_id": tour["agency_id"], "tour_title": tour["title"],
            "tour_url": tour["tour_url"], "contact": tour["contact"],
            "prospect": {k: v for k, v in lead.as_dict().items() if v is not None},
        }
        if lead.viewpoint_id:  # the way back into the tour leads there (&ansicht=)
            snapshot["viewpoint_id"] = lead.viewpoint_id
        agency_id = tour["agency_id"]
        activity = {"type": "inquiry", "property_id": tour.get("property_id"),
                    "note": f"Registrierung für den Rundgang „{tour['title']}“",
                    "source": "tour_registration", "tour_id": tour["tour_id"],
                    "registration_id": registration_id}
        lead_ref = self.addresses.stage_lead(
            tx, agency_id, existing_address,
            LeadContact(**{k: getattr(lead, k) for k in (
                "email", "first_name", "last_name", "phone", "street", "zip", "city")}),
            activity)
        address_id = lead_ref.address_id
        # The links' context too: their POST emits events that name the address.
        snapshot["address_id"] = address_id
        # The unlock POST or the approval verifies the lead (privacy.leads) from here.
        snapshot["lead"] = lead_ref.as_dict()
        snapshot["property_id"] = tour.get("property_id")
        link_hashes: dict[str, str] = {}
        outgoing: list[OutboxMail] = []
        if status == "pending_email":
            link = self.links.issue(
                tx, purpose=PURPOSE_UNLOCK, record_id=registration_id, agency_id=agency_id,
                valid_for=timedelta(days=self.settings.unlock_link_days), context=snapshot)
            link_hashes[PURPOSE_UNLOCK] = link.token_hash
            if not suppressed:
                outgoing.append(OutboxMail(f"{registration_id}-unlock", "tour_unlock",
                                           mails.unlock_mail(snapshot, link.url,
                                                             link.expires_at),
                                           ref_kind="registration", ref_id=registration_id))
        else:
            approve_token, deny_token = new_secret(), new_secret()
            valid_for = timedelta(days=self.settings.decision_link_days)
            approve = self.links.issue(
                tx, purpose=PURPOSE_APPROVE, record_id=registration_id, agency_id=agency_id,
                valid_for=valid_for, context=snapshot, token=approve_token,
                sibling_hash=sha256_hex(deny_token))
            deny = self.links.issue(
                tx, purpose=PURPOSE_DENY, record_id=registration_id, agency_id=agency_id,
                valid_for=valid_for, context=snapshot, token=deny_token,
                sibling_hash=approve.token_hash)
            link_hashes = {PURPOSE_APPROVE: approve.token_hash, PURPOSE_DENY: deny.token_hash}
            if not suppressed:  # the agency's contact is not capped: its request goes out
                outgoing.append(OutboxMail(f"{registration_id}-received",
                                           "tour_request_received",
                                           mails.request_received_mail(snapshot),
                                           ref_kind="registration", ref_id=registration_id))
            outgoing.append(OutboxMail(
                f"{registration_id}-request", "tour_access_request",
                mails.access_request_mail(
                    snapshot, approve.url, deny.url, approve.expires_at,
                    # The lead in the dashboard (after sign-in, the deep link holds).
                    dashboard_url=f"{self.settings.public_base_url}/dashboard/#/tours/"
                                  f"{tour['tour_id']}/leads/{registration_id}"),
                ref_kind="registration", ref_id=registration_id))
        registration: RegistrationItem = {
            **snapshot, "status": status, "mode": tour["protection"]["mode"],
            "created_at": iso(now), "privacy_accepted_at": iso(now),
            "viewer_hashes": {sha256_hex(secret)}, "link_hashes": link_hashes,
            "address_id": address_id, "undeliverable": False, "version": 1,
            "viewing_stats_accepted": lead.viewing_stats_accepted,
        }
        if suppressed:
            registration["mail_suppressed"] = True
        self.repo.stage_registration(tx, registration)
        events.created(self.events, tx, registration, tour.get("property_id"))
        self.repo.stage_counters(tx, tour["tour_id"], {"registrations": 1, status: 1})
        staged = self.outbox.stage(tx, outgoing)
        return Registered(registration_id, f"{registration_id}.{secret}", status), staged
