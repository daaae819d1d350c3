"""A reviewer submits a review (rate limits, the confirm link by mail) and confirms it:
the automatic checks then decide ``published`` or ``in_review`` within the confirm POST."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib import ratelimit
from chalicelib.body import Body
from chalicelib.clock import berlin_date, epoch_seconds, iso, parse_iso
from chalicelib.errors import RateLimited
from chalicelib.links.service import RETRY_PREFIX, StaleLink, Submission
from chalicelib.mail import deliverability, recipient_cap
from chalicelib.mail.outbox import OutboxMail
from chalicelib.reviews import events as review_events
from chalicelib.reviews import mails, sampling
from chalicelib.reviews.checks import ReviewUnderCheck, run_checks
from chalicelib.reviews.context import ATTEMPTS, PURPOSE_CONFIRM, ReviewContext
from chalicelib.reviews.evidence import DynamoEvidence
from chalicelib.reviews.model import AWAITING, PUBLISHED, ReviewInput, transition
from chalicelib.reviews.repository import apply_changes
from chalicelib.reviews.signals import ip_key
from chalicelib.reviews.texts import COUNT_TEXTS
from chalicelib.secrets_util import new_id
from chalicelib.storage.dynamo import Condition, Item, Transaction, TransactionCancelled
from chalicelib.storage.retry import Retry, optimistic
from chalicelib.validation import email_key

BURST_FLAG_CAP = 20


class Submissions:
    def __init__(self, ctx: ReviewContext) -> None:
        self.ctx = ctx

    def submit(self, agency_id: str, body: Body[ReviewInput], client_ip: str | None,
               user_agent: str | None) -> dict[str, Any]:
        ctx = self.ctx
        agency = ctx.agency(agency_id)
        data = body.get()
        deliverability.require_mail_domain(ctx.settings, data.email)  # deployed stages
        now = ctx.clock.now()
        review_id = new_id()
        ip_hash = ip_key(ctx.settings.hash_key, client_ip)
        item: Item = {
            "review_id": review_id, "agency_id": agency_id,
            "agency_name": agency.get("name") or agency_id, "status": AWAITING,
            "rating": data.rating, "title": data.title, "text": data.text,
            "reviewer_name": data.reviewer_name, "email": data.email,
            "email_hash": ctx.hash("email", email_key(data.email)),
            "submitted_at": iso(now), "status_at": iso(now),
            "purge_at": iso(now + timedelta(days=ctx.settings.review_unconfirmed_purge_days)),
            "version": 1,
        }
        if data.phone:
            item["phone"] = data.phone
            item["phone_hash"] = ctx.hash("phone", data.phone)
        if ip_hash:
            item["ip_hash"] = ip_hash
        if user_agent:
            item["user_agent"] = user_agent[:300]
        stamp, retry_after = ratelimit.window(now)
        suppressed = False

        def attempt(_number: int) -> dict[str, Any]:
            nonlocal suppressed
            tx = Transaction(ctx.core.client)
            if not suppressed:
                recipient_cap.stage(tx, ctx.core, ctx.settings.hash_key, data.email, now,
                                    ctx.settings.mail_per_recipient_per_day)
            ratelimit.stage(tx, ctx.core, "rate_email",
                            f"review-email#{agency_id}#{item['email_hash']}#{stamp}",
                            ctx.settings.review_rate_per_email_per_hour, now)
            if ip_hash:
                # Loopback and private addresses carry no signal and are never limited.
                ratelimit.stage(tx, ctx.core, "rate_ip", f"review-ip#{agency_id}#{ip_hash}#{stamp}",
                                ctx.settings.review_rate_per_ip_per_hour, now)
            link = ctx.links.issue(
                tx, purpose=PURPOSE_CONFIRM, record_id=review_id, agency_id=agency_id,
                valid_for=timedelta(days=ctx.settings.review_confirm_link_days),
                context={"review": item})
            stored = {**item, "confirm_link": link.token_hash, "link_hashes": {link.token_hash}}
            if suppressed:  # the per-recipient cap (issue 19): QA sees why no mail went out
                stored["mail_suppressed"] = True
            ctx.repo.stage_new_review(tx, stored)
            ctx.repo.stage_identity(tx, stored, ctx.ip_keep)
            staged = ctx.stage_mails(tx, [] if suppressed else [OutboxMail(
                f"{review_id}-confirm", "review_confirm",
                mails.confirm_mail(item, link.url, link.expires_at),
                ref_kind="review", ref_id=review_id)])
            try:
                tx.execute()
            except TransactionCancelled as exc:
                if exc.failed & {"rate_email", "rate_ip", "ident:email", "ident:phone",
                                 "ident:ip"}:
                    raise RateLimited(retry_after=retry_after) from exc
                if recipient_cap.only_cap_failed(exc.failed):
                    suppressed = True  # 202 all the same, without the confirm mail
                    raise Retry() from exc
                if exc.conflict and not exc.failed:
                    raise Retry() from exc
                raise
            ctx.outbox.deliver(staged)
            return {"review_id": review_id, "status": AWAITING}

        # One more than the others: the per-recipient cap may take one attempt.
        return optimistic(attempt, attempts=ATTEMPTS + 1)

    # -- confirmation (link) ------------------------------------------------------------

    def stage_confirmation(self, tx: Transaction, snapshot: Item, submission: Submission
                           ) -> tuple[Item, list[OutboxMail]]:
        ctx = self.ctx
        # The stored review, not the link's snapshot of the submission: what happened since
        # (the reviewer's address bounced, SES feedback) must survive the confirmation.
        current, evidence = DynamoEvidence.read(ctx, snapshot)
        if current is None or current["status"] != AWAITING:
            raise StaleLink()
        return self.stage_checked(tx, current, evidence, submission)

    def stage_checked(self, tx: Transaction, current: Item, evidence: DynamoEvidence,
                      submission: Submission, *, create: bool = False
                      ) -> tuple[Item, list[OutboxMail]]:
        """The automatic checks on a review ``AWAITING`` confirmation, and the outcome
        (``published`` or ``in_review``) staged in ``tx``. ``create``: the review is not
        stored yet (an invited review: its link stands for the confirmation) and is
        written here in its decided state, with its identity entries."""
        ctx = self.ctx
        checked = run_checks(ReviewUnderCheck(
            review_id=current["review_id"], agency_id=current["agency_id"],
            email=current["email"], text=current["text"], title=current.get("title") or "",
            reviewer_name=current.get("reviewer_name") or "",
            submitted_at=parse_iso(current["submitted_at"]), phone=current.get("phone"),
            ip_hash=current.get("ip_hash")), evidence)
        now = ctx.clock.now()
        # No contact, no publication: a bounce before the confirmation keeps its finding.
        clean = checked.clean and not current.get("contact_undeliverable")
        new = transition(AWAITING, "confirm_clean" if clean else "confirm_findings")
        sets: dict[str, Any] = {
            "status": new, "confirmed_at": iso(now), "status_at": iso(now),
            "findings": [*(current.get("findings") or []),
                         *(f.as_dict() for f in checked.findings)],
            "borderline": checked.borderline, "sim_bands": evidence.band_keys,
        }
        confirm_ip = ip_key(ctx.settings.hash_key, submission.ip)
        if confirm_ip:
            sets["confirm_ip_hash"] = confirm_ip
        if submission.user_agent:
            sets["confirm_user_agent"] = submission.user_agent[:300]
        removes = ["purge_at"]
        burst = self._stage_burst(tx, current, evidence, now)
        if new == PUBLISHED:
            sets["published_at"] = iso(now)
            plan_sets, plan_removes = sampling.plan(ctx, {**current, **sets}, berlin_date(now))
            sets.update(plan_sets)
            removes += plan_removes
            if checked.borderline:
                sets.update(sampling.flag_sets({**current, **sets}, "borderline",
                                               "Ähnlicher Text wie eine andere Bewertung.",
                                               "checks", now))
        else:
            sets["due_by"] = ctx.due_by(now)
        if burst:
            sets.update(sampling.flag_sets({**current, **sets}, "burst", burst, "checks", now))
        if create:
            after = {**apply_changes(current, sets, removes), "version": 1}
            ctx.repo.stage_new_review(tx, after)
            ctx.repo.stage_identity(tx, after, ctx.ip_keep)
            review_events.emit_change(ctx.repo.events, tx, current, after)
        else:
            after = ctx.repo.stage_review_change(
                tx, current, sets, removes,
                condition=Condition("{status} = {:s} AND {version} = {:v}", s=AWAITING,
                                    v=int(current["version"])),
                # Changed since the read (a bounce just arrived): read again, not 410.
                label=f"{RETRY_PREFIX}review")
        ctx.repo.stage_similarity(tx, current["review_id"], evidence.band_members(),
                                  label_prefix=RETRY_PREFIX)
        if burst:
            self._flag_burst_neighbours(tx, evidence, burst, now)
        outgoing: list[OutboxMail] = []
        if new == PUBLISHED:
            ctx.stage_public_change(tx, current, after)
            outgoing = ctx.publication_mails(after, after["version"], evidence.agency)
        return after, ctx.stage_mails(tx, outgoing)

    # -- bursts ---------------------------------------------------------------------------

    def _stage_burst(self, tx: Transaction, review: Item, evidence: DynamoEvidence,
                     now: datetime) -> str | None:
        """Enters a review from an email new to the agency in its day's burst item; the
        reason of a burst flag when it makes ``BURST_SIZE`` within 24 h, else ``None``."""
        if evidence.same_email_reviews():
            return None
        day = parse_iso(review["submitted_at"]).date()
        expires = parse_iso(f"{day.isoformat()}T00:00:00.000Z") + self.ctx.ip_keep
        self.ctx.repo.stage_burst_entry(tx, review, epoch_seconds(expires))
        count = len(evidence.burst_neighbours()) + 1
        if count < sampling.BURST_SIZE:
            return None
        return COUNT_TEXTS["burst"](count)

    def _flag_burst_neighbours(self, tx: Transaction, evidence: DynamoEvidence, reason: str,
                               now: datetime) -> None:
        """The earlier reviews of the burst are part of it too: each published one not
        flagged for it yet gets the flag (at most ``BURST_FLAG_CAP`` per confirmation; a
        later member flags the rest)."""
        ids = [entry.rsplit("#", 1)[1] for entry in evidence.burst_neighbours()]
        found = self.ctx.repo.get_reviews(ids[:BURST_FLAG_CAP])
        for number, other in enumerate(found.values()):
            if other["status"] != PUBLISHED or any(
                    f.get("source") == "burst" for f in other.get("flags") or []):
                continue
            self.ctx.repo.stage_review_change(
                tx, other, sampling.flag_sets(other, "burst", reason, "checks", now),
                condition=Condition("{version} = {:v}", v=int(other["version"])),
                label=f"{RETRY_PREFIX}burst:{number}")
