"""QA removes a published (or reported) review that breaks the rules: ``blocked``, with a
statement of reasons (DSA Art. 17: the decision, the facts, the rule, that a person
decided, the redress) to the reviewer and the agency. An open report case about it ends
with the takedown (outcome ``block``). The removed review stays unpublished as the record
of the decision for ``review_removed_keep_days``; then ``review-sweep`` erases it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from chalicelib.auth.actor import Actor
from chalicelib.clock import iso
from chalicelib.mail.outbox import OutboxMail
from chalicelib.reviews import mails
from chalicelib.reviews.context import REVERIFY_FIELDS, ReviewContext
from chalicelib.reviews.items import ReviewItem, answer_link
from chalicelib.reviews.model import (
    REJECT_CATEGORY_EXPLANATIONS,
    REJECT_CATEGORY_LABELS,
    REPORTED,
    TakedownInput,
    transition,
)
from chalicelib.reviews.views import ANSWER_KINDS, qa_view
from chalicelib.storage.dynamo import Condition, Transaction
from chalicelib.validation import validate_model


def erase_at(ctx: ReviewContext, moment: Any) -> str:
    """When a removed review's record may go: kept at least a year (ISO 20488)."""
    return iso(moment + timedelta(days=ctx.settings.review_removed_keep_days))


class Takedowns:
    def __init__(self, ctx: ReviewContext, on_removed: Callable[[Transaction, ReviewItem, str, str],
                                                                list[OutboxMail]]) -> None:
        self.ctx = ctx
        # Stages what else ends with the review (its open notices): set by the facade.
        self.on_removed = on_removed

    def takedown(self, review_id: str, actor: Actor, payload: Any | Callable[[], Any]
                 ) -> dict[str, Any]:
        ctx = self.ctx
        parsed: list[TakedownInput] = []

        def attempt() -> dict[str, Any]:
            item = ctx.review(review_id)
            new = transition(item["status"], "takedown")
            if not parsed:
                parsed.append(validate_model(TakedownInput,
                                             payload() if callable(payload) else payload))
            data = parsed[0]
            now = ctx.clock.now()
            by = actor.as_dict()
            record = {"decision": "takedown", "category": data.category, "reason": data.reason,
                      "by": by, "at": iso(now)}
            sets: dict[str, Any] = {
                "status": new, "status_at": iso(now), "rejection_category": data.category,
                "decisions": [*(item.get("decisions") or []), record], "takedown": record,
                "erase_at": erase_at(ctx, now)}
            removes = ["flag"]
            tx = ctx.transaction()
            if item.get("reverify_link"):
                ctx.retire_link(tx, item["reverify_link"], label="retire_reverify")
                removes += REVERIFY_FIELDS
            condition = Condition("{version} = {:v} AND {status} = {:s}",
                                  v=int(item["version"]), s=item["status"])
            if item["status"] == REPORTED:
                removes.append("open_report_id")
                self._end_report(tx, item, data.reason, by, iso(now))
            after = ctx.repo.stage_review_change(tx, item, sets, removes, condition=condition)
            staged = ctx.stage_public_change(tx, item, after)
            staged += ctx.stage_mails(tx, self._statements(item, data.category, data.reason,
                                                           now, after["version"]))
            staged += self.on_removed(tx, item, "takedown", data.reason)
            ctx.execute(tx)
            ctx.outbox.deliver(staged)
            return qa_view(after)

        return ctx.run(attempt)

    def _end_report(self, tx: Transaction, review: ReviewItem, reason: str, by: Any, now: str
                    ) -> None:
        report = self.ctx.repo.get_report(review.get("open_report_id") or "")
        if report is None or report["status"] != "open":
            return
        for kind in ANSWER_KINDS:
            self.ctx.retire_link(tx, answer_link(report, kind), label=f"retire_{kind}")
            self.ctx.repo.stage_drop_deadline(tx, report["report_id"], kind)
        self.ctx.repo.stage_report_change(
            tx, report, {"status": "resolved", "outcome": "block", "resolved_at": now,
                         "resolved_by": by, "resolution_reason": reason},
            [f"{kind}_link" for kind in ANSWER_KINDS])

    def _statements(self, review: ReviewItem, category: str, reason: str, now: Any, version: int
                    ) -> list[OutboxMail]:
        ctx = self.ctx
        rid = review["review_id"]
        facts = {"category_label": REJECT_CATEGORY_LABELS[category],
                 "category_explanation": REJECT_CATEGORY_EXPLANATIONS[category],
                 "reason": reason, "decided_at": now, "qa_email": ctx.settings.review_qa_email}
        out = []
        if review.get("email") and not review.get("contact_undeliverable"):
            out.append(OutboxMail(f"{rid}-takedown-reviewer-v{version}", "review_takedown",
                                  mails.takedown_mail(review, review["email"], "reviewer",
                                                      **facts),
                                  ref_kind="review", ref_id=rid))
        agency = ctx.agency_repo.get_agency(review["agency_id"])
        if agency and agency.get("contact_email"):
            out.append(OutboxMail(f"{rid}-takedown-agency-v{version}", "review_takedown_agency",
                                  mails.takedown_mail(review, agency["contact_email"], "agency",
                                                      **facts),
                                  ref_kind="review", ref_id=rid))
        return out

