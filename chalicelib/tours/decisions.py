"""Manuelle Freigabe decided: by the agency's API (``decide``) or from the request mail's
links (``link_actions``); both stage the same status change, counters and mail."""

from __future__ import annotations

from typing import Any, Literal

from chalicelib.auth.actor import Actor
from chalicelib.clock import Clock, iso
from chalicelib.errors import Conflict, NotFound, Unavailable
from chalicelib.links.service import RETRY_PREFIX, LinkService
from chalicelib.mail.outbox import Outbox, OutboxMail
from chalicelib.metrics import UNLOCKS, Recorder
from chalicelib.privacy.leads import Leads
from chalicelib.secrets_util import new_secret, sha256_hex
from chalicelib.storage.dynamo import Table, Transaction, TransactionCancelled
from chalicelib.storage.retry import Retry, optimistic
from chalicelib.tours import events as tour_events
from chalicelib.tours import mails
from chalicelib.tours.events import Emitter
from chalicelib.tours.model import decision_status
from chalicelib.tours.repository import TourRepository
from chalicelib.tours.views import (
    PURPOSE_APPROVE,
    PURPOSE_DENY,
    entry_url,
    public_registration,
    snapshot_of,
)


class Decisions:
    def __init__(self, repo: TourRepository, core: Table, links: LinkService, outbox: Outbox,
                 clock: Clock, metrics: Recorder, events: Emitter | None = None,
                 leads: Leads | None = None) -> None:
        self.events = events
        self.repo = repo
        self.leads = leads
        self.core = core
        self.links = links
        self.outbox = outbox
        self.clock = clock
        self.metrics = metrics

    def decide(self, agency_id: str, registration_id: str,
               decision: Literal["approve", "deny"], actor: Actor) -> dict[str, Any]:
        item = self.repo.get_registration(registration_id)
        if item is None or item.get("agency_id") != agency_id:
            raise NotFound("Registrierung nicht gefunden.")
        decision_status(item["status"], decision)  # 409 when already decided
        hashes = item.get("link_hashes") or {}
        retire = {"supersede_approve": hashes.get(PURPOSE_APPROVE),
                  "supersede_deny": hashes.get(PURPOSE_DENY)}

        def attempt(number: int) -> list[OutboxMail]:
            tx = Transaction(self.core.client)
            for label, token_hash in retire.items():
                self.links.supersede(tx, token_hash, label=label)
            staged = self.stage(tx, snapshot_of(item), decision, decided_by=actor.as_dict(),
                                attempt=number)
            try:
                tx.execute()
            except TransactionCancelled as exc:
                if exc.conflict and not exc.failed:
                    raise Unavailable(retry_after=1) from exc
                if exc.failed and all(f.startswith(RETRY_PREFIX) for f in exc.failed):
                    raise Retry() from exc  # the lead's address changed meanwhile: read it again
                if exc.failed and exc.failed <= retire.keys():
                    # Only the link items are missing: TTL removed them long after they
                    # expired, so there is nothing left to retire. Decide without them.
                    retire.update(dict.fromkeys(exc.failed))
                    raise Retry() from exc
                raise Conflict("Über diese Anfrage wurde bereits entschieden.",
                               code="already_decided") from exc
            return staged

        staged = optimistic(attempt)
        self.decided(decision)
        self.outbox.deliver(staged)
        fresh = self.repo.get_registration(registration_id) or item
        return public_registration(fresh)

    def stage(self, tx: Transaction, snapshot: dict[str, Any],
              decision: Literal["approve", "deny"], decided_by: dict[str, Any],
              attempt: int = 0) -> list[OutboxMail]:
        """``decided_by``: the actor (chalicelib/auth/actor.py) who decided."""
        now = iso(self.clock.now())
        registration_id = snapshot["registration_id"]
        new_status = decision_status("pending_approval", decision)
        viewer_hash = None
        if decision == "approve":
            secret = new_secret()
            viewer_hash = sha256_hex(secret)
            mail = mails.access_granted_mail(snapshot,
                                             entry_url(snapshot, f"{registration_id}.{secret}"))
            sets = {"decided_at": now, "unlocked_at": now, "decided_by": decided_by}
            if self.leads is not None:  # the agency's approval verifies the lead
                self.leads.stage_verified(tx, snapshot["agency_id"], snapshot.get("lead"),
                                          snapshot["prospect"], snapshot.get("property_id"),
                                          registration_id, attempt=attempt)
        else:
            mail = mails.access_denied_mail(snapshot)
            sets = {"decided_at": now, "decided_by": decided_by}
        self.repo.stage_status_change(tx, registration_id, expected="pending_approval",
                                      new=new_status, sets=sets, viewer_hash=viewer_hash)
        self.repo.stage_counters(tx, snapshot["tour_id"],
                                 {"pending_approval": -1, new_status: 1})
        tour_events.decided(self.events, tx, snapshot, tour_events.UNLOCKED
                            if decision == "approve" else tour_events.DENIED, now)
        kind = "tour_access_granted" if decision == "approve" else "tour_access_denied"
        return self.outbox.stage(tx, [OutboxMail(f"{registration_id}-decision", kind, mail,
                                                 ref_kind="registration", ref_id=registration_id)])

    def decided(self, decision: str) -> None:
        """After a committed decision: an approval is the manual mode's unlock."""
        if decision == "approve":
            self.metrics.count(UNLOCKS, mode="manual")
