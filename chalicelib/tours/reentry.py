"""A used unlock link is not a dead end: while its registration is unlocked, the 410 page
offers "Neuen Zugangslink senden" — a form POST that mails a fresh one-time link (purpose
``reentry``) to the registered address, at most 3 a day per registration. Its POST adds a
new viewer token and leads back into the tour (``&ansicht=`` included), like the unlock.

The link stays used: its 410 answer does not change; only the page offers the way back.
The address is never shown on the page (whoever holds an old link learns nothing)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib import ratelimit
from chalicelib.clock import Clock, iso
from chalicelib.config import Settings
from chalicelib.errors import Gone, RateLimited, Unavailable
from chalicelib.links.service import LinkService, Outcome, Page, StaleLink, Submission
from chalicelib.mail.outbox import Outbox, OutboxMail
from chalicelib.secrets_util import new_secret, sha256_hex
from chalicelib.storage.dynamo import Condition, Item, Transaction, TransactionCancelled, Update
from chalicelib.tours import mails
from chalicelib.tours.repository import TourRepository, registration_key
from chalicelib.tours.views import PURPOSE_UNLOCK, entry_url

PURPOSE_REENTRY = "reentry"
RESENDS_PER_DAY = 3


def resend_counter(registration_id: str, day: str) -> str:
    """The ``chalicelib.ratelimit`` counter of a registration's fresh links on ``day``
    (``YYYYMMDD``); the day is also named on the registration (``reentry_days``) so the
    erasure finds it."""
    return f"reentry#{registration_id}#{day}"


def offers_reentry(link: Item) -> bool:
    """A used unlock link (the registration's state is checked on POST)."""
    return link.get("purpose") == PURPOSE_UNLOCK and link.get("status") == "used"


def reentry_offer() -> Page:
    return Page(
        heading="Dieser Link ist nicht mehr gültig",
        paragraphs=["Der Rundgang wurde mit diesem Link schon freigeschaltet. Ein Link kann "
                    "nur einmal verwendet werden.",
                    "Möchten Sie den Rundgang erneut öffnen, etwa auf einem anderen Gerät? "
                    "Wir schicken Ihnen gern einen neuen Zugangslink an die E-Mail-Adresse, "
                    "mit der Sie sich registriert haben."],
        button="Neuen Zugangslink senden",
    )


class Reentry:
    def __init__(self, repo: TourRepository, links: LinkService, outbox: Outbox, clock: Clock,
                 settings: Settings) -> None:
        self.repo = repo
        self.links = links
        self.outbox = outbox
        self.clock = clock
        self.settings = settings

    def resend(self, used_link: Item) -> Page:
        """Mails a fresh link for the used unlock link's registration (Gone unless it is
        unlocked; RateLimited after 3 today)."""
        if not offers_reentry(used_link):
            raise Gone()
        ctx = used_link["context"]
        registration_id = ctx["registration_id"]
        now = self.clock.now()
        day = now.strftime("%Y%m%d")
        tx = Transaction(self.repo.table.client)
        ratelimit.stage(tx, self.links.core, "rate", resend_counter(registration_id, day),
                        RESENDS_PER_DAY, now, keep=timedelta(days=2))
        link = self.links.issue(
            tx, purpose=PURPOSE_REENTRY, record_id=registration_id,
            agency_id=used_link.get("agency_id"),
            valid_for=timedelta(days=self.settings.unlock_link_days), context=ctx)
        mail_id = f"{registration_id}-reentry-{link.token_hash[:12]}"
        # All named on the registration, so the erasure of the person finds them.
        tx.update(self.repo.table, *registration_key(registration_id),
                  Update(adds={"reentry_hashes": {link.token_hash},
                               "reentry_mail_ids": {mail_id}, "reentry_days": {day}}),
                  condition=Condition("{status} = {:s}", s="unlocked"), label="registration")
        staged = self.outbox.stage(tx, [OutboxMail(
            mail_id, "tour_reentry",
            mails.reentry_mail(ctx, link.url, link.expires_at),
            ref_kind="registration", ref_id=registration_id)])
        try:
            tx.execute()
        except TransactionCancelled as exc:
            if "rate" in exc.failed:
                raise RateLimited("Sie haben heute bereits drei neue Zugangslinks angefordert. "
                                  "Bitte versuchen Sie es morgen erneut.",
                                  retry_after=_seconds_to_midnight(now)) from exc
            if exc.conflict and not exc.failed:  # a concurrent transaction: try again
                raise Unavailable(retry_after=1) from exc
            raise Gone() from exc  # erased, or no longer unlocked
        self.outbox.deliver(staged)
        return Page(heading="Neuer Zugangslink verschickt",
                    paragraphs=["Wir haben Ihnen einen neuen Zugangslink an die E-Mail-Adresse "
                                "geschickt, mit der Sie sich registriert haben. Er ist "
                                f"{self.settings.unlock_link_days} Tage gültig und kann einmal "
                                "verwendet werden."],
                    contact=ctx.get("contact"))


class ReentryAction:
    """The fresh link's page and POST: a new viewer token, straight back into the tour."""

    def __init__(self, repo: TourRepository, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock

    def describe(self, link: Item) -> Page:
        ctx = link["context"]
        return Page(heading="Rundgang erneut öffnen",
                    paragraphs=[f"Mit einem Klick öffnen Sie den freigeschalteten Rundgang "
                                f"„{ctx['tour_title']}“ auf diesem Gerät."],
                    button="Rundgang freischalten", contact=ctx["contact"])

    def perform(self, link: Item, tx: Transaction, submission: Submission) -> Outcome:
        ctx = link["context"]
        registration_id = ctx.get("registration_id")
        if not registration_id:
            raise StaleLink()
        secret = new_secret()
        tx.update(self.repo.table, *registration_key(registration_id),
                  Update(adds={"viewer_hashes": {sha256_hex(secret)}},
                         sets={"reentered_at": iso(self.clock.now())}),
                  condition=Condition("{status} = {:s}", s="unlocked"), label="registration")
        return Outcome(page=Page(heading="Rundgang geöffnet",
                                 paragraphs=["Sie werden zum Rundgang weitergeleitet."],
                                 contact=ctx["contact"]),
                       redirect=entry_url(ctx, f"{registration_id}.{secret}"))


def _seconds_to_midnight(now: Any) -> int:
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int((tomorrow - now).total_seconds()))
