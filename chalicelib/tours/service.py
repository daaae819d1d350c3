"""Protected tours: the facade the routes and the wiring use. Agency settings and the
player's reads are here; registration (``registration``), decisions (``decisions``) and
the mail links (``link_actions``) are use cases of their own."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from chalicelib.auth.actor import Actor
from chalicelib.body import Body
from chalicelib.clock import Clock, iso
from chalicelib.config import Settings
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.links.service import LinkService
from chalicelib.mail.outbox import Outbox, OutboxMail
from chalicelib.metrics import NULL as NULL_METRICS
from chalicelib.metrics import Recorder
from chalicelib.privacy.addresses import AddressBook
from chalicelib.privacy.leads import Leads
from chalicelib.secrets_util import new_id, same_secret, sha256_hex
from chalicelib.storage import cursor
from chalicelib.storage.cursor import Page
from chalicelib.storage.dynamo import ConditionFailed, Item, Table, Transaction
from chalicelib.tours.decisions import Decisions
from chalicelib.tours.events import Emitter
from chalicelib.tours.items import RegistrationItem
from chalicelib.tours.link_actions import DecisionAction, UnlockAction
from chalicelib.tours.model import OriginPolicy, TourInput, access_status, initial_status
from chalicelib.tours.reentry import PURPOSE_REENTRY, Reentry, ReentryAction
from chalicelib.tours.registration import Registered, Registration, email_rate_key
from chalicelib.tours.repository import TourRepository, counter_totals
from chalicelib.tours.tour_url import TourUrlError, check_scheme
from chalicelib.tours.viewing import tour_viewing
from chalicelib.tours.views import (
    PROSPECT_MAIL_KINDS,
    PURPOSE_APPROVE,
    PURPOSE_DENY,
    PURPOSE_UNLOCK,
    parse_viewer_token,
    protection_view,
    public_registration,
    public_tour,
    registration_view,
)
from chalicelib.validation import validate_model

# Importable from here as before the split (ops, privacy, tests).
__all__ = ["PROSPECT_MAIL_KINDS", "PURPOSE_APPROVE", "PURPOSE_DENY", "PURPOSE_UNLOCK",
           "Registered", "TourService", "email_rate_key", "parse_viewer_token",
           "registration_view"]


class TourService:
    def __init__(self, repo: TourRepository, core: Table, addresses: AddressBook,
                 links: LinkService, outbox: Outbox, clock: Clock, settings: Settings, *,
                 metrics: Recorder = NULL_METRICS,
                 agency_privacy_url: Callable[[str], str | None] = lambda agency_id: None,
                 events: Emitter | None = None) -> None:
        self.repo = repo
        # The agency profile's privacy policy (agencies.profile): a protected tour without
        # its own privacy_url uses it.
        self.agency_privacy_url = agency_privacy_url
        self.metrics = metrics
        self.core = core
        self.addresses = addresses
        self.links = links
        self.outbox = outbox
        self.clock = clock
        self.settings = settings
        self.registration = Registration(repo, core, addresses, links, outbox, clock, settings,
                                         metrics, events)
        leads = Leads(addresses, clock)
        self.decisions = Decisions(repo, core, links, outbox, clock, metrics, events, leads)
        links.register(PURPOSE_UNLOCK, UnlockAction(
            repo, clock, metrics, events, leads,
            reentry=Reentry(repo, links, outbox, clock, settings)))
        links.register(PURPOSE_REENTRY, ReentryAction(repo, clock))
        links.register(PURPOSE_APPROVE, DecisionAction(self.decisions, "approve"))
        links.register(PURPOSE_DENY, DecisionAction(self.decisions, "deny"))
        outbox.on_permanent_failure("registration", self._mail_failed)

    # -- agency ---------------------------------------------------------------------

    def _tour_input(self, payload: Any) -> TourInput:
        return self._checked(validate_model(TourInput, payload))

    def _checked(self, data: TourInput) -> TourInput:
        """The rules beyond the model: the tour URL's scheme for this stage."""
        try:
            check_scheme(data.tour_url, local=self.settings.dev_routes_enabled)
        except TourUrlError as exc:
            raise ValidationFailed({"tour_url": f"{str(exc)[:1].upper()}{str(exc)[1:]}."}
                                   ) from exc
        return data

    def create_tour(self, agency_id: str, payload: Any) -> dict[str, Any]:
        data = self._tour_input(payload)
        agency_url = self._require_privacy_url(agency_id, data.protection.mode,
                                               data.privacy_url)
        now = iso(self.clock.now())
        tour = {"tour_id": new_id(), "agency_id": agency_id, **data.model_dump(),
                "agency_privacy_url": agency_url,
                "created_at": now, "updated_at": now, "version": 1}
        self.repo.create_tour(tour)
        return public_tour(tour)

    def get_tour(self, agency_id: str, tour_id: str) -> dict[str, Any]:
        return public_tour(self._owned_tour(agency_id, tour_id))

    def list_tours(self, agency_id: str) -> list[dict[str, Any]]:
        return [public_tour(i) for i in self.repo.list_tours(agency_id)]

    def replace_tour(self, agency_id: str, tour_id: str,
                     body: Body[TourInput]) -> dict[str, Any]:
        """The body is read once the tour is found: an unknown tour answers 404 whatever
        the body."""
        current = self._owned_tour(agency_id, tour_id)
        data = self._checked(body.get())
        fields = data.model_dump()
        # v2: a PUT that leaves a v2 field out keeps its stored value (a v1 client).
        if "privacy_url" not in data.model_fields_set:
            fields["privacy_url"] = current.get("privacy_url")
        agency_url = self._require_privacy_url(agency_id, data.protection.mode,
                                               fields["privacy_url"])
        tour = {
            "tour_id": tour_id, "agency_id": agency_id, **fields,
            "agency_privacy_url": agency_url,
            "created_at": current["created_at"], "updated_at": iso(self.clock.now()),
            "version": int(current["version"]) + 1,
        }
        try:
            self.repo.replace_tour(tour, expected_version=int(current["version"]))
        except ConditionFailed as exc:
            raise Conflict("Der Rundgang wurde gleichzeitig geändert. Bitte neu laden.",
                           code="version_conflict") from exc
        return public_tour(tour)

    def list_registrations(self, agency_id: str, tour_id: str, page: Page) -> dict[str, Any]:
        self._owned_tour(agency_id, tour_id)
        items, last = self.repo.list_registrations(tour_id, page.limit, page.after("REG#"))
        return {"registrations": [public_registration(i) for i in items],
                "next_cursor": cursor.encode(last) if last else None}

    def stats(self, agency_id: str, tour_id: str) -> dict[str, Any]:
        """The v1 counts plus (v2) the funnel and the per-viewpoint views and time."""
        self._owned_tour(agency_id, tour_id)
        shards = self.repo.stat_shards(tour_id)
        counts = counter_totals(shards)
        viewing = tour_viewing(shards)
        return {**counts, "funnel": {
            "tour_views": viewing["tour_views"], "form_opened": viewing["form_opened"],
            "registrations": counts["registrations"], "unlocked": counts["unlocked"]},
            "viewpoints": viewing["viewpoints"]}

    def get_registration(self, agency_id: str, registration_id: str) -> dict[str, Any]:
        """One registration with the lead's viewing (totals and the visits, newest first)."""
        item = self.repo.get_registration(registration_id)
        if item is None or item.get("agency_id") != agency_id:
            raise NotFound("Registrierung nicht gefunden.")
        return registration_view(item)

    def decide(self, agency_id: str, registration_id: str,
               decision: Literal["approve", "deny"], actor: Actor) -> dict[str, Any]:
        return self.decisions.decide(agency_id, registration_id, decision, actor)

    def stage_decision(self, tx: Transaction, snapshot: dict[str, Any],
                       decision: Literal["approve", "deny"], decided_by: dict[str, Any]
                       ) -> list[OutboxMail]:
        return self.decisions.stage(tx, snapshot, decision, decided_by)

    def decided(self, decision: str) -> None:
        self.decisions.decided(decision)

    # -- tour player ----------------------------------------------------------------

    def protection(self, tour_id: str, origin: OriginPolicy | None = None) -> dict[str, Any]:
        tour = self._tour(tour_id, origin)
        view = protection_view(tour)
        # The effective privacy policy: the tour's own, else the copy of the agency profile's
        # the tour item carries (one read); a tour saved before the copy existed reads the
        # profile.
        agency_url = tour.get("agency_privacy_url")
        if agency_url is None and not tour.get("privacy_url"):
            agency_url = self.agency_privacy_url(tour["agency_id"])
        view["privacy_url"] = tour.get("privacy_url") or agency_url or None
        return view

    def register(self, tour_id: str, body: Body[dict[str, Any]], client_ip: str | None,
                 origin: OriginPolicy | None = None) -> Registered:
        """The body is read only once the tour is known and open, so an unknown tour answers
        404 (and a tour without protection 409) even when the body is malformed (contract,
        Conventions); its fields are checked against the tour's required fields."""
        tour = self._tour(tour_id, origin)
        status = initial_status(tour["protection"]["mode"])
        return self.registration.register(tour, body.get(), client_ip, status)

    def access(self, tour_id: str, viewer_token: str | None,
               origin: OriginPolicy | None = None) -> dict[str, Any]:
        parsed = parse_viewer_token(viewer_token)
        tour: Item | None
        registration: RegistrationItem | None
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
        view = protection_view(tour)
        status = access_status(view["mode"], registration["status"] if registration else None)
        return {"status": status, "protected_viewpoints": view["protected_viewpoints"]}

    # -- internals ------------------------------------------------------------------

    def _require_privacy_url(self, agency_id: str, mode: str, own: str | None) -> str:
        """A protected tour's form links a privacy policy: its own or the agency's. Returns
        the agency profile's URL ("" for none), the copy the tour item carries so the gate
        reads one item (refreshed by ``agency_privacy_url_changed``)."""
        agency_url = self.agency_privacy_url(agency_id) or ""
        if mode != "off" and not own and not agency_url:
            raise ValidationFailed({"privacy_url": (
                "Ein geschützter Rundgang braucht eine Datenschutzerklärung: hier oder im "
                "Profil der Agentur (Verantwortlicher) hinterlegen.")})
        return agency_url

    def agency_privacy_url_changed(self, agency_id: str, url: str | None) -> None:
        """The agency profile's privacy URL changed: refresh its copy on the agency's
        tours (wired as the profile's callback in chalicelib/wiring.py)."""
        self.repo.set_agency_privacy_url(agency_id, url or "")

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
    def _token_matches(tour_id: str, registration: Mapping[str, Any], secret: str) -> bool:
        if registration.get("tour_id") != tour_id:
            return False
        wanted = sha256_hex(secret)
        return any(same_secret(wanted, h) for h in registration.get("viewer_hashes") or ())

    def _mail_failed(self, registration_id: str, mail_kind: str) -> None:
        if mail_kind in PROSPECT_MAIL_KINDS:
            self.repo.mark_undeliverable(registration_id)
