"""Notices (DSA Art. 16): anyone can tell QA that a published review is unlawful. The
notifier (if they gave an email) gets a receipt and, once QA decides, the decision: kept
(``POST /qa/notices/{id}/resolve``) or taken down (every open notice about a review ends
with its takedown)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from chalicelib.auth.actor import Actor
from chalicelib.clock import epoch_seconds, iso
from chalicelib.errors import Conflict, NotFound, RateLimited, Unavailable, ValidationFailed
from chalicelib.mail.outbox import OutboxMail
from chalicelib.reviews import mails
from chalicelib.reviews.context import ReviewContext
from chalicelib.reviews.items import ReviewItem
from chalicelib.reviews.model import PUBLIC_STATUSES, Line, Text
from chalicelib.reviews.repository import QUEUE_SHARDS, _shard, members, review_key
from chalicelib.reviews.signals import ip_key
from chalicelib.reviews.views import QUEUE_POSITION, qa_view
from chalicelib.secrets_util import new_id
from chalicelib.storage import cursor
from chalicelib.storage.cursor import Page
from chalicelib.storage.dynamo import Condition, Item, Transaction, TransactionCancelled, Update
from chalicelib.validation import EmailStr, email_key, validate_model

OUTCOME_LABELS = {
    "keep": "Wir haben keinen Verstoß festgestellt; die Bewertung bleibt veröffentlicht.",
    "takedown": "Die Bewertung verstößt gegen unsere Nutzungsrichtlinien und wurde gesperrt.",
}


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


class NoticeInput(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    reason: Text = Field(min_length=10, max_length=2000)
    email: Annotated[EmailStr | None, BeforeValidator(_blank_to_none)] = None
    name: Annotated[Line | None, BeforeValidator(_blank_to_none)] = Field(default=None,
                                                                           max_length=80)


class NoticeResolveInput(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    outcome: Literal["keep"]
    reason: Text = Field(min_length=1, max_length=2000)


def notice_key(notice_id: str) -> tuple[str, str]:
    return f"NOTICE#{notice_id}", "NOTICE"


def notifier_key(agency_id: str, email_hash: str) -> tuple[str, str]:
    """The notices one notifier (keyed email hash) filed about one agency's reviews:
    ``ids`` = String Set of notice ids (the notifier's export and erasure find them)."""
    return f"NOTIFIER#{agency_id}#{email_hash}", "IDS"


ERASED_REASON = "Gelöscht auf Antrag der meldenden Person (Art. 17 DSGVO)."
NOTIFIER_FIELDS = ("notice_id", "review_id", "reason", "name", "email", "status",
                   "created_at", "outcome", "resolution_reason", "resolved_at")


def queue_keys(notice: Item) -> dict[str, str]:
    shard = _shard(notice["notice_id"], QUEUE_SHARDS)
    return {"queue_pk": f"QNOTICE#{notice['status']}#{shard}",
            "queue_sk": f"{notice['created_at']}#{notice['notice_id']}"}


def notice_view(notice: Item, review: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: notice.get(k) for k in (
        "notice_id", "review_id", "agency_id", "reason", "name", "email", "status",
        "created_at", "outcome", "resolution_reason", "resolved_at", "resolved_by")} | {
        "review": qa_view(review) if review else None}


class Notices:
    def __init__(self, ctx: ReviewContext) -> None:
        self.ctx = ctx

    def submit(self, agency_id: str, review_id: str, payload: Any | Callable[[], Any],
               client_ip: str | None) -> dict[str, Any]:
        ctx = self.ctx
        review = ctx.owned(agency_id, review_id)
        if review["status"] not in PUBLIC_STATUSES:
            raise NotFound("Bewertung nicht gefunden.")
        data = validate_model(NoticeInput, payload() if callable(payload) else payload)
        now = ctx.clock.now()
        notice: dict[str, Any] = {"notice_id": new_id(), "review_id": review_id, "agency_id": agency_id,
                  "reason": data.reason, "status": "open", "created_at": iso(now),
                  "version": 1}
        if data.email:
            notice["email"] = data.email
        if data.name:
            notice["name"] = data.name
        tx = ctx.transaction()
        ip_hash = ip_key(ctx.settings.hash_key, client_ip)
        if ip_hash:
            stamp = now.strftime("%Y%m%d%H")
            tx.update(ctx.core, f"RATE#review-notice#{ip_hash}#{stamp}", "RATE",
                      Update(adds={"n": 1},
                             sets={"expires_ttl": epoch_seconds(now + timedelta(hours=2))}),
                      condition=Condition("attribute_not_exists({n}) OR {n} < {:limit}",
                                          limit=ctx.settings.review_rate_per_ip_per_hour),
                      label="rate_ip")
        pk, sk = notice_key(notice["notice_id"])
        tx.put(ctx.repo.table, {"pk": pk, "sk": sk, **notice, **queue_keys(notice)},
               condition=Condition("attribute_not_exists({pk})"), label="notice")
        tx.update(ctx.repo.table, *review_key(review_id),
                  Update(adds={"notice_ids": {notice["notice_id"]}}),
                  condition=Condition("attribute_exists({pk})"), label="review")
        if data.email:
            tx.update(ctx.repo.table, *notifier_key(agency_id, self._hash(data.email)),
                      Update(adds={"ids": {notice["notice_id"]}}), label="notifier")
        staged = ctx.stage_mails(tx, self._mail(notice, review, decided=False))
        try:
            tx.execute()
        except TransactionCancelled as exc:
            if "rate_ip" in exc.failed:
                raise RateLimited(retry_after=3600 - now.minute * 60 - now.second) from exc
            if exc.conflict and not exc.failed:  # a concurrent transaction: try again
                raise Unavailable(retry_after=1) from exc
            raise
        ctx.outbox.deliver(staged)
        return {"notice_id": notice["notice_id"], "status": "received"}

    def _hash(self, email: str) -> str:
        return self.ctx.hash("notifier", email_key(email))

    # -- one notifier's data (ops: Art. 15 export, Art. 17 erasure) ------------------------

    def of_notifier(self, agency_id: str, email: str) -> list[Item]:
        index = self.ctx.repo.table.get(*notifier_key(agency_id, self._hash(email)))
        ids = sorted(members(index))
        return [n for n in self.ctx.repo.table.batch_get([notice_key(i) for i in ids])
                if n.get("agency_id") == agency_id]

    @staticmethod
    def notifier_view(notice: Item) -> dict[str, Any]:
        return {k: notice.get(k) for k in NOTIFIER_FIELDS}

    def erase_notifier(self, agency_id: str, email: str, notices: list[Item]) -> list[str]:
        """The notifier's name, email and reason leave every notice (QA keeps the record
        that a notice was filed and decided); the index item goes. Idempotent."""
        def attempt() -> None:
            tx = self.ctx.transaction()
            for number, notice in enumerate(notices):
                tx.update(self.ctx.repo.table, *notice_key(notice["notice_id"]),
                          Update(sets={"reason": ERASED_REASON,
                                       "erased_at": iso(self.ctx.clock.now())},
                                 removes=["email", "name"]),
                          condition=Condition("attribute_exists({pk})"),
                          label=f"notice:{number}")
            tx.delete(self.ctx.repo.table, *notifier_key(agency_id, self._hash(email)),
                      label="notifier")
            self.ctx.execute(tx)

        self.ctx.run(attempt)
        return [n["notice_id"] for n in notices]

    def _mail(self, notice: Item, review: Mapping[str, Any], *, decided: bool,
              outcome: str | None = None, reason: str | None = None) -> list[OutboxMail]:
        if not notice.get("email"):
            return []
        suffix = "decision" if decided else "receipt"
        return [OutboxMail(
            f"{notice['notice_id']}-{suffix}", f"review_notice_{suffix}",
            mails.notice_mail(review, notice, decided=decided,
                              outcome_label=OUTCOME_LABELS.get(outcome or "", ""),
                              reason=reason, qa_email=self.ctx.settings.review_qa_email),
            ref_kind="notice", ref_id=notice["notice_id"])]

    def qa_notices(self, status: str | None, page: Page) -> dict[str, Any]:
        status = status or "open"
        if status not in ("open", "resolved"):
            raise ValidationFailed({"status": "Erlaubt: open, resolved."})
        notices, last = self.ctx.repo.queue_page(f"QNOTICE#{status}", page.limit,
                                                 page.after(shape=QUEUE_POSITION))
        reviews = self.ctx.repo.get_reviews(n["review_id"] for n in notices)
        return {"notices": [notice_view(n, reviews.get(n["review_id"])) for n in notices],
                "next_cursor": cursor.encode(last) if last else None}

    def resolve(self, notice_id: str, actor: Actor, payload: Any | Callable[[], Any]
                ) -> dict[str, Any]:
        ctx = self.ctx

        def attempt() -> dict[str, Any]:
            notice = ctx.repo.table.get(*notice_key(notice_id))
            if notice is None:
                raise NotFound("Meldung nicht gefunden.")
            if notice["status"] != "open":
                raise Conflict("Diese Meldung ist bereits entschieden.", code="notice_resolved")
            data = validate_model(NoticeResolveInput,
                                  payload() if callable(payload) else payload)
            review: Mapping[str, Any] = ctx.repo.get_review(notice["review_id"]) or {}
            tx = ctx.transaction()
            after = self._stage_resolution(tx, notice, review, data.outcome, data.reason,
                                           actor.as_dict())
            staged = ctx.stage_mails(tx, self._mail(notice, review, decided=True,
                                                    outcome=data.outcome, reason=data.reason))
            ctx.execute(tx)  # Retry: read again (a takedown may have decided it meanwhile)
            ctx.outbox.deliver(staged)
            return notice_view(after, review or None)

        return ctx.run(attempt)

    def _stage_resolution(self, tx: Transaction, notice: Item, review: Mapping[str, Any], outcome: str,
                          reason: str, by: Any, label: str = "notice") -> Item:
        sets = {"status": "resolved", "outcome": outcome, "resolution_reason": reason,
                "resolved_at": iso(self.ctx.clock.now()), "resolved_by": by}
        after = {**notice, **sets}
        tx.update(self.ctx.repo.table, *notice_key(notice["notice_id"]),
                  Update(sets={**sets, **queue_keys(after)}, adds={"version": 1}),
                  condition=Condition("{status} = {:o}", o="open"), label=label)
        return after

    def stage_review_removed(self, tx: Transaction, review: ReviewItem, outcome: str, reason: str
                             ) -> list[OutboxMail]:
        """Every open notice about a review that was just taken down ends with it."""
        ids = sorted(review.get("notice_ids") or ())
        found = self.ctx.repo.table.batch_get([notice_key(i) for i in ids])
        outgoing: list[OutboxMail] = []
        for number, notice in enumerate(n for n in found if n.get("status") == "open"):
            self._stage_resolution(tx, notice, review, outcome, reason, "qa",
                                   label=f"notice:{number}")
            outgoing += self._mail(notice, review, decided=True, outcome=outcome, reason=None)
        return self.ctx.stage_mails(tx, outgoing)
