"""A reviewer submits a review (rate limits, the confirm link by mail) and confirms it:
the automatic checks then decide ``published`` or ``in_review`` within the confirm POST."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from chalicelib import ratelimit
from chalicelib.body import Body
from chalicelib.clock import berlin_date, iso, parse_iso
from chalicelib.errors import RateLimited, Unavailable
from chalicelib.links.service import RETRY_PREFIX, StaleLink, Submission
from chalicelib.mail import deliverability, recipient_cap
from chalicelib.mail.outbox import OutboxMail
from chalicelib.reviews import mails
from chalicelib.reviews.checks import ReviewUnderCheck, run_checks
from chalicelib.reviews.context import ATTEMPTS, PURPOSE_CONFIRM, ReviewContext
from chalicelib.reviews.evidence import DynamoEvidence
from chalicelib.reviews.model import AWAITING, PUBLISHED, ReviewInput, transition
from chalicelib.reviews.repository import SAMPLE_SLOTS
from chalicelib.reviews.signals import ip_key
from chalicelib.secrets_util import new_id
from chalicelib.storage.dynamo import Condition, Item, Transaction, TransactionCancelled
from chalicelib.validation import email_key


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
            "sample_slot": secrets.randbelow(SAMPLE_SLOTS), "version": 1,
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
        for _attempt in range(ATTEMPTS + 1):
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
            staged = ctx.outbox.stage(tx, [] if suppressed else [OutboxMail(
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
                    continue
                if exc.conflict and not exc.failed:
                    continue
                raise
            ctx.outbox.deliver(staged)
            return {"review_id": review_id, "status": AWAITING}
        raise Unavailable(retry_after=1)

    # -- confirmation (link) ------------------------------------------------------------

    def stage_confirmation(self, tx: Transaction, snapshot: Item, submission: Submission
                           ) -> tuple[Item, list[OutboxMail]]:
        ctx = self.ctx
        # The stored review, not the link's snapshot of the submission: what happened since
        # (the reviewer's address bounced, SES feedback) must survive the confirmation.
        current, evidence = DynamoEvidence.read(ctx, snapshot)
        if current is None or current["status"] != AWAITING:
            raise StaleLink()
        checked = run_checks(ReviewUnderCheck(
            review_id=current["review_id"], agency_id=current["agency_id"],
            email=current["email"], text=current["text"],
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
        if new == PUBLISHED:
            sets["published_at"] = iso(now)
            sets["reverify_eligible_on"] = ctx.eligible_on({**current, **sets},
                                                           berlin_date(now))
        else:
            sets["due_by"] = ctx.due_by(now)
        after = ctx.repo.stage_review_change(
            tx, current, sets, ["purge_at"],
            condition=Condition("{status} = {:s} AND {version} = {:v}", s=AWAITING,
                                v=int(current["version"])),
            # Changed since the read (a bounce just arrived): read again, don't answer 410.
            label=f"{RETRY_PREFIX}review")
        ctx.repo.stage_similarity(tx, current["review_id"], evidence.band_members(),
                                  label_prefix=RETRY_PREFIX)
        outgoing: list[OutboxMail] = []
        if new == PUBLISHED:
            ctx.stage_public_change(tx, current, after)
            outgoing = ctx.publication_mails(after, after["version"], evidence.agency)
        return after, ctx.stage_mails(tx, outgoing)
