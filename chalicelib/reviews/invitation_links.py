"""The pages behind an invitation mail's two links: the review form (GET shows it, POST
submits it once; the link stands for the confirmation, so the review goes straight
through the automatic checks) and the objection to further invitations. German copy in
``links/templates/review_page_invite*.txt`` and ``review_page_objection*.txt``."""

from __future__ import annotations

from datetime import date

from chalicelib.auth.actor import link_actor
from chalicelib.clock import iso
from chalicelib.links.service import (
    RETRY_PREFIX,
    FormField,
    LinkService,
    Outcome,
    Page,
    StaleLink,
    Submission,
)
from chalicelib.metrics import REVIEWS_PUBLISHED
from chalicelib.reviews import mails
from chalicelib.reviews.context import ReviewContext
from chalicelib.reviews.evidence import DynamoEvidence
from chalicelib.reviews.invitations import (
    OBJECTED,
    PURPOSE_INVITE,
    PURPOSE_OBJECTION,
    REVIEWED,
    SENT,
    CustomerBook,
    invitation_key,
    invitation_pk,
    objection_key,
)
from chalicelib.reviews.model import AWAITING, PUBLISHED
from chalicelib.reviews.signals import ip_key
from chalicelib.reviews.submission import Submissions
from chalicelib.reviews.texts import page_copy
from chalicelib.secrets_util import new_id
from chalicelib.storage.dynamo import Condition, Item, Transaction, Update
from chalicelib.validation import email_key

# A review's limits (``model.ReviewInput``), as form fields.
RATINGS = tuple((str(n), f"{mails.stars(n)} ({n} von 5)") for n in range(1, 6))
# At most this many of an address's open invitations end with one objection (one per
# property; a transaction holds 100 operations).
OBJECTION_SWEEP = 25


class InviteAction:
    """The invited customer writes the review."""

    def __init__(self, ctx: ReviewContext, submissions: Submissions) -> None:
        self.ctx = ctx
        self.submissions = submissions

    def describe(self, link: Item) -> Page:
        context = link["context"]
        copy = page_copy("invite", agency_name=context["agency_name"],
                         property_title=context.get("property_title"))
        labels = copy.labels
        details = [(labels["agency"], context["agency_name"])]
        if context.get("property_title"):
            details.append((labels["property"], context["property_title"]))
        return Page(
            heading=copy.heading, paragraphs=copy.paragraphs, details=details,
            button=copy.button, note=copy.note or None,
            fields=[FormField("rating", labels["rating"], multiline=False, max_length=1,
                              choices=RATINGS),
                    FormField("title", labels["title"], multiline=False, min_length=3,
                              max_length=120),
                    FormField("text", labels["text"], min_length=20, max_length=5000),
                    FormField("reviewer_name", labels["reviewer_name"], multiline=False,
                              min_length=2, max_length=80, hint=labels["reviewer_name_hint"])],
            values={"reviewer_name": context.get("suggested_name") or ""})

    def perform(self, link: Item, tx: Transaction, submission: Submission) -> Outcome:
        ctx = self.ctx
        ref = link["context"]["invitation"]
        invitation = ctx.repo.table.get(*invitation_key(ref["agency_id"], ref["address_id"],
                                                        ref["property_id"]))
        if (invitation is None or invitation["status"] != SENT
                or invitation.get("invite_link") != link["token_hash"]):
            raise StaleLink()
        agency = ctx.agency(invitation["agency_id"])
        review = self._review(invitation, agency, submission)
        after, staged = self.submissions.stage_checked(
            tx, review, DynamoEvidence(ctx, review), submission, create=True)
        tx.update(ctx.repo.table, invitation["pk"], invitation["sk"],
                  Update(sets={"status": REVIEWED, "reviewed_at": review["submitted_at"]},
                         adds={"version": 1}),
                  condition=Condition("{status} = {:s} AND {version} = {:v}", s=SENT,
                                      v=int(invitation["version"])),
                  label=f"{RETRY_PREFIX}invitation")
        published = after["status"] == PUBLISHED
        copy = page_copy("confirmed", published=published,
                         due_by=None if published else date.fromisoformat(after["due_by"]))

        def after_commit() -> None:
            if published:
                ctx.metrics.count(REVIEWS_PUBLISHED, via="invitation")
            ctx.outbox.deliver(staged)

        return Outcome(page=Page(heading=copy.heading, paragraphs=copy.paragraphs),
                       after_commit=after_commit)

    def _review(self, invitation: Item, agency: Item, submission: Submission) -> Item:
        """The review as submitted: the invitation's email (the mail's recipient opened
        the link), awaiting the checks that ``stage_checked`` runs at once."""
        ctx, form = self.ctx, submission.form
        now = ctx.clock.now()
        item: Item = {
            "review_id": invitation.get("reserved_review_id") or new_id(),
            "agency_id": invitation["agency_id"],
            "agency_name": agency.get("name") or invitation["agency_id"], "status": AWAITING,
            "rating": int(form["rating"]), "title": form["title"], "text": form["text"],
            "reviewer_name": form["reviewer_name"], "email": invitation["email"],
            "email_hash": ctx.hash("email", email_key(invitation["email"])),
            "submitted_at": iso(now), "status_at": iso(now), "version": 1,
            # Shown as "Auf Einladung des Maklers": the agency chose whom to ask.
            "invited": True, "invitation_id": invitation["invitation_id"],
        }
        ip_hash = ip_key(ctx.settings.hash_key, submission.ip)
        if ip_hash:
            item["ip_hash"] = ip_hash
        if submission.user_agent:
            item["user_agent"] = submission.user_agent[:300]
        return item


class ObjectionAction:
    """The person objects to further invitations from the agency: recorded by keyed email
    hash, the address's open invitations end, and the address gets an activity."""

    def __init__(self, ctx: ReviewContext, book: CustomerBook) -> None:
        self.ctx = ctx
        self.book = book

    def describe(self, link: Item) -> Page:
        context = link["context"]
        copy = page_copy("objection", agency_name=context["agency_name"])
        return Page(heading=copy.heading, paragraphs=copy.paragraphs,
                    details=[(copy.labels["agency"], context["agency_name"])],
                    button=copy.button)

    def perform(self, link: Item, tx: Transaction, submission: Submission) -> Outcome:
        ctx, context = self.ctx, link["context"]
        ref = context["invitation"]
        agency_id, address_id = ref["agency_id"], ref["address_id"]
        now = ctx.clock.now()
        tx.update(ctx.repo.table, *objection_key(agency_id, context["email_hash"]),
                  Update(set_if_missing={"objected_at": iso(now), "agency_id": agency_id}),
                  label="objection")
        open_ones, _ = ctx.repo.table.query(
            Condition("{pk} = {:p}", p=invitation_pk(agency_id, address_id)),
            limit=OBJECTION_SWEEP, consistent=True)
        for number, invitation in enumerate(open_ones):
            if invitation.get("status") != SENT:
                continue
            tx.update(ctx.repo.table, invitation["pk"], invitation["sk"],
                      Update(sets={"status": OBJECTED, "objected_at": iso(now)},
                             adds={"version": 1}),
                      condition=Condition("{version} = {:v}", v=int(invitation["version"])),
                      label=f"{RETRY_PREFIX}invitation:{number}")
            ctx.links.retire(tx, invitation.get("invite_link"), label=f"retire:{number}")
        if open_ones:
            # The address still exists (an erased one takes its invitations and links).
            self.book.stage_activity(tx, agency_id, address_id, {
                "type": "review_invitation", "source": "link",
                "property_id": ref.get("property_id"),
                "note": "Widerspruch gegen weitere Bewertungseinladungen (Link in der "
                        "Einladungs-E-Mail).", "by": link_actor(PURPOSE_OBJECTION).as_dict()},
                at=now)
        copy = page_copy("objected", agency_name=context["agency_name"])
        return Outcome(page=Page(heading=copy.heading, paragraphs=copy.paragraphs))


def register(links: LinkService, ctx: ReviewContext, submissions: Submissions,
             book: CustomerBook) -> None:
    links.register(PURPOSE_INVITE, InviteAction(ctx, submissions))
    links.register(PURPOSE_OBJECTION, ObjectionAction(ctx, book))

