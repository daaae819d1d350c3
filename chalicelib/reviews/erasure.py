"""One person's reviews for the platform's (ops) Art. 15 export and Art. 17 erasure, and
the erasure of the reviewer's answers in the report cases about a review."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.clock import iso
from chalicelib.reviews import events as review_events
from chalicelib.reviews import texts
from chalicelib.reviews.context import PERSONAL_FIELDS, REVERIFY_FIELDS, ReviewContext
from chalicelib.reviews.items import ReviewItem, answer_link
from chalicelib.reviews.model import DELETED
from chalicelib.reviews.views import ANSWER_KINDS, report_ids, reviewer_answers, without_answers
from chalicelib.storage.dynamo import Condition, Transaction
from chalicelib.validation import email_key


def stage_erase_answers(ctx: ReviewContext, tx: Transaction, review: ReviewItem, by: str, now: str,
                        handled: str | None = None) -> set[str]:
    """Takes the reviewer's statements and proofs out of every report case about the
    review (but ``handled``, which the caller changes itself); an open case ends with
    the review ("delete"), its pending requests and their deadlines with it. Returns
    the request links to retire."""
    retire: set[str] = set()
    for number, report in enumerate(ctx.repo.get_reports(report_ids(review) - {handled})):
        sets, removes = without_answers(report), []
        if report["status"] == "open":
            sets.update({"status": "resolved", "outcome": "delete", "resolved_at": now,
                         "resolved_by": by,
                         "resolution_reason": texts.text("erased_resolution")})
            for kind in ANSWER_KINDS:
                link = answer_link(report, kind)
                if link:
                    retire.add(link)
                    removes.append(f"{kind}_link")
                ctx.repo.stage_drop_deadline(tx, report["report_id"], kind)
        if sets or removes:
            ctx.repo.stage_report_change(tx, report, sets, removes, label=f"report:{number}")
    return retire


class ReviewErasure:
    def __init__(self, ctx: ReviewContext) -> None:
        self.ctx = ctx
        # ``holder(agency_id, subject)``: erases the review's data held elsewhere (webhook
        # deliveries not gone out yet carry its title); idempotent.
        self.holders: list[Callable[[str, str], Any]] = []

    def reviews_of(self, agency_id: str, email: str) -> list[ReviewItem]:
        """The reviews one person (by email) wrote about one agency, deleted ones left out."""
        repo = self.ctx.repo
        ids = repo.ident_review_ids(agency_id, "email", self.ctx.hash("email", email_key(email)))
        found = repo.get_reviews(ids)
        return [found[i] for i in ids if i in found and found[i]["status"] != DELETED]

    def erase(self, review_id: str, by: str) -> bool:
        """Deletes a review the way QA's "delete" resolution does: status ``deleted``, the
        reviewer's data and identity entries gone, its links retired and scrubbed, the
        public summary corrected. False when it was gone already."""
        ctx = self.ctx
        agency: list[str] = []

        def attempt() -> bool:
            item = ctx.repo.get_review(review_id)
            if item is None or item["status"] == DELETED:
                return False
            agency[:] = [item["agency_id"]]
            now = iso(ctx.clock.now())
            tx = ctx.transaction()
            ctx.repo.stage_forget_identity(tx, item, ctx.ip_keep)
            retire = set(item.get("link_hashes") or ()) | ({item["reverify_link"]}
                                                            if item.get("reverify_link") else set())
            retire |= stage_erase_answers(ctx, tx, item, by, now)
            for number, token_hash in enumerate(sorted(retire)):
                ctx.retire_link(tx, token_hash, scrub=True, label=f"retire:{number}")
            after = ctx.repo.stage_review_change(
                # Not a life-cycle event: an erasure request ends any status, final or not.
                tx, item, {"status": DELETED, "status_at": now,
                           "deleted_at": now, "deleted_by": by},
                [*PERSONAL_FIELDS, *REVERIFY_FIELDS, "purge_at", "open_report_id"],
                condition=Condition("{version} = {:v}", v=int(item["version"])))
            staged = ctx.stage_public_change(tx, item, after, why=texts.text("why_erased"))
            ctx.execute(tx)
            ctx.outbox.deliver(staged)
            return True

        erased = bool(ctx.run(attempt))
        for holder in self.holders if erased else ():
            holder(agency[0], review_events.subject(review_id))
        return erased

    def answers_of(self, reviews: list[ReviewItem]) -> list[dict[str, Any]]:
        """The reviewer's statements and proofs in the report cases about ``reviews``."""
        ids = set().union(*(report_ids(r) for r in reviews))
        return [answer for report in self.ctx.repo.get_reports(ids)
                for answer in reviewer_answers(report)]
