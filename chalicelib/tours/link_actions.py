"""The tours' mail links: E-Mail-Freigabe's unlock and Manuelle Freigabe's approve/deny,
as ``LinkService`` actions (page text on GET, the staged change on POST)."""

from __future__ import annotations

from typing import Literal

from chalicelib.auth.actor import Actor
from chalicelib.clock import Clock, iso
from chalicelib.errors import Gone
from chalicelib.links.service import Outcome, Page, StaleLink, Submission
from chalicelib.metrics import UNLOCKS, Recorder
from chalicelib.privacy.leads import Leads
from chalicelib.secrets_util import new_secret, sha256_hex
from chalicelib.storage.dynamo import Item, Transaction
from chalicelib.tours import events as tour_events
from chalicelib.tours import mails
from chalicelib.tours.decisions import Decisions
from chalicelib.tours.events import Emitter
from chalicelib.tours.reentry import Reentry, offers_reentry, reentry_offer
from chalicelib.tours.repository import TourRepository
from chalicelib.tours.views import entry_url


class UnlockAction:
    """E-Mail-Freigabe: the prospect's one click unlocks the tour and leads into it."""

    def __init__(self, repo: TourRepository, clock: Clock, metrics: Recorder,
                 events: Emitter | None = None, leads: Leads | None = None,
                 reentry: Reentry | None = None) -> None:
        self.events = events
        self.repo = repo
        self.leads = leads
        self.clock = clock
        self.metrics = metrics
        self.reentry = reentry

    def gone_offer(self, link: Item) -> Page | None:
        """A used unlock link's 410 page offers "Neuen Zugangslink senden" (tours.reentry)."""
        return reentry_offer() if self.reentry is not None and offers_reentry(link) else None

    def follow_up(self, link: Item) -> Page:
        if self.reentry is None:
            raise Gone()
        return self.reentry.resend(link)

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
        now = iso(self.clock.now())
        self.repo.stage_status_change(
            tx, registration_id, expected="pending_email", new="unlocked",
            sets={"unlocked_at": now}, viewer_hash=sha256_hex(secret))
        self.repo.stage_counters(tx, ctx["tour_id"], {"pending_email": -1, "unlocked": 1})
        tour_events.decided(self.events, tx, ctx, tour_events.UNLOCKED, now)
        if self.leads is not None:  # the prospect proved the email: the lead counts now
            self.leads.stage_verified(tx, ctx["agency_id"], ctx.get("lead"), ctx["prospect"],
                                      ctx.get("property_id"), registration_id,
                                      attempt=submission.attempt)
        return Outcome(
            page=Page(heading="Rundgang freigeschaltet",
                      paragraphs=["Sie werden zum Rundgang weitergeleitet."],
                      contact=ctx["contact"]),
            redirect=entry_url(ctx, f"{registration_id}.{secret}"),
            after_commit=lambda: self.metrics.count(UNLOCKS, mode="email"),
        )


class DecisionAction:
    """Manuelle Freigabe: the tour's contact approves or denies from the request mail."""

    def __init__(self, decisions: Decisions, decision: Literal["approve", "deny"]) -> None:
        self.decisions = decisions
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
        self.decisions.links.supersede(tx, link.get("sibling_hash"), label="supersede_sibling")
        # Whoever holds the contact's mail: the link, named after the contact it went to.
        contact = (ctx.get("contact") or {}).get("name")
        actor = Actor("link", f"tour-{self.decision}",
                      f"{contact} (Link in der E-Mail)" if contact else "Link in der E-Mail")
        staged = self.decisions.stage(tx, ctx, self.decision, decided_by=actor.as_dict(),
                                       attempt=submission.attempt)
        who = mails.prospect_name(ctx["prospect"]) or ctx["prospect"]["email"]
        if self.decision == "approve":
            page = Page(heading="Zugang gewährt",
                        paragraphs=[f"{who} erhält jetzt eine E-Mail mit dem Zugang zum "
                                    f"Rundgang „{ctx['tour_title']}“."])
        else:
            page = Page(heading="Zugang verweigert",
                        paragraphs=[f"{who} erhält eine freundliche Absage per E-Mail."])
        def after_commit() -> None:
            self.decisions.decided(self.decision)
            self.decisions.outbox.deliver(staged)

        return Outcome(page=page, after_commit=after_commit)
