"""The nightly ``review-sweep``: purge unconfirmed reviews after 30 days, expire
unanswered re-verifications and statement/proof requests, then sample published reviews
for re-verification. Only index Queries find the work; every write re-checks the state
in its condition, so a second run on the same day finds nothing left to do."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from chalicelib.clock import berlin_date, iso, parse_iso
from chalicelib.errors import Conflict
from chalicelib.mail.outbox import OutboxMail
from chalicelib.reviews import mails, sampling, texts
from chalicelib.reviews.context import PURPOSE_REVERIFY, REVERIFY_FIELDS, Retry, ReviewContext
from chalicelib.reviews.erasure import ReviewErasure
from chalicelib.reviews.model import AWAITING, BLOCKED, PUBLISHED, REPORTED, transition
from chalicelib.reviews.reports import Reports
from chalicelib.storage.dynamo import Condition, Item

log = logging.getLogger("freigabe.reviews")


@dataclass
class SweepReport:
    purged: int = 0
    reverification_requested: int = 0
    reverification_unanswered: int = 0
    reports_blocked: int = 0
    removed_erased: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    stopped_for_time: bool = False

    def as_dict(self) -> dict[str, Any]:
        summary = {"purged": self.purged,
                   "reverification_requested": self.reverification_requested,
                   "reverification_unanswered": self.reverification_unanswered,
                   "reports_blocked": self.reports_blocked, "skipped": self.skipped,
                   "removed_erased": self.removed_erased,
                   "errors": len(self.errors)}
        if self.stopped_for_time:
            summary["stopped_for_time"] = True
        return summary


class ReviewSweep:
    def __init__(self, ctx: ReviewContext, reports: Reports, erasure: ReviewErasure) -> None:
        self.ctx = ctx
        self.reports = reports
        self.erasure = erasure

    def run(self, should_stop: Callable[[], bool] = lambda: False) -> SweepReport:
        """No cap on the work: when ``should_stop`` says the time is up, the run ends and
        the next scheduled run finds what is left still in the indexes."""
        ctx = self.ctx
        report = SweepReport()
        now = ctx.clock.now()
        for item in ctx.repo.due(iso(now)):
            if should_stop():
                report.stopped_for_time = True
                return report
            kind = item["due_sk"].split("#")[1]
            handler = {"purge": self._purge, "reverify": self._reverify_expired,
                       "answer": self._answer_expired, "erase": self._erase_removed}.get(kind)
            try:
                done = handler(item) if handler else False
            except (Retry, Conflict):
                done = False
            except Exception as exc:  # one broken record must not stop the nightly pass
                log.exception("review-sweep item failed", extra={"due_sk": item.get("due_sk")})
                report.errors.append(type(exc).__name__)
                done = False
            if done:
                setattr(report, str(done), getattr(report, str(done)) + 1)
            else:
                report.skipped += 1
        today = berlin_date(now)
        for item in ctx.repo.reverify_candidates(today.isoformat()):
            if should_stop():
                report.stopped_for_time = True
                return report
            try:
                if self._request_reverification(item):
                    report.reverification_requested += 1
                else:
                    report.skipped += 1
            except Retry:
                report.skipped += 1
            except Exception as exc:
                log.exception("review-sweep sample failed",
                              extra={"review_id": item.get("review_id")})
                report.errors.append(type(exc).__name__)
        return report

    def _purge(self, item: Item) -> str | bool:
        ctx = self.ctx
        if item["status"] != AWAITING or item.get("purge_at", "~") > iso(ctx.clock.now()):
            return False
        tx = ctx.transaction()
        ctx.repo.stage_delete_review(tx, item, Condition(
            "{status} = {:s} AND {version} = {:v}", s=AWAITING, v=int(item["version"])))
        ctx.repo.stage_forget_identity(tx, item, ctx.ip_keep)
        for number, token_hash in enumerate(sorted(item.get("link_hashes") or ())):
            ctx.retire_link(tx, token_hash, scrub=True, label=f"retire:{number}")
        ctx.execute(tx)
        return "purged"

    def _reverify_expired(self, item: Item) -> str | bool:
        ctx = self.ctx
        now = ctx.clock.now()
        if not item.get("reverify_link") or item.get("reverify_deadline", "~") > iso(now):
            return False
        finding = {"check": "reverification_unanswered",
                   "detail": texts.text("finding_reverification_unanswered",
                                        deadline=parse_iso(item["reverify_deadline"]))}
        sets: dict[str, Any] = {"findings": [*(item.get("findings") or []), finding]}
        if item["status"] == PUBLISHED:
            sets.update({"status": transition(PUBLISHED, "reverification_unanswered"),
                         "status_at": iso(now), "due_by": ctx.due_by(now)})
        tx = ctx.transaction()
        ctx.retire_link(tx, item["reverify_link"], label="retire_reverify")
        after = ctx.repo.stage_review_change(
            tx, item, sets, REVERIFY_FIELDS,
            condition=Condition("{reverify_link} = {:h} AND {version} = {:v}",
                                h=item["reverify_link"], v=int(item["version"])))
        staged = ctx.stage_public_change(tx, item, after, why=texts.text(
            "why_reverification_unanswered", deadline=parse_iso(item["reverify_deadline"])))
        ctx.execute(tx)
        ctx.outbox.deliver(staged)
        return "reverification_unanswered"

    def _erase_removed(self, item: Item) -> str | bool:
        """A removed review's year as a record is over: its personal data goes."""
        if item["status"] != BLOCKED or item.get("erase_at", "~") > iso(self.ctx.clock.now()):
            return False
        return "removed_erased" if self.erasure.erase(item["review_id"], "review-sweep") else False

    def _answer_expired(self, deadline: Item) -> str | bool:
        ctx = self.ctx
        if deadline.get("deadline", "~") > iso(ctx.clock.now()):
            return False
        report = ctx.repo.get_report(deadline["report_id"])
        if (report is None or report["status"] != "open"
                or report.get(f"{deadline['kind']}_link") != deadline["link_hash"]):
            return False
        review = ctx.repo.get_review(report["review_id"])
        if review is None or review["status"] != REPORTED:
            return False
        reason = texts.text("answer_expired_reason", proof=deadline["kind"] == "proof",
                            deadline=parse_iso(deadline["deadline"]))
        tx = ctx.transaction()
        _report, _review, staged = self.reports.stage_resolution(
            tx, report, review, "block", reason, "review-sweep")
        ctx.execute(tx)
        ctx.outbox.deliver(staged)
        return "reports_blocked"

    def _request_reverification(self, item: Item) -> bool:
        """Asks a review whose sampled day or flag has come, once: the sample's period
        counts as asked (the next period's day is planned now), the flag is done."""
        ctx = self.ctx
        if item["status"] != PUBLISHED or item.get("reverify_link") or not item.get("email"):
            return False
        now = ctx.clock.now()
        today = berlin_date(now)
        sample_due = bool(item.get("reverify_ask_on")) and item["reverify_ask_on"] <= today.isoformat()
        flag = item.get("flag")
        flag_due = bool(flag) and (flag or {}).get("on", "~") <= today.isoformat()
        if not (sample_due or flag_due):
            return False
        sets: dict[str, Any] = {"reverify_reason": "flag" if flag_due else "sample"}
        removes: list[str] = ["flag"] if flag_due else []
        if sample_due:
            sets["last_sample_period"] = int(item["reverify_period"])
            plan_sets, plan_removes = sampling.plan(
                ctx, {**item, **sets}, today + timedelta(days=1))
            sets.update(plan_sets)
            removes += plan_removes
        valid_for = timedelta(days=ctx.settings.review_reverify_link_days)
        tx = ctx.transaction()
        link = ctx.links.issue(
            tx, purpose=PURPOSE_REVERIFY, record_id=item["review_id"],
            agency_id=item["agency_id"], valid_for=valid_for,
            context={"review_id": item["review_id"], "agency_name": item.get("agency_name"),
                     "title": item["title"], "rating": item["rating"],
                     "reviewer_name": item["reviewer_name"]})
        ctx.repo.stage_review_change(
            tx, item, {**sets, "reverify_link": link.token_hash,
                       "reverify_deadline": iso(link.expires_at),
                       "reverify_requested_at": iso(now)}, removes,
            condition=Condition("{status} = {:s} AND {version} = {:v} AND "
                                "attribute_not_exists({reverify_link})",
                                s=PUBLISHED, v=int(item["version"])),
            adds={"link_hashes": {link.token_hash}})
        staged = ctx.stage_mails(tx, [OutboxMail(
            f"{item['review_id']}-reverify-{today.isoformat()}", "review_reverify",
            mails.reverify_mail(item, link.url, link.expires_at),
            ref_kind="review", ref_id=item["review_id"])])
        ctx.execute(tx)
        ctx.outbox.deliver(staged)
        return True
