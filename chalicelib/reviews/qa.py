"""QA's decisions on reviews: publish or reject one in review, the phone re-check, and
the bounce rule (no contact with the reviewer, no publication)."""

from __future__ import annotations

from typing import Any

from chalicelib.auth.actor import Actor
from chalicelib.body import Body
from chalicelib.clock import berlin_date, iso
from chalicelib.errors import Conflict
from chalicelib.mail.outbox import OutboxMail
from chalicelib.metrics import REVIEWS_PUBLISHED, REVIEWS_REJECTED
from chalicelib.reviews import mails, texts
from chalicelib.reviews.context import REVERIFY_FIELDS, ReviewContext
from chalicelib.reviews.model import (
    DELETED,
    FINDING_CATEGORY,
    IN_REVIEW,
    PUBLISHED,
    REPORTED,
    DecisionInput,
    PhoneCheckInput,
    transition,
)
from chalicelib.reviews.views import qa_view
from chalicelib.storage.dynamo import Condition

REVIEWER_MAIL_KINDS = frozenset({
    "review_confirm", "review_published", "review_rejected", "review_reverify",
    "review_answer_request", "review_report_outcome_reviewer"})


class QaDecisions:
    def __init__(self, ctx: ReviewContext) -> None:
        self.ctx = ctx

    def decide(self, review_id: str, actor: Actor, body: Body[DecisionInput]
               ) -> dict[str, Any]:
        ctx = self.ctx

        def attempt() -> dict[str, Any]:
            item = ctx.review(review_id)
            if item["status"] != IN_REVIEW:
                raise Conflict("Nur Bewertungen in Prüfung können entschieden werden.",
                               code="not_in_review")
            data = body.get()
            now = ctx.clock.now()
            new = transition(item["status"], data.decision)
            record: dict[str, Any] = {"decision": data.decision, "reason": data.reason,
                                      "by": actor.as_dict(), "at": iso(now)}
            sets: dict[str, Any] = {"status": new, "status_at": iso(now)}
            category = None
            if data.decision == "reject":
                category = data.category or next(
                    (FINDING_CATEGORY[f["check"]] for f in item.get("findings") or []
                     if f.get("check") in FINDING_CATEGORY), "other")
                record["category"] = category
                sets["rejection_category"] = category
            else:
                sets["published_at"] = item.get("published_at") or iso(now)
                sets["reverify_eligible_on"] = ctx.eligible_on(item, berlin_date(now))
            sets["decisions"] = [*(item.get("decisions") or []), record]
            tx = ctx.transaction()
            after = ctx.repo.stage_review_change(
                tx, item, sets, condition=Condition("{version} = {:v} AND {status} = {:s}",
                                                    v=int(item["version"]), s=IN_REVIEW))
            if new == PUBLISHED:
                ctx.stage_public_change(tx, item, after)
                outgoing = ctx.publication_mails(
                    after, after["version"], ctx.agency_repo.get_agency(item["agency_id"]))
            else:
                assert category is not None
                outgoing = [OutboxMail(f"{review_id}-rejected-v{after['version']}",
                                       "review_rejected", mails.rejected_mail(after, category),
                                       ref_kind="review", ref_id=review_id)]
            staged = ctx.stage_mails(tx, outgoing)
            ctx.execute(tx)
            if new == PUBLISHED:
                ctx.metrics.count(REVIEWS_PUBLISHED, via="qa")
            else:
                ctx.metrics.count(REVIEWS_REJECTED)
            ctx.outbox.deliver(staged)
            return qa_view(after)

        return ctx.run(attempt)

    def phone_check(self, review_id: str, actor: Actor, body: Body[PhoneCheckInput]
                    ) -> dict[str, Any]:
        ctx = self.ctx

        def attempt() -> dict[str, Any]:
            item = ctx.review(review_id)
            if item["status"] not in (PUBLISHED, IN_REVIEW, REPORTED):
                raise Conflict("Eine telefonische Prüfung ist in diesem Status nicht möglich.",
                               code="invalid_status")
            if not item.get("phone"):
                raise Conflict("Zu dieser Bewertung gibt es keine Telefonnummer.",
                               code="no_phone")
            data = body.get()
            now = ctx.clock.now()
            today = berlin_date(now)
            record = {"confirmed": data.confirmed, "note": data.note, "by": actor.as_dict(),
                      "at": iso(now)}
            sets: dict[str, Any] = {"phone_checks": [*(item.get("phone_checks") or []), record]}
            removes: list[str] = []
            tx = ctx.transaction()
            if data.confirmed:
                # A confirmed call is a re-verification ("telefonische Prüfung").
                sets.update({"reverified_at": iso(now), "reconfirmed_on": today.isoformat(),
                             "last_sampled_on": today.isoformat(), "borderline": False})
                if item.get("reverify_link"):
                    ctx.retire_link(tx, item["reverify_link"], label="retire_reverify")
                    removes += REVERIFY_FIELDS
                sets["reverify_eligible_on"] = ctx.eligible_on({**item, **sets}, today)
            else:
                detail = texts.text("finding_phone_check_failed")
                if data.note:
                    detail += f" {texts.text('note_prefix')} {data.note}"
                sets["findings"] = [*(item.get("findings") or []),
                                    {"check": "phone_check_failed", "detail": detail}]
                if item["status"] in (PUBLISHED, IN_REVIEW):
                    new = transition(item["status"], "phone_check_failed")
                    if new != item["status"]:
                        sets.update({"status": new, "status_at": iso(now),
                                     "due_by": ctx.due_by(now)})
            after = ctx.repo.stage_review_change(
                tx, item, sets, removes,
                condition=Condition("{version} = {:v}", v=int(item["version"])))
            ctx.stage_public_change(tx, item, after)
            ctx.execute(tx)
            return qa_view(after)

        return ctx.run(attempt)

    def mail_failed(self, review_id: str, mail_kind: str) -> None:
        """A mail to the reviewer bounced or was given up: no contact, no publication. A
        published review goes back to QA with a finding that says why; any other status
        keeps its place and gets the flag (and the finding, for QA to see)."""
        ctx = self.ctx
        if mail_kind not in REVIEWER_MAIL_KINDS:
            return
        item = ctx.repo.get_review(review_id)
        if item is None or item.get("contact_undeliverable") or item["status"] == DELETED:
            return
        now = ctx.clock.now()
        finding = {"check": "contact_undeliverable",
                   "detail": texts.text("finding_contact_undeliverable")}
        sets: dict[str, Any] = {"contact_undeliverable": True,
                                "findings": [*(item.get("findings") or []), finding]}
        if item["status"] == PUBLISHED:
            sets.update({"status": transition(PUBLISHED, "contact_undeliverable"),
                         "status_at": iso(now), "due_by": ctx.due_by(now)})
        tx = ctx.transaction()
        after = ctx.repo.stage_review_change(
            tx, item, sets, condition=Condition("{version} = {:v}", v=int(item["version"])))
        ctx.stage_public_change(tx, item, after)
        ctx.execute(tx)
