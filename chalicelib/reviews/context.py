"""What every review use case shares: the collaborators, the lookups that answer 404,
and the few steps each transaction repeats (retire a link, stage mails, count a review
in or out of the public summary, retry a read → decide → write that lost a race).

Every state change is one transaction whose conditions name the state it starts from
(status, version, the pending link), so concurrent requests end with one winner and a
409 (API) or 410 (link) for the others; mails are staged in that transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from chalicelib.agencies.repository import AgencyRepository
from chalicelib.clock import Clock
from chalicelib.config import Settings
from chalicelib.errors import NotFound
from chalicelib.links.service import LinkService
from chalicelib.mail.message import Mailbox
from chalicelib.mail.outbox import Outbox, OutboxMail
from chalicelib.metrics import NULL as NULL_METRICS
from chalicelib.metrics import Recorder
from chalicelib.reviews import mails, schedule
from chalicelib.reviews.items import ReportItem, ReviewItem
from chalicelib.reviews.model import DELETED, PUBLIC_STATUSES
from chalicelib.reviews.repository import ReviewRepository
from chalicelib.reviews.signals import AgencyIpLog, keyed_hash
from chalicelib.reviews.workdays import WorkingDays
from chalicelib.storage.dynamo import Item, Table, Transaction, TransactionCancelled
from chalicelib.storage.retry import Retry, optimistic

PURPOSE_CONFIRM = "review-confirm"
PURPOSE_REVERIFY = "review-reverify"
PURPOSE_ANSWER = {"statement": "review-statement", "proof": "review-proof"}
ATTEMPTS = 3
# What a deleted review keeps no more: the reviewer's data and everything that finds it.
PERSONAL_FIELDS = ["email", "email_hash", "phone", "phone_hash", "reviewer_name", "title",
                   "text", "ip_hash", "user_agent", "confirm_ip_hash", "confirm_user_agent",
                   "sim_bands", "phone_checks"]
REVERIFY_FIELDS = ["reverify_link", "reverify_deadline", "reverify_requested_at"]

T = TypeVar("T")


class ReviewContext:
    def __init__(self, repo: ReviewRepository, core: Table, agency_repo: AgencyRepository,
                 links: LinkService, outbox: Outbox, ip_log: AgencyIpLog, clock: Clock,
                 settings: Settings, *, metrics: Recorder = NULL_METRICS) -> None:
        self.repo = repo
        self.metrics = metrics
        self.core = core
        self.agency_repo = agency_repo
        self.links = links
        self.outbox = outbox
        self.ip_log = ip_log
        self.clock = clock
        self.settings = settings
        self.calendar = WorkingDays(saturday=settings.review_saturday_is_working_day,
                                    state=settings.review_holiday_state)

    # -- lookups ------------------------------------------------------------------------

    def hash(self, kind: str, value: str) -> str:
        return keyed_hash(self.settings.hash_key, kind, value)

    def agency(self, agency_id: str) -> Item:
        agency = self.agency_repo.get_agency(agency_id)
        if agency is None:
            raise NotFound("Makler nicht gefunden.")
        return agency

    def review(self, review_id: str) -> ReviewItem:
        item = self.repo.get_review(review_id)
        if item is None or item["status"] == DELETED:
            raise NotFound("Bewertung nicht gefunden.")
        return item

    def owned(self, agency_id: str, review_id: str) -> ReviewItem:
        item = self.review(review_id)
        if item["agency_id"] != agency_id:
            raise NotFound("Bewertung nicht gefunden.")
        return item

    def report(self, report_id: str) -> ReportItem:
        report = self.repo.get_report(report_id)
        if report is None:
            raise NotFound("Meldung nicht gefunden.")
        return report

    # -- rules with this stack's settings ---------------------------------------------------

    @property
    def ip_keep(self) -> timedelta:
        """How long after its UTC day an IP bucket can still be asked: a review of the day
        after may be confirmed until its link expires."""
        return timedelta(days=self.settings.review_confirm_link_days + 3)

    def due_by(self, moment: datetime) -> str:
        return schedule.due_by(self.calendar, moment, self.settings.review_sla_working_days)

    def dashboard_url(self, review_id: str) -> str:
        return f"{self.settings.public_base_url.rstrip('/')}/dashboard/?review={review_id}"

    # -- transaction steps ------------------------------------------------------------------

    def transaction(self) -> Transaction:
        return Transaction(self.repo.table.client)

    def retire_link(self, tx: Transaction, token_hash: str | None, *, scrub: bool = False,
                    label: str = "") -> None:
        """Through ``LinkService.retire``: the link items are the links' to write."""
        self.links.retire(tx, token_hash, scrub=scrub, label=label)

    @property
    def qa_mailbox(self) -> Mailbox:
        return Mailbox(self.settings.review_qa_email, "Qualitätssicherung Bewertungen")

    def stage_mails(self, tx: Transaction, outgoing: list[OutboxMail]) -> list[OutboxMail]:
        """Stages review mails; each answers to QA's own address (Reply-To), so a reply
        to any of them reaches a person."""
        outgoing = [replace(m, message=replace(m.message, reply_to=self.qa_mailbox))
                    for m in outgoing]
        return self.outbox.stage(tx, outgoing) if outgoing else []

    def run(self, attempt: Callable[[], T]) -> T:
        """Runs read → decide → transaction, again when the state moved in between."""
        return optimistic(lambda _number: attempt(), attempts=ATTEMPTS)

    @staticmethod
    def execute(tx: Transaction) -> None:
        try:
            tx.execute()
        except TransactionCancelled as exc:
            raise Retry() from exc

    def publication_mails(self, review: Item, version: int, agency: Item | None
                          ) -> list[OutboxMail]:
        rid = review["review_id"]
        out = [OutboxMail(f"{rid}-published-v{version}", "review_published",
                          mails.published_mail(review), ref_kind="review", ref_id=rid)]
        if agency and agency.get("contact_email"):
            out.append(OutboxMail(f"{rid}-published-agency-v{version}", "review_published_agency",
                                  mails.published_agency_mail(review, agency["contact_email"],
                                                              self.dashboard_url(rid)),
                                  ref_kind="review", ref_id=rid))
        return out

    def stage_public_change(self, tx: Transaction, before: Mapping[str, Any], after: Item,
                            why: str | None = None) -> list[OutboxMail]:
        """The one place a review moves onto or off its agency's public list: the
        summary count, and — with ``why`` — the agency's mail naming the review and the
        reason (callers whose own mail tells the agency already, a report's outcome or a
        takedown's statement of reasons, and the first publication's "Neue Bewertung",
        pass none). Returns the staged mails to deliver after the commit."""
        was, now = before["status"] in PUBLIC_STATUSES, after["status"] in PUBLIC_STATUSES
        if was == now:
            return []
        sign = 1 if now else -1
        self.repo.stage_summary(tx, before["agency_id"], sign, sign * int(before["rating"]),
                                before["review_id"])
        if why is None:
            return []
        agency = self.agency_repo.get_agency(before["agency_id"])
        if not agency or not agency.get("contact_email"):
            return []
        rid = before["review_id"]
        kind = "review_restored_agency" if now else "review_hidden_agency"
        return self.stage_mails(tx, [OutboxMail(
            f"{rid}-{'restored' if now else 'hidden'}-v{after['version']}", kind,
            mails.visibility_agency_mail(before, agency["contact_email"], shown=now, why=why,
                                         dashboard_url=self.dashboard_url(rid),
                                         qa_email=self.settings.review_qa_email),
            ref_kind="review", ref_id=rid)])
