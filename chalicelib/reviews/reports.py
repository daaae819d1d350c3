"""The agency's side of a published review — its public comment and its report
("Problem melden") — and QA's handling of a report case: the reviewer's statement or
proof by link, with a deadline, and the resolution (keep, block, delete)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.auth.actor import Actor
from chalicelib.body import Body
from chalicelib.clock import iso
from chalicelib.errors import Conflict
from chalicelib.mail.outbox import OutboxMail
from chalicelib.reviews import mails, sampling
from chalicelib.reviews.context import (
    PERSONAL_FIELDS,
    PURPOSE_ANSWER,
    REVERIFY_FIELDS,
    ReviewContext,
)
from chalicelib.reviews.erasure import stage_erase_answers
from chalicelib.reviews.items import ReportItem, ReviewItem, answer, answer_link
from chalicelib.reviews.model import (
    BLOCKED,
    DELETED,
    PUBLIC_STATUSES,
    PUBLISHED,
    REPORTED,
    AnswerRequestInput,
    CommentInput,
    ReportInput,
    ResolveInput,
    transition,
)
from chalicelib.reviews.repository import review_key
from chalicelib.reviews.takedown import erase_at
from chalicelib.reviews.views import ANSWER_KINDS, agency_view, report_view, without_answers
from chalicelib.secrets_util import new_id
from chalicelib.storage.dynamo import Condition, Item, Transaction, Update


class Reports:
    def __init__(self, ctx: ReviewContext) -> None:
        self.ctx = ctx

    # -- agency ---------------------------------------------------------------------------

    def comment(self, agency_id: str, review_id: str, body: Body[CommentInput]
                ) -> dict[str, Any]:
        ctx = self.ctx

        def attempt() -> dict[str, Any]:
            item = ctx.owned(agency_id, review_id)
            if item["status"] not in PUBLIC_STATUSES:
                raise Conflict("Nur veröffentlichte Bewertungen können kommentiert werden.",
                               code="not_published")
            text = body.get().text
            now = iso(ctx.clock.now())
            old = item.get("comment")
            comment = {"text": text, "created_at": old["created_at"] if old else now,
                       "updated_at": now}
            exists = "attribute_exists" if old else "attribute_not_exists"
            tx = ctx.transaction()
            after = ctx.repo.stage_review_change(
                tx, item, {"comment": comment},
                condition=Condition(f"{{status}} IN ({{:a}}, {{:b}}) AND {exists}({{comment}})",
                                    a=PUBLISHED, b=REPORTED))
            staged: list[OutboxMail] = []
            if not old:
                # The reviewer hears of the first comment only, not of every edit.
                staged = ctx.stage_mails(tx, [OutboxMail(
                    f"{review_id}-commented", "review_commented",
                    mails.commented_mail(item, text), ref_kind="review", ref_id=review_id)])
            ctx.execute(tx)
            ctx.outbox.deliver(staged)
            return agency_view(after)

        return ctx.run(attempt)

    def report(self, agency_id: str, review_id: str, body: Body[ReportInput]
               ) -> dict[str, Any]:
        ctx = self.ctx

        def attempt() -> dict[str, Any]:
            item = ctx.owned(agency_id, review_id)
            if item["status"] == REPORTED:
                raise Conflict("Zu dieser Bewertung ist bereits eine Meldung offen.",
                               code="report_open")
            transition(item["status"], "report")
            data = body.get()
            now = iso(ctx.clock.now())
            report = {"report_id": new_id(), "review_id": review_id, "agency_id": agency_id,
                      "category": data.category, "reason": data.reason, "status": "open",
                      "created_at": now, "version": 1}
            tx = ctx.transaction()
            ctx.repo.stage_new_report(tx, report)
            ctx.repo.stage_review_change(
                tx, item, {"status": REPORTED, "status_at": now,
                           "open_report_id": report["report_id"]},
                # Every report of a review, so an erasure finds the reviewer's answers.
                adds={"report_ids": {report["report_id"]}},
                condition=Condition("{status} = {:s} AND attribute_not_exists({open_report_id})",
                                    s=PUBLISHED))
            ctx.execute(tx)
            return {"report_id": report["report_id"], "status": "open",
                    "review_id": review_id, "category": data.category, "created_at": now}

        return ctx.run(attempt)

    # -- QA -------------------------------------------------------------------------------

    def _open_case(self, report_id: str) -> tuple[ReportItem, ReviewItem]:
        """The open report and its review, still reported (409 otherwise)."""
        report = self.ctx.report(report_id)
        if report["status"] != "open":
            raise Conflict("Diese Meldung ist bereits entschieden.", code="report_resolved")
        return report, self._reported_review(report)

    def _reported_review(self, report: ReportItem) -> ReviewItem:
        review = self.ctx.repo.get_review(report["review_id"])
        if review is None or review["status"] != REPORTED:
            raise Conflict("Die Bewertung ist nicht mehr gemeldet.", code="invalid_status")
        return review

    def request_answer(self, report_id: str, kind: str, actor: Actor,
                       body: Body[AnswerRequestInput]) -> dict[str, Any]:
        ctx = self.ctx

        def attempt() -> dict[str, Any]:
            report = ctx.report(report_id)
            if report["status"] != "open":
                raise Conflict("Diese Meldung ist bereits entschieden.", code="report_resolved")
            if report.get(f"{kind}_link"):
                raise Conflict("Eine Anfrage dieser Art läuft bereits.",
                               code="already_requested")
            review = self._reported_review(report)
            message = body.get().message or None
            now = ctx.clock.now()
            deadline = now + timedelta(days=ctx.settings.review_answer_days)
            request = {"message": message, "requested_at": iso(now),
                       "deadline": iso(deadline), "requested_by": actor.as_dict()}
            sets: dict[str, Any] = {kind: request}
            current = answer(report, kind)
            if current:
                sets["history"] = [*(report.get("history") or []), {"kind": kind, **current}]
            tx = ctx.transaction()
            link = ctx.links.issue(
                tx, purpose=PURPOSE_ANSWER[kind], record_id=report_id,
                agency_id=report["agency_id"],
                valid_for=timedelta(days=ctx.settings.review_answer_days),
                context={"report_id": report_id, "review_id": report["review_id"],
                         "kind": kind, "request": request, "category": report["category"],
                         "complaint": report["reason"],
                         "agency_name": review.get("agency_name"), "title": review["title"],
                         "rating": review["rating"]})
            sets[f"{kind}_link"] = link.token_hash
            after = ctx.repo.stage_report_change(tx, report, sets)
            ctx.repo.stage_deadline(tx, {"report_id": report_id, "kind": kind,
                                         "review_id": report["review_id"],
                                         "link_hash": link.token_hash,
                                         "deadline": iso(deadline)})
            tx.update(ctx.repo.table, *review_key(report["review_id"]),
                      Update(adds={"link_hashes": {link.token_hash}}),
                      condition=Condition("{status} = {:s} AND {open_report_id} = {:r}",
                                          s=REPORTED, r=report_id), label="review")
            number = len(after.get("history") or []) + 1
            staged = ctx.stage_mails(tx, [OutboxMail(
                f"{report_id}-{kind}-{number}", f"review_{kind}_request",
                mails.answer_request_mail(review, report, kind, message, link.url, deadline),
                ref_kind="review", ref_id=report["review_id"])])
            ctx.execute(tx)
            ctx.outbox.deliver(staged)
            review["link_hashes"] = {*(review.get("link_hashes") or ()), link.token_hash}
            return report_view(after, review)

        return ctx.run(attempt)

    def resolve(self, report_id: str, actor: Actor, body: Body[ResolveInput]
                ) -> dict[str, Any]:
        ctx = self.ctx

        def attempt() -> dict[str, Any]:
            report, review = self._open_case(report_id)
            data = body.get()
            tx = ctx.transaction()
            after_report, after_review, staged = self.stage_resolution(
                tx, report, review, data.outcome, data.reason, actor.as_dict())
            ctx.execute(tx)
            ctx.outbox.deliver(staged)
            return report_view(after_report, after_review)

        return ctx.run(attempt)

    def stage_resolution(self, tx: Transaction, report: ReportItem, review: ReviewItem, outcome: str,
                         reason: str, by: Any) -> tuple[Item, Item, list[OutboxMail]]:
        ctx = self.ctx
        now = iso(ctx.clock.now())
        report_id, review_id = report["report_id"], review["review_id"]
        new = transition(review["status"], outcome)
        # Mails first: a deletion erases the address they go to.
        agency = ctx.agency_repo.get_agency(review["agency_id"])
        outgoing = [OutboxMail(f"{report_id}-outcome-reviewer", "review_report_outcome_reviewer",
                               mails.report_outcome_mail(review, outcome, reason,
                                                         to=review["email"], audience="reviewer"),
                               ref_kind="review", ref_id=review_id)]
        if agency and agency.get("contact_email"):
            outgoing.append(OutboxMail(
                f"{report_id}-outcome-agency", "review_report_outcome_agency",
                mails.report_outcome_mail(review, outcome, reason, to=agency["contact_email"],
                                          audience="agency"),
                ref_kind="review", ref_id=review_id))
        report_sets: dict[str, Any] = {"status": "resolved", "outcome": outcome,
                                       "resolution_reason": reason, "resolved_at": now,
                                       "resolved_by": by}
        pending = {link for kind in ANSWER_KINDS
                   if (link := answer_link(report, kind)) is not None}
        if outcome == "delete":
            report_sets.update(without_answers(report))
        after_report = ctx.repo.stage_report_change(
            tx, report, report_sets, [f"{kind}_link" for kind in ANSWER_KINDS])
        for kind in ANSWER_KINDS:
            ctx.repo.stage_drop_deadline(tx, report_id, kind)
        review_sets: dict[str, Any] = {"status": new, "status_at": now}
        review_removes = ["open_report_id"]
        retire = set(pending)
        if new == PUBLISHED:
            # Kept after a report: a flag asks the reviewer again within 30 days.
            review_sets.update(sampling.flag_sets(
                review, "kept_after_report", reason, by, ctx.clock.now()))
        elif review.get("reverify_link"):
            # A hidden review needs no re-verification: its pending question ends here.
            retire.add(review["reverify_link"])
            review_removes += REVERIFY_FIELDS
        if new == BLOCKED:
            review_sets["erase_at"] = erase_at(ctx, ctx.clock.now())
        if new == DELETED:
            retire |= set(review.get("link_hashes") or ())
            review_sets["deleted_at"] = now
            review_removes += PERSONAL_FIELDS
            ctx.repo.stage_forget_identity(tx, review, ctx.ip_keep)
            # Earlier cases about the same review hold the reviewer's answers too.
            retire |= stage_erase_answers(ctx, tx, review, by, now, handled=report_id)
        for number, token_hash in enumerate(sorted(retire)):
            ctx.retire_link(tx, token_hash, scrub=new == DELETED, label=f"retire:{number}")
        after_review = ctx.repo.stage_review_change(
            tx, review, review_sets, review_removes,
            condition=Condition("{status} = {:s} AND {open_report_id} = {:r} AND {version} = {:v}",
                                s=REPORTED, r=report_id, v=int(review["version"])))
        ctx.stage_public_change(tx, review, after_review)
        return after_report, after_review, ctx.stage_mails(tx, outgoing)
