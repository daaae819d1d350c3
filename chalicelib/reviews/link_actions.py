"""The review links' pages and actions: the reviewer confirms a review, confirms it again
when sampled, or answers a report with a statement or proof. The German copy is in
``links/templates/review_page_*.txt``."""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.clock import berlin_date, iso, parse_iso
from chalicelib.links.service import RETRY_PREFIX, FormField, Outcome, Page, StaleLink, Submission
from chalicelib.metrics import REVIEWS_PUBLISHED
from chalicelib.reviews import mails
from chalicelib.reviews.context import (
    PURPOSE_ANSWER,
    PURPOSE_CONFIRM,
    PURPOSE_REVERIFY,
    REVERIFY_FIELDS,
    ReviewContext,
)
from chalicelib.reviews.model import PUBLISHED, REPORT_CATEGORY_LABELS
from chalicelib.reviews.repository import report_key
from chalicelib.reviews.submission import Submissions
from chalicelib.reviews.texts import PageCopy, page_copy
from chalicelib.reviews.views import ANSWER_KINDS
from chalicelib.storage.dynamo import Condition, Item, Transaction, Update

ANSWER_MAX_LENGTH = 5000


def _review_details(copy: PageCopy, ctx: dict[str, Any]) -> list[tuple[str, str]]:
    return [(copy.labels["agency"], ctx.get("agency_name") or ""),
            (copy.labels["rating"], mails.stars(ctx["rating"])),
            (copy.labels["title"], ctx.get("title") or "")]


class ConfirmAction:
    """The reviewer confirms the review: the checks run and decide published / in_review."""

    def __init__(self, ctx: ReviewContext, submissions: Submissions) -> None:
        self.ctx = ctx
        self.submissions = submissions

    def describe(self, link: Item) -> Page:
        review = link["context"]["review"]
        copy = page_copy("confirm", agency_name=review["agency_name"])
        return Page(heading=copy.heading, paragraphs=copy.paragraphs,
                    details=[*_review_details(copy, review),
                             (copy.labels["reviewer_name"], review["reviewer_name"])],
                    button=copy.button)

    def perform(self, link: Item, tx: Transaction, submission: Submission) -> Outcome:
        snapshot = link["context"].get("review")
        if not snapshot:
            raise StaleLink()
        after, staged = self.submissions.stage_confirmation(tx, snapshot, submission)
        published = after["status"] == PUBLISHED
        copy = page_copy("confirmed", published=published,
                         due_by=None if published else date.fromisoformat(after["due_by"]))

        def after_commit() -> None:
            if published:
                self.ctx.metrics.count(REVIEWS_PUBLISHED, via="checks")
            self.ctx.outbox.deliver(staged)

        return Outcome(page=Page(heading=copy.heading, paragraphs=copy.paragraphs),
                       after_commit=after_commit)


class ReverifyAction:
    """Re-verification by sample: the reviewer confirms a published review again."""

    def __init__(self, ctx: ReviewContext) -> None:
        self.ctx = ctx

    def describe(self, link: Item) -> Page:
        copy = page_copy("reverify")
        return Page(heading=copy.heading, paragraphs=copy.paragraphs,
                    details=_review_details(copy, link["context"]), button=copy.button)

    def perform(self, link: Item, tx: Transaction, submission: Submission) -> Outcome:
        ctx = self.ctx
        item = ctx.repo.get_review(link["context"]["review_id"])
        if item is None or item.get("reverify_link") != link["token_hash"]:
            raise StaleLink()
        now = ctx.clock.now()
        today = berlin_date(now)
        # The next sampled day was planned when the question went out.
        sets: dict[str, Any] = {"reverified_at": iso(now), "reconfirmed_on": today.isoformat(),
                                "borderline": False}
        ctx.repo.stage_review_change(
            tx, item, sets, REVERIFY_FIELDS,
            condition=Condition("{reverify_link} = {:h} AND {version} = {:v}",
                                h=link["token_hash"], v=int(item["version"])),
            # A concurrent change of the review: read it again rather than answer 410.
            label=f"{RETRY_PREFIX}review")
        copy = page_copy("reverified")
        return Outcome(page=Page(heading=copy.heading, paragraphs=copy.paragraphs))


class AnswerAction:
    """The reviewer's statement or proof for a reported review (a German text form)."""

    def __init__(self, ctx: ReviewContext, kind: str) -> None:
        self.ctx = ctx
        self.kind = kind

    def describe(self, link: Item) -> Page:
        ctx = link["context"]
        request = ctx["request"]
        copy = page_copy("answer", proof=self.kind == "proof",
                         deadline=parse_iso(request["deadline"]))
        details = [*_review_details(copy, ctx),
                   (copy.labels["category"],
                    REPORT_CATEGORY_LABELS.get(ctx["category"], ctx["category"])),
                   (copy.labels["complaint"], ctx["complaint"])]
        if request.get("message"):
            details.append((copy.labels["message"], request["message"]))
        return Page(heading=copy.heading, paragraphs=copy.paragraphs, details=details,
                    fields=[FormField("answer", copy.labels["answer"], multiline=True,
                                      required=True, max_length=ANSWER_MAX_LENGTH)],
                    button=copy.button)

    def perform(self, link: Item, tx: Transaction, submission: Submission) -> Outcome:
        ctx = link["context"]
        repo = self.ctx.repo
        now = iso(self.ctx.clock.now())
        answered = {**ctx["request"], "answered_at": now, "answer": submission.form["answer"]}
        if submission.user_agent:
            answered["answer_user_agent"] = submission.user_agent[:300]
        report_id = ctx["report_id"]
        tx.update(repo.table, *report_key(report_id),
                  Update(sets={self.kind: answered}, removes=[f"{self.kind}_link"],
                         adds={"version": 1}),
                  condition=Condition(f"{{{self.kind}_link}} = {{:h}} AND {{status}} = {{:o}}",
                                      h=link["token_hash"], o="open"),
                  label="report")
        repo.stage_drop_deadline(tx, report_id, self.kind)
        copy = page_copy("answered", proof=self.kind == "proof")
        return Outcome(page=Page(heading=copy.heading, paragraphs=copy.paragraphs))


def register(links: Any, ctx: ReviewContext, submissions: Submissions) -> None:
    links.register(PURPOSE_CONFIRM, ConfirmAction(ctx, submissions))
    links.register(PURPOSE_REVERIFY, ReverifyAction(ctx))
    for kind in ANSWER_KINDS:
        links.register(PURPOSE_ANSWER[kind], AnswerAction(ctx, kind))
