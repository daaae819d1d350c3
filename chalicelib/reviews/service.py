"""Review quality assurance behind one facade: the routes, the jobs and ops call this, and
each call goes to the use case that owns it.

- ``submission``   submit a review, confirm it (the automatic checks, ``evidence``)
- ``listing``      the public, agency and QA lists
- ``qa``           QA's publish/reject, the phone re-check, the bounce rule
- ``reports``      the agency's comment and report, statement/proof, resolution
- ``erasure``      one person's reviews for the ops export and erasure
- ``sweep``        the nightly ``review-sweep``
- ``link_actions`` the pages behind the review links
- ``schedule``     the pure date rules (QA deadline, sampling)
- ``invitations``  the agency invites its customers (``invitation_links``: their pages)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.agencies.repository import AgencyRepository
from chalicelib.auth.actor import Actor
from chalicelib.body import Body
from chalicelib.clock import Clock
from chalicelib.config import Settings
from chalicelib.links.service import LinkService, Submission
from chalicelib.mail.outbox import Outbox, OutboxMail
from chalicelib.metrics import NULL as NULL_METRICS
from chalicelib.metrics import Recorder
from chalicelib.reviews import link_actions
from chalicelib.reviews.context import ReviewContext
from chalicelib.reviews.erasure import ReviewErasure
from chalicelib.reviews.invitation_links import register as register_invitation_links
from chalicelib.reviews.invitations import CustomerBook, InvitationInput, Invitations
from chalicelib.reviews.items import ReviewItem
from chalicelib.reviews.listing import Listings
from chalicelib.reviews.notices import Notices
from chalicelib.reviews.public_face import PublicFace
from chalicelib.reviews.qa import QaDecisions
from chalicelib.reviews.reports import Reports
from chalicelib.reviews.repository import ReviewRepository
from chalicelib.reviews.signals import AgencyIpLog
from chalicelib.reviews.submission import Submissions
from chalicelib.reviews.sweep import ReviewSweep, SweepReport
from chalicelib.reviews.takedown import Takedowns
from chalicelib.storage.cursor import Page
from chalicelib.storage.dynamo import Item, Table, Transaction

if TYPE_CHECKING:
    from chalicelib.reviews.model import (
        AnswerRequestInput,
        CommentInput,
        DecisionInput,
        PhoneCheckInput,
        ReportInput,
        ResolveInput,
        ReviewInput,
    )


Payload = Any | Callable[[], Any]


class ReviewService:
    def __init__(self, repo: ReviewRepository, core: Table, agency_repo: AgencyRepository,
                 links: LinkService, outbox: Outbox, ip_log: AgencyIpLog, clock: Clock,
                 settings: Settings, *, customers: CustomerBook,
                 metrics: Recorder = NULL_METRICS) -> None:
        self.ctx = ctx = ReviewContext(repo, core, agency_repo, links, outbox, ip_log, clock,
                                       settings, metrics=metrics)
        self.repo = repo
        self.settings = settings
        self.clock = clock
        self.submissions = Submissions(ctx)
        self.listings = Listings(ctx)
        self.qa = QaDecisions(ctx)
        self.reports = Reports(ctx)
        self.erasure = ReviewErasure(ctx)
        self.review_sweep = ReviewSweep(ctx, self.reports, self.erasure)
        self.notices = Notices(ctx)
        self.public_face = PublicFace(ctx)
        self.takedowns = Takedowns(ctx, self.notices.stage_review_removed)
        link_actions.register(links, ctx, self.submissions)
        self.invitations = Invitations(ctx, customers)
        register_invitation_links(links, ctx, self.submissions, customers)
        outbox.on_permanent_failure("review", self.qa.mail_failed)

    # -- public ---------------------------------------------------------------------------

    def submit(self, agency_id: str, body: Body[ReviewInput], client_ip: str | None,
               user_agent: str | None) -> dict[str, Any]:
        return self.submissions.submit(agency_id, body, client_ip, user_agent)

    def public_reviews(self, agency_id: str, page: Page) -> dict[str, Any]:
        return self.listings.public_reviews(agency_id, page)

    def profile_page(self, agency_id: str) -> str:
        return self.public_face.profile(agency_id)

    def badge(self, agency_id: str) -> str:
        return self.public_face.badge(agency_id)

    def stage_confirmation(self, tx: Transaction, snapshot: Item, submission: Submission
                           ) -> tuple[Item, list[OutboxMail]]:
        return self.submissions.stage_confirmation(tx, snapshot, submission)

    # -- QA -------------------------------------------------------------------------------

    def qa_reviews(self, status: str | None, page: Page) -> dict[str, Any]:
        return self.listings.qa_reviews(status, page)

    def qa_review(self, review_id: str) -> dict[str, Any]:
        return self.listings.qa_review(review_id)

    def decide(self, review_id: str, actor: Actor, body: Body[DecisionInput]) -> dict[str, Any]:
        return self.qa.decide(review_id, actor, body)

    def phone_check(self, review_id: str, actor: Actor, body: Body[PhoneCheckInput]
                    ) -> dict[str, Any]:
        return self.qa.phone_check(review_id, actor, body)

    def flag(self, review_id: str, actor: Actor, payload: Payload) -> dict[str, Any]:
        return self.qa.flag(review_id, actor, payload)

    def submit_notice(self, agency_id: str, review_id: str, payload: Payload,
                      client_ip: str | None) -> dict[str, Any]:
        return self.notices.submit(agency_id, review_id, payload, client_ip)

    def qa_notices(self, status: str | None, page: Page) -> dict[str, Any]:
        return self.notices.qa_notices(status, page)

    def resolve_notice(self, notice_id: str, actor: Actor, payload: Payload) -> dict[str, Any]:
        return self.notices.resolve(notice_id, actor, payload)

    def takedown(self, review_id: str, actor: Actor, payload: Payload) -> dict[str, Any]:
        return self.takedowns.takedown(review_id, actor, payload)

    def qa_reports(self, status: str | None, page: Page) -> dict[str, Any]:
        return self.listings.qa_reports(status, page)

    def request_answer(self, report_id: str, kind: str, actor: Actor,
                       body: Body[AnswerRequestInput]) -> dict[str, Any]:
        return self.reports.request_answer(report_id, kind, actor, body)

    def resolve(self, report_id: str, actor: Actor, body: Body[ResolveInput]) -> dict[str, Any]:
        return self.reports.resolve(report_id, actor, body)

    # -- agency ---------------------------------------------------------------------------

    def agency_reviews(self, agency_id: str, page: Page) -> dict[str, Any]:
        return self.listings.agency_reviews(agency_id, page)

    def comment(self, agency_id: str, review_id: str, body: Body[CommentInput]) -> dict[str, Any]:
        return self.reports.comment(agency_id, review_id, body)

    def report(self, agency_id: str, review_id: str, body: Body[ReportInput]) -> dict[str, Any]:
        return self.reports.report(agency_id, review_id, body)

    def invite(self, agency_id: str, body: Body[InvitationInput], actor: Actor
               ) -> dict[str, Any]:
        return self.invitations.send(agency_id, body, actor)

    def agency_invitations(self, agency_id: str, address_id: str | None, page: Page
                           ) -> dict[str, Any]:
        return self.invitations.list(agency_id, address_id, page)

    # -- one person's reviews (ops: Art. 15 export, Art. 17 erasure) -----------------------

    def agency_request_seen(self, agency_id: str, ip: str | None) -> None:
        """An authenticated call of the agency came from ``ip``: remembered for the
        self-review check (keyed hash only, once a day per agency and IP, private IPs
        ignored; never raises, so it cannot fail the request)."""
        self.ctx.ip_log.record(agency_id, ip)

    def reviews_of(self, agency_id: str, email: str) -> list[ReviewItem]:
        return self.erasure.reviews_of(agency_id, email)

    def erase(self, review_id: str, by: str) -> bool:
        return self.erasure.erase(review_id, by)

    def answers_of(self, reviews: list[ReviewItem]) -> list[dict[str, Any]]:
        return self.erasure.answers_of(reviews)

    # -- review-sweep and rules -------------------------------------------------------------

    def sweep(self, should_stop: Callable[[], bool] = lambda: False) -> SweepReport:
        return self.review_sweep.run(should_stop)

    def due_by(self, moment: datetime) -> str:
        return self.ctx.due_by(moment)

    def dashboard_url(self, review_id: str) -> str:
        return self.ctx.dashboard_url(review_id)
