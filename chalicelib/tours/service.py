"""Protected tours: agency settings, prospect registration, viewer access, and the two
release modes (E-Mail-Freigabe, manuelle Freigabe) with their mail links."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from chalicelib.clock import Clock, epoch_seconds, iso
from chalicelib.config import Settings
from chalicelib.errors import Conflict, NotFound, RateLimited, Unavailable
from chalicelib.links.service import LinkService, Outcome, Page, StaleLink, Submission
from chalicelib.mail.outbox import Outbox, OutboxMail
from chalicelib.metrics import NULL as NULL_METRICS
from chalicelib.metrics import REGISTRATIONS, UNLOCKS, Recorder
from chalicelib.privacy.addresses import AddressBook, LeadContact
from chalicelib.secrets_util import new_id, new_secret, same_secret, sha256_hex
from chalicelib.storage import cursor
from chalicelib.storage.dynamo import (
    Condition,
    ConditionFailed,
    Item,
    Table,
    Transaction,
    TransactionCancelled,
    Update,
)
from chalicelib.tours import mails
from chalicelib.tours.model import (
    FIELD_NAMES,
    OriginPolicy,
    TourInput,
    access_status,
    decision_status,
    initial_status,
    rate_window,
    validate_registration,
)
from chalicelib.tours.repository import TourRepository
from chalicelib.validation import email_key, validate_model

_REGISTRATION_ID = re.compile(r"^[a-z2-7]{26}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
PROSPECT_MAIL_KINDS = frozenset(
    {"tour_unlock", "tour_request_received", "tour_access_granted", "tour_access_denied"}
)
PURPOSE_UNLOCK, PURPOSE_APPROVE, PURPOSE_DENY = "unlock", "approve", "deny"


@dataclass(frozen=True)
class Registered:
    registration_id: str
    viewer_token: str
    status: str


def email_rate_key(hash_key: str, tour_id: str, email: str, window: str) -> str:
    """The per-email rate counter of a tour and hour: a keyed hash, never the address. The
    GDPR erasure recomputes it to delete a person's counters."""
    return f"reg-email#{tour_id}#{sha256_hex(f'{hash_key}:{email_key(email)}')[:32]}#{window}"


def parse_viewer_token(token: str | None) -> tuple[str, str] | None:
    """``<registration id>.<secret>``; anything else is no token at all."""
    if not token or len(token) > 200:
        return None
    registration_id, _, secret = token.partition(".")
    if not _REGISTRATION_ID.fullmatch(registration_id) or not _SECRET.fullmatch(secret):
        return None
    return registration_id, secret


def _public_tour(item: Item) -> dict[str, Any]:
    view = {name: item.get(name) for name in (
        "tour_id", "title", "tour_url", "property_id", "protection", "contact",
        "created_at", "updated_at")}
    view["allowed_origins"] = item.get("allowed_origins") or []
    return view


def _public_registration(item: Item) -> dict[str, Any]:
    prospect = item.get("prospect") or {}
    return {
        "registration_id": item["registration_id"], "tour_id": item["tour_id"],
        "status": item["status"], "created_at": item["created_at"],
        **{name: prospect.get(name) for name in FIELD_NAMES},
        "undeliverable": bool(item.get("undeliverable", False)),
        "decided_at": item.get("decided_at"), "unlocked_at": item.get("unlocked_at"),
        "address_id": item.get("address_id"),
    }


# The agency's view of a registration, also the one in the Art. 15 export (ops).
registration_view = _public_registration


def _snapshot(item: Item) -> dict[str, Any]:
    """What a registration's mails and pages need, copied at registration time so a link
    POST needs no further read."""
    return {
        "registration_id": item["registration_id"], "tour_id": item["tour_id"],
        "agency_id": item["agency_id"], "tour_title": item["tour_title"],
        "tour_url": item["tour_url"], "contact": item["contact"], "prospect": item["prospect"],
    }


class TourService:
    def __init__(self, repo: TourRepository, core: Table, addresses: AddressBook,
                 links: LinkService, outbox: Outbox, clock: Clock, settings: Settings, *,
                 metrics: Recorder = NULL_METRICS) -> None:
        self.repo = repo
        self.metrics = metrics
        self.core = core
        self.addresses = addresses
        self.links = links
        self.outbox = outbox
        self.clock = clock
        self.settings = settings
        links.register(PURPOSE_UNLOCK, _UnlockAction(self))
        links.register(PURPOSE_APPROVE, _DecisionAction(self, "approve"))
        links.register(PURPOSE_DENY, _DecisionAction(self, "deny"))
        outbox.on_permanent_failure("registration", self._mail_failed)

    # -- agency ---------------------------------------------------------------------

    def create_tour(self, agency_id: str, payload: Any) -> dict[str, Any]:
        data = validate_model(TourInput, payload)
        now = iso(self.clock.now())
        tour = {"tour_id": new_id(), "agency_id": agency_id, **data.model_dump(),
                "created_at": now, "updated_at": now, "version": 1}
        self.repo.create_tour(tour)
        return _public_tour(tour)

    def get_tour(self, agency_id: str, tour_id: str) -> dict[str, Any]:
        return _public_tour(self._owned_tour(agency_id, tour_id))

    def list_tours(self, agency_id: str) -> list[dict[str, Any]]:
        return [_public_tour(i) for i in self.repo.list_tours(agency_id)]

    def replace_tour(self, agency_id: str, tour_id: str,
                     payload: Any | Callable[[], Any]) -> dict[str, Any]:
        """``payload`` may be a callable that parses the body, called once the tour is found:
        an unknown tour answers 404 whatever the body."""
        current = self._owned_tour(agency_id, tour_id)
        data = validate_model(TourInput, payload() if callable(payload) else payload)
        tour = {
            "tour_id": tour_id, "agency_id": agency_id, **data.model_dump(),
            "created_at": current["created_at"], "updated_at": iso(self.clock.now()),
            "version": int(current["version"]) + 1,
        }
        try:
            self.repo.replace_tour(tour, expected_version=int(current["version"]))
        except ConditionFailed as exc:
            raise Conflict("Der Rundgang wurde gleichzeitig geändert. Bitte neu laden.",
                           code="version_conflict") from exc
        return _public_tour(tour)

    def list_registrations(self, agency_id: str, tour_id: str, cursor_value: str | None,
                           limit: int = 100) -> dict[str, Any]:
        self._owned_tour(agency_id, tour_id)
        after = cursor.decode(cursor_value, "REG#")
        items, last = self.repo.list_registrations(tour_id, limit, after)
        return {"registrations": [_public_registration(i) for i in items],
                "next_cursor": cursor.encode(last) if last else None}

    def stats(self, agency_id: str, tour_id: str) -> dict[str, int]:
        self._owned_tour(agency_id, tour_id)
        return self.repo.stats(tour_id)

    def decide(self, agency_id: str, registration_id: str,
               decision: Literal["approve", "deny"]) -> dict[str, Any]:
        item = self.repo.get_registration(registration_id)
        if item is None or item.get("agency_id") != agency_id:
            raise NotFound("Registrierung nicht gefunden.")
        decision_status(item["status"], decision)  # 409 when already decided
        hashes = item.get("link_hashes") or {}
        retire = {"supersede_approve": hashes.get(PURPOSE_APPROVE),
                  "supersede_deny": hashes.get(PURPOSE_DENY)}
        for _attempt in range(3):
            tx = Transaction(self.core.client)
            for label, token_hash in retire.items():
                self.links.supersede(tx, token_hash, label=label)
            staged = self.stage_decision(tx, _snapshot(item), decision, decided_by="agency_api")
            try:
                tx.execute()
            except TransactionCancelled as exc:
                if exc.conflict and not exc.failed:
                    raise Unavailable(retry_after=1) from exc
                if exc.failed and exc.failed <= retire.keys():
                    # Only the link items are missing: TTL removed them long after they
                    # expired, so there is nothing left to retire. Decide without them.
                    retire.update(dict.fromkeys(exc.failed))
                    continue
                raise Conflict("Über diese Anfrage wurde bereits entschieden.",
                               code="already_decided") from exc
            break
        else:
            raise Unavailable(retry_after=1)
        self.decided(decision)
        self.outbox.deliver(staged)
        fresh = self.repo.get_registration(registration_id) or item
        return _public_registration(fresh)

    # -- tour player ----------------------------------------------------------------

    def protection(self, tour_id: str, origin: OriginPolicy | None = None) -> dict[str, Any]:
        tour = self._tour(tour_id, origin)
        return self._protection_view(tour)

    def register(self, tour_id: str, payload: dict[str, Any] | Callable[[], dict[str, Any]],
                 client_ip: str | None, origin: OriginPolicy | None = None) -> Registered:
        """``payload`` may be a callable that parses the body: it is called only once the
        tour is known and open, so an unknown tour answers 404 (and a tour without
        protection 409) even when the body is malformed (contract, Conventions)."""
        tour = self._tour(tour_id, origin)
        protection = tour["protection"]
        status = initial_status(protection["mode"])
        if callable(payload):
            payload = payload()
        lead = validate_registration(payload, protection["required_fields"])
        now = self.clock.now()
        window, retry_after = rate_window(now)
        for _attempt in range(3):
            # One read: the email index and (same round trip) the tour's property, so the
            # inquiry can apply the GDPR reset rule (privacy.addresses.LeadState).
            existing = self.addresses.lead_state(tour["agency_id"], lead.email,
                                                 tour.get("property_id"))
            tx = Transaction(self.core.client)
            self._stage_rate(tx, "rate_email",
                             email_rate_key(self.settings.hash_key, tour_id, lead.email, window),
                             self.settings.rate_per_email_per_hour, now)
            if client_ip:
                self._stage_rate(tx, "rate_ip",
                                 f"reg-ip#{tour_id}#{self._keyed_hash(client_ip)}#{window}",
                                 self.settings.rate_per_ip_per_hour, now)
            registered, staged = self._stage_registration(tx, tour, lead, status, existing)
            try:
                tx.execute()
            except TransactionCancelled as exc:
                if exc.failed & {"rate_email", "rate_ip"}:
                    raise RateLimited(retry_after=retry_after) from exc
                if "address" in exc.failed or (exc.conflict and not exc.failed):
                    continue  # the address book changed under us: read the index again
                raise
            self.metrics.count(REGISTRATIONS, mode=protection["mode"])
            self.outbox.deliver(staged)
            return registered
        raise Unavailable(retry_after=1)

    def access(self, tour_id: str, viewer_token: str | None,
               origin: OriginPolicy | None = None) -> dict[str, Any]:
        parsed = parse_viewer_token(viewer_token)
        if parsed is None:
            tour, registration = self._tour(tour_id, origin), None
        else:
            registration_id, secret = parsed
            tour, registration = self.repo.tour_and_registration(tour_id, registration_id)
            if tour is None:
                raise NotFound("Rundgang nicht gefunden.")
            if origin is not None:
                origin.check(tour.get("allowed_origins"))
            if registration is not None and not self._token_matches(tour_id, registration,
                                                                      secret):
                registration = None
        view = self._protection_view(tour)
        status = access_status(view["mode"], registration["status"] if registration else None)
        return {"status": status, "protected_viewpoints": view["protected_viewpoints"]}

    # -- internals ------------------------------------------------------------------

    def _tour(self, tour_id: str, origin: OriginPolicy | None = None) -> Item:
        tour = self.repo.get_tour(tour_id)
        if tour is None:
            raise NotFound("Rundgang nicht gefunden.")
        if origin is not None:
            origin.check(tour.get("allowed_origins"))
        return tour

    def _owned_tour(self, agency_id: str, tour_id: str) -> Item:
        tour = self.repo.get_tour(tour_id)
        if tour is None or tour.get("agency_id") != agency_id:
            raise NotFound("Rundgang nicht gefunden.")
        return tour

    @staticmethod
    def _protection_view(tour: Item) -> dict[str, Any]:
        protection = tour["protection"]
        off = protection["mode"] == "off"
        return {"mode": protection["mode"], "required_fields": protection["required_fields"],
                "protected_viewpoints": [] if off else protection["protected_viewpoints"]}

    @staticmethod
    def _token_matches(tour_id: str, registration: Item, secret: str) -> bool:
        if registration.get("tour_id") != tour_id:
            return False
        wanted = sha256_hex(secret)
        return any(same_secret(wanted, h) for h in registration.get("viewer_hashes") or ())

    def _keyed_hash(self, value: str) -> str:
        return sha256_hex(f"{self.settings.hash_key}:{value}")[:32]

    def _stage_rate(self, tx: Transaction, label: str, key: str, limit: int, now: Any) -> None:
        tx.update(
            self.core, f"RATE#{key}", "RATE",
            Update(adds={"n": 1},
                   sets={"expires_ttl": epoch_seconds(now + timedelta(hours=2))}),
            condition=Condition("attribute_not_exists({n}) OR {n} < {:limit}", limit=limit),
            label=label,
        )

    def _stage_registration(self, tx: Transaction, tour: Item, lead: Any, status: str,
                            existing_address: Any) -> tuple[Registered, list[OutboxMail]]:
        now = self.clock.now()
        registration_id = new_id()
        secret = new_secret()
        snapshot = {
            "registration_id": registration_id, "tour_id": tour["tour_id"],
            "agency_id": tour["agency_id"], "tour_title": tour["title"],
            "tour_url": tour["tour_url"], "contact": tour["contact"],
            "prospect": {k: v for k, v in lead.as_dict().items() if v is not None},
        }
        agency_id = tour["agency_id"]
        link_hashes: dict[str, str] = {}
        outgoing: list[OutboxMail] = []
        ref = {"ref_kind": "registration", "ref_id": registration_id}
        if status == "pending_email":
            link = self.links.issue(
                tx, purpose=PURPOSE_UNLOCK, record_id=registration_id, agency_id=agency_id,
                valid_for=timedelta(days=self.settings.unlock_link_days), context=snapshot)
            link_hashes[PURPOSE_UNLOCK] = link.token_hash
            outgoing.append(OutboxMail(f"{registration_id}-unlock", "tour_unlock",
                                       mails.unlock_mail(snapshot, link.url, link.expires_at),
                                       **ref))
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
            outgoing.append(OutboxMail(f"{registration_id}-received", "tour_request_received",
                                       mails.request_received_mail(snapshot), **ref))
            outgoing.append(OutboxMail(
                f"{registration_id}-request", "tour_access_request",
                mails.access_request_mail(snapshot, approve.url, deny.url, approve.expires_at),
                **ref))
        activity = {"type": "inquiry", "property_id": tour.get("property_id"),
                    "note": f"Registrierung für den Rundgang „{tour['title']}“",
                    "source": "tour_registration", "tour_id": tour["tour_id"],
                    "registration_id": registration_id}
        address_id = self.addresses.stage_lead(
            tx, agency_id, existing_address,
            LeadContact(**{k: getattr(lead, k) for k in (
                "email", "first_name", "last_name", "phone", "street", "zip", "city")}),
            activity)
        self.repo.stage_registration(tx, {
            **snapshot, "status": status, "mode": tour["protection"]["mode"],
            "created_at": iso(now), "privacy_accepted_at": iso(now),
            "viewer_hashes": {sha256_hex(secret)}, "link_hashes": link_hashes,
            "address_id": address_id, "undeliverable": False, "version": 1,
        })
        self.repo.stage_counters(tx, tour["tour_id"], {"registrations": 1, status: 1})
        staged = self.outbox.stage(tx, outgoing)
        return Registered(registration_id, f"{registration_id}.{secret}", status), staged

    def stage_decision(self, tx: Transaction, snapshot: dict[str, Any],
                        decision: Literal["approve", "deny"], decided_by: str
                        ) -> list[OutboxMail]:
        now = iso(self.clock.now())
        registration_id = snapshot["registration_id"]
        new_status = decision_status("pending_approval", decision)
        viewer_hash = None
        if decision == "approve":
            secret = new_secret()
            viewer_hash = sha256_hex(secret)
            entry_url = f"{snapshot['tour_url']}#freigabe={registration_id}.{secret}"
            mail = mails.access_granted_mail(snapshot, entry_url)
            sets = {"decided_at": now, "unlocked_at": now, "decided_by": decided_by}
        else:
            mail = mails.access_denied_mail(snapshot)
            sets = {"decided_at": now, "decided_by": decided_by}
        self.repo.stage_status_change(tx, registration_id, expected="pending_approval",
                                      new=new_status, sets=sets, viewer_hash=viewer_hash)
        self.repo.stage_counters(tx, snapshot["tour_id"],
                                 {"pending_approval": -1, new_status: 1})
        kind = "tour_access_granted" if decision == "approve" else "tour_access_denied"
        return self.outbox.stage(tx, [OutboxMail(f"{registration_id}-decision", kind, mail,
                                                 ref_kind="registration", ref_id=registration_id)])

    def decided(self, decision: str) -> None:
        """After a committed decision: an approval is the manual mode's unlock."""
        if decision == "approve":
            self.metrics.count(UNLOCKS, mode="manual")

    def _mail_failed(self, registration_id: str, mail_kind: str) -> None:
        if mail_kind in PROSPECT_MAIL_KINDS:
            self.repo.mark_undeliverable(registration_id)


class _UnlockAction:
    """E-Mail-Freigabe: the prospect's one click unlocks the tour and leads into it."""

    def __init__(self, service: TourService) -> None:
        self.service = service

    def describe(self, link: Item) -> Page:
        ctx = link["context"]
        return Page(
            heading="Rundgang freischalten",
            paragraphs=[f"Mit einem Klick schalten Sie den virtuellen Rundgang "
                        f"„{ctx['tour_title']}“ frei und gelangen direkt hinein."],
            button="Rundgang freischalten", contact=ctx["contact"],
        )

    def perform(self, link: Item, tx: Transaction, submission: Submission) -> Outcome:
        ctx = link["context"]
        registration_id = ctx["registration_id"]
        secret = new_secret()
        now = iso(self.service.clock.now())
        self.service.repo.stage_status_change(
            tx, registration_id, expected="pending_email", new="unlocked",
            sets={"unlocked_at": now}, viewer_hash=sha256_hex(secret))
        self.service.repo.stage_counters(tx, ctx["tour_id"], {"pending_email": -1, "unlocked": 1})
        return Outcome(
            page=Page(heading="Rundgang freigeschaltet",
                      paragraphs=["Sie werden zum Rundgang weitergeleitet."],
                      contact=ctx["contact"]),
            redirect=f"{ctx['tour_url']}#freigabe={registration_id}.{secret}",
            after_commit=lambda: self.service.metrics.count(UNLOCKS, mode="email"),
        )


class _DecisionAction:
    """Manuelle Freigabe: the tour's contact approves or denies from the request mail."""

    def __init__(self, service: TourService, decision: Literal["approve", "deny"]) -> None:
        self.service = service
        self.decision = decision

    def describe(self, link: Item) -> Page:
        ctx = link["context"]
        who = mails.prospect_name(ctx["prospect"]) or ctx["prospect"]["email"]
        if self.decision == "approve":
            return Page(
                heading="Zugang gewähren",
                paragraphs=[f"{who} möchte den Rundgang „{ctx['tour_title']}“ ansehen. "
                            "Nach Ihrer Bestätigung erhält die Person eine E-Mail mit dem "
                            "Zugang."],
                details=mails.prospect_rows(ctx["prospect"]), button="Zugang gewähren",
            )
        return Page(
            heading="Zugang verweigern",
            paragraphs=[f"{who} möchte den Rundgang „{ctx['tour_title']}“ ansehen. Nach Ihrer "
                        "Bestätigung erhält die Person eine freundliche Absage per E-Mail."],
            details=mails.prospect_rows(ctx["prospect"]), button="Zugang verweigern",
            danger=True,
        )

    def perform(self, link: Item, tx: Transaction, submission: Submission) -> Outcome:
        ctx = link["context"]
        if not ctx.get("registration_id"):
            raise StaleLink()
        self.service.links.supersede(tx, link.get("sibling_hash"), label="supersede_sibling")
        staged = self.service.stage_decision(tx, ctx, self.decision, decided_by="mail_link")
        who = mails.prospect_name(ctx["prospect"]) or ctx["prospect"]["email"]
        if self.decision == "approve":
            page = Page(heading="Zugang gewährt",
                        paragraphs=[f"{who} erhält jetzt eine E-Mail mit dem Zugang zum "
                                    f"Rundgang „{ctx['tour_title']}“."])
        else:
            page = Page(heading="Zugang verweigert",
                        paragraphs=[f"{who} erhält eine freundliche Absage per E-Mail."])
        def after_commit() -> None:
            self.service.decided(self.decision)
            self.service.outbox.deliver(staged)

        return Outcome(page=page, after_commit=after_commit)
