"""QA's decisions on reviews: publish or reject one in review, the phone re-check, and
the bounce rule (no contact with the reviewer, no publication)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.auth.actor import Actor
from chalicelib.body import Body
from chalicelib.clock import berlin_date, iso
from chalicelib.errors import Conflict
from chalicelib.mail.outbox import OutboxMail
from chalicelib.metrics import REVIEWS_PUBLISHED, REVIEWS_REJECTED
from chalicelib.reviews import mails, sampling, texts
from chalicelib.reviews.context import REVERIFY_FIELDS, ReviewContext
from chalicelib.reviews.model import (
    DELETED,
    FINDING_CATEGORY,
    IN_REVIEW,
    PUBLISHED,
    REPORTED,
    DecisionInput,
    FlagInput,
    PhoneCheckInput,
    transition,
)
from chalicelib.reviews.views import qa_view
from chalicelib.storage.dynamo import Condition
from chalicelib.validation import validate_model

REVIEWER_MAIL_KINDS = frozenset({
    "review_confirm", "review_published", "review_rejected", "review_reverify",
    "review_answer_request", "review_report_outcome_reviewer", "review_takedown"})


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
            if data.decision == "publish" and item.get("contact_undeliverable"):
                # No contact, no publication (the seed's rule): the address bounced.
                raise Conflict("Die E-Mail-Adresse der bewertenden Person ist nicht "
                               "zustellbar; ohne Kontakt wird die Bewertung nicht "
                               "veröffentlicht.", code="contact_undeliverable")
            now = ctx.clock.now()
            new = transition(item["status"], data.decision)
            record: dict[str, Any] = {"decision": data.decision, "reason": data.reason,
                                      "by": actor.as_dict(), "at": iso(now)}
            sets: dict[str, Any] = {"status": new, "status_at": iso(now)}
            removes: list[str] = []
            category = None
            if data.decision == "reject":
                category = data.category or next(
                    (FINDING_CATEGORY[f["check"]] for f in item.get("findings") or []
                     if f.get("check") in FINDING_CATEGORY), "other")
                record["category"] = category
                sets["rejection_category"] = category
            else:
                sets["published_at"] = item.get("published_at") or iso(now)
                plan_sets, plan_removes = sampling.plan(ctx, {**item, **sets}, berlin_date(now))
                sets.update(plan_sets)
                removes += plan_removes
                if item.get("findings"):
                    checks = ", ".join(dict.fromkeys(f["check"] for f in item["findings"]))
                    sets.update(sampling.flag_sets(item, "kept_with_findings",
                                                   f"Befunde: {checks}", actor.as_dict(), now))
            sets["decisions"] = [*(item.get("decisions") or []), record]
            tx = ctx.transaction()
            after = ctx.repo.stage_review_change(
                tx, item, sets, removes,
                condition=Condition("{version} = {:v} AND {status} = {:s}",
                                    v=int(item["version"]), s=IN_REVIEW))
            staged: list[OutboxMail] = []
            if new == PUBLISHED:
                # Public before (hidden for a re-check): the agency hears "wieder sichtbar",
                # not "Neue Bewertung".
                republished = bool(item.get("published_at"))
                staged = ctx.stage_public_change(
                    tx, item, after, why=texts.text("why_republished") if republished else None)
                outgoing = ctx.publication_mails(
                    after, after["version"],
                    None if republished else ctx.agency_repo.get_agency(item["agency_id"]))
            else:
                assert category is not None
                outgoing = [OutboxMail(f"{review_id}-rejected-v{after['version']}",
                                       "review_rejected", mails.rejected_mail(after, category),
                                       ref_kind="review", ref_id=review_id)]
            staged += ctx.stage_mails(tx, outgoing)
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
                # A confirmed call is a re-verification ("telefonische Prüfung"): it answers
                # a pending flag and this period's sample.
                sets.update({"reverified_at": iso(now), "reconfirmed_on": today.isoformat(),
                             "borderline": False})
                if item.get("reverify_link"):
                    ctx.retire_link(tx, item["reverify_link"], label="retire_reverify")
                    removes += REVERIFY_FIELDS
                if item.get("flag"):
                    removes.append("flag")
                period = sampling.current_period(item, today)
                if period is not None:
                    sets["last_sample_period"] = max(period,
                                                     int(item.get("last_sample_period", -1)))
                    plan_sets, plan_removes = sampling.plan(ctx, {**item, **sets}, today)
                    sets.update(plan_sets)
                    removes += plan_removes
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
            staged = ctx.stage_public_change(tx, item, after,
                                             why=texts.text("why_phone_check_failed"))
            ctx.execute(tx)
            ctx.outbox.deliver(staged)
            return qa_view(after)

        return ctx.run(attempt)

    def flag(self, review_id: str, actor: Actor, payload: Any | Callable[[], Any]
             ) -> dict[str, Any]:
        """QA flags a published review by hand: asked to re-confirm at the next sweep."""
        ctx = self.ctx
        parsed: list[FlagInput] = []

        def attempt() -> dict[str, Any]:
            item = ctx.review(review_id)
            if item["status"] not in (PUBLISHED, REPORTED):
                raise Conflict("Nur veröffentlichte Bewertungen können zur erneuten Bestätigung "
                               "markiert werden.", code="invalid_status")
            if item.get("reverify_link") or item.get("flag"):
                raise Conflict("Für diese Bewertung ist eine erneute Bestätigung bereits "
                               "angefragt oder vorgemerkt.", code="already_flagged")
            if not parsed:
                parsed.append(validate_model(FlagInput,
                                             payload() if callable(payload) else payload))
            sets = sampling.flag_sets(item, "qa", parsed[0].reason, actor.as_dict(),
                                      ctx.clock.now())
            tx = ctx.transaction()
            after = ctx.repo.stage_review_change(
                tx, item, sets, condition=Condition(
                    "{version} = {:v} AND attribute_not_exists({flag})", v=int(item["version"])))
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
        staged = ctx.stage_public_change(tx, item, after,
                                         why=texts.text("why_contact_undeliverable"))
        ctx.execute(tx)
        ctx.outbox.deliver(staged)
