"""Review quality assurance: submission and confirmation, automatic checks, the QA queue
and decisions, phone re-checks, agency comments and reports ("Problem melden") with the
reviewer's statement and proof, and the nightly ``review-sweep``.

Every state change is one transaction whose conditions name the state it starts from
(status, version, the pending link), so concurrent requests end with one winner and a
409 (API) or 410 (link) for the others; mails are staged in that transaction.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chalicelib.agencies.repository import AgencyRepository, agency_key
from chalicelib.clock import Clock, berlin_date, epoch_seconds, iso, parse_iso
from chalicelib.config import Settings
from chalicelib.errors import Conflict, NotFound, RateLimited, Unavailable, ValidationFailed
from chalicelib.links.service import (
    RETRY_PREFIX,
    FormField,
    LinkService,
    Outcome,
    Page,
    StaleLink,
    Submission,
)
from chalicelib.mail.outbox import Outbox, OutboxMail
from chalicelib.mail.render import german_date
from chalicelib.metrics import NULL as NULL_METRICS
from chalicelib.metrics import REVIEWS_PUBLISHED, REVIEWS_REJECTED, Recorder
from chalicelib.reviews import mails, similarity
from chalicelib.reviews.checks import ReviewUnderCheck, run_checks
from chalicelib.reviews.model import (
    AWAITING,
    DELETED,
    FINDING_CATEGORY,
    IN_REVIEW,
    PUBLIC_STATUSES,
    PUBLISHED,
    REPORT_CATEGORY_LABELS,
    REPORTED,
    STATUSES,
    AnswerRequestInput,
    CommentInput,
    DecisionInput,
    PhoneCheckInput,
    ReportInput,
    ResolveInput,
    ReviewInput,
    transition,
)
from chalicelib.reviews.repository import (
    PRIORITY_SLOT,
    SAMPLE_SLOTS,
    ReviewRepository,
    ident_key,
    ip_bucket_key,
    ip_days_around,
    members,
    report_key,
    review_key,
    sim_key,
)
from chalicelib.reviews.signals import AgencyIpLog, agency_ip_key, ip_key, keyed_hash
from chalicelib.reviews.workdays import WorkingDays
from chalicelib.secrets_util import new_id
from chalicelib.storage import cursor
from chalicelib.storage.dynamo import (
    BatchGet,
    BatchKey,
    Condition,
    Item,
    Table,
    Transaction,
    TransactionCancelled,
    Update,
)
from chalicelib.validation import email_key, validate_model

log = logging.getLogger("freigabe.reviews")

PURPOSE_CONFIRM = "review-confirm"
PURPOSE_REVERIFY = "review-reverify"
ANSWER_KINDS = ("statement", "proof")
PURPOSE_ANSWER = {"statement": "review-statement", "proof": "review-proof"}
ANSWER_MAX_LENGTH = 5000
# Re-verification by sample only asks reviews this old (the confirmation is fresh before).
REVERIFY_MIN_AGE_DAYS = 14
ATTEMPTS = 3
# What a deleted review keeps no more: the reviewer's data and everything that finds it.
PERSONAL_FIELDS = ["email", "email_hash", "phone", "phone_hash", "reviewer_name", "title",
                   "text", "ip_hash", "user_agent", "confirm_ip_hash", "confirm_user_agent",
                   "sim_bands", "phone_checks"]

VERIFICATION_NOTICE = (
    "So prüfen wir Bewertungen: Wer eine Bewertung abgibt, muss sie über einen Link an die "
    "angegebene E-Mail-Adresse bestätigen – unbestätigte Bewertungen erscheinen nie und werden "
    "nach 30 Tagen gelöscht. Jede bestätigte Bewertung durchläuft vor der Veröffentlichung "
    "automatische Prüfungen: auf Eigenbewertung durch den Makler (E-Mail-Adresse oder Domain "
    "des Maklers, Zugriffe des Maklers von derselben IP-Adresse), auf Mehrfachbewertung "
    "(dieselbe E-Mail-Adresse oder Telefonnummer, viele Bewertungen von einer IP-Adresse), auf "
    "Schmähkritik und Beleidigungen, auf kopierte oder nahezu gleiche Texte sowie auf "
    "Kontaktdaten, Links und Werbung im Text. Fällt dabei etwas auf, prüft unser "
    "Qualitätsteam die Bewertung manuell, in der Regel innerhalb von 2 Werktagen, und "
    "veröffentlicht sie oder lehnt sie mit Begründung ab. Nach der Veröffentlichung bitten "
    "wir Bewertende stichprobenartig per E-Mail, ihre Bewertung erneut zu bestätigen, und "
    "prüfen Bewertungen mit Telefonnummer auch telefonisch; bestätigte Bewertungen sind "
    "entsprechend gekennzeichnet. Makler können Bewertungen kommentieren und beanstanden; "
    "dann holen wir eine Stellungnahme und bei Bedarf Nachweise der bewertenden Person ein "
    "und entscheiden danach. Positive und negative Bewertungen werden nach denselben Regeln "
    "geprüft und gleichermaßen veröffentlicht."
)

_TIME_POSITION = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[a-z2-7]{26}$")
_QUEUE_POSITION = re.compile(r"^[0-9A-Za-z:.\-]{1,40}(#[0-9A-Za-z:.\-]{1,40}){1,2}$")


# -- views ---------------------------------------------------------------------------------

def _comment_view(item: Item) -> dict[str, Any] | None:
    comment = item.get("comment")
    if not comment:
        return None
    return {"text": comment["text"], "created_at": comment["created_at"],
            "updated_at": comment.get("updated_at", comment["created_at"])}


def public_view(item: Item) -> dict[str, Any]:
    view: dict[str, Any] = {
        "review_id": item["review_id"], "rating": item["rating"], "title": item["title"],
        "text": item["text"], "reviewer_name": item["reviewer_name"],
        "published_at": item["published_at"],
    }
    comment = _comment_view(item)
    if comment:
        view["comment"] = comment
    if item.get("reconfirmed_on"):
        view["reconfirmed_on"] = item["reconfirmed_on"]
        on = german_date(date.fromisoformat(item["reconfirmed_on"]))
        view["reconfirmed_notice"] = f"Erneut bestätigt am {on}"
    return view


def agency_view(item: Item) -> dict[str, Any]:
    """What the agency may see: never the reviewer's email, phone, IP or user agent."""
    view: dict[str, Any] = {
        "review_id": item["review_id"], "status": item["status"], "rating": item["rating"],
        "title": item.get("title"), "text": item.get("text"),
        "reviewer_name": item.get("reviewer_name"), "submitted_at": item["submitted_at"],
        "confirmed_at": item.get("confirmed_at"), "published_at": item.get("published_at"),
        "comment": _comment_view(item), "reconfirmed_on": item.get("reconfirmed_on"),
        "open_report_id": item.get("open_report_id"),
    }
    return view


def qa_view(item: Item) -> dict[str, Any]:
    view = agency_view(item)
    view.update({
        "agency_id": item["agency_id"], "agency_name": item.get("agency_name"),
        "email": item.get("email"), "phone": item.get("phone"),
        "findings": item.get("findings") or [], "due_by": item.get("due_by"),
        "decisions": item.get("decisions") or [], "phone_checks": item.get("phone_checks") or [],
        "borderline": bool(item.get("borderline")), "status_at": item.get("status_at"),
        "reverification": ({"requested_at": item.get("reverify_requested_at"),
                            "deadline": item.get("reverify_deadline")}
                           if item.get("reverify_link") else None),
        "reverified_at": item.get("reverified_at"),
        "signals": {"ip_recorded": bool(item.get("ip_hash")),
                    "user_agent": item.get("user_agent")},
        "rejection_category": item.get("rejection_category"),
    })
    return view


def report_view(report: Item, review: Item | None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "report_id": report["report_id"], "review_id": report["review_id"],
        "agency_id": report["agency_id"], "category": report["category"],
        "reason": report["reason"], "status": report["status"],
        "created_at": report["created_at"],
    }
    for kind in ANSWER_KINDS:
        request = report.get(kind)
        view[kind] = dict(request) if request else None
    view.update({
        "history": report.get("history") or [],
        "outcome": report.get("outcome"), "resolution_reason": report.get("resolution_reason"),
        "resolved_at": report.get("resolved_at"), "resolved_by": report.get("resolved_by"),
        "review": qa_view(review) if review else None,
    })
    return view


REVIEWER_ANSWER_FIELDS = ("answer", "answer_user_agent")


def without_answers(report: Item) -> dict[str, Any]:
    """The report's sets that take out what the reviewer wrote (statement, proof, and
    their earlier rounds in the history): personal data, gone with the review."""
    sets: dict[str, Any] = {}
    for kind in ANSWER_KINDS:
        if report.get(kind):
            sets[kind] = {k: v for k, v in report[kind].items()
                          if k not in REVIEWER_ANSWER_FIELDS}
    if report.get("history"):
        sets["history"] = [{k: v for k, v in h.items() if k not in REVIEWER_ANSWER_FIELDS}
                           for h in report["history"]]
    return sets


def _report_ids(review: Item) -> set[str]:
    """Every report case about a review (the open one also for reviews reported before
    ``report_ids`` was kept)."""
    return {i for i in (*(review.get("report_ids") or ()), review.get("open_report_id")) if i}


def reviewer_answers(report: Item) -> list[dict[str, Any]]:
    """What the reviewer wrote in a report case (for the person's data export)."""
    rounds = [*(report.get("history") or []), *(report.get(k) for k in ANSWER_KINDS)]
    return [{"report_id": report["report_id"], "kind": r.get("kind"),
             "answered_at": r.get("answered_at"), "answer": r["answer"]}
            for r in rounds if r and r.get("answer")]


def average(count: int, rating_sum: int) -> float | None:
    if count <= 0:
        return None
    value = (Decimal(rating_sum) / Decimal(count)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return float(value)


def sample_slots(day: date, share: float) -> list[str]:
    """The sample slots re-verified on ``day``: ``share`` of all slots, moving on each day so
    every slot comes round; borderline reviews (slot ``P``) are always included."""
    if share <= 0:
        return [PRIORITY_SLOT]
    per_run = max(1, min(SAMPLE_SLOTS, round(share * SAMPLE_SLOTS)))
    start = day.toordinal() * per_run
    slots = [f"{(start + i) % SAMPLE_SLOTS:02d}" for i in range(per_run)]
    return [PRIORITY_SLOT, *dict.fromkeys(slots)]


def _position(value: str | None, shape: re.Pattern[str]) -> str | None:
    position = cursor.decode(value, "")
    if position is not None and not shape.fullmatch(position):
        raise ValidationFailed({"cursor": "Ungültiger Cursor."})
    return position


@dataclass
class SweepReport:
    purged: int = 0
    reverification_requested: int = 0
    reverification_unanswered: int = 0
    reports_blocked: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    stopped_for_time: bool = False

    def as_dict(self) -> dict[str, Any]:
        summary = {"purged": self.purged,
                   "reverification_requested": self.reverification_requested,
                   "reverification_unanswered": self.reverification_unanswered,
                   "reports_blocked": self.reports_blocked, "skipped": self.skipped,
                   "errors": len(self.errors)}
        if self.stopped_for_time:
            summary["stopped_for_time"] = True
        return summary


class _Retry(Exception):
    """The state changed between read and write: read again and decide again."""


# -- evidence for the checks -----------------------------------------------------------------

class DynamoEvidence:
    """Answers the checks' questions from what one BatchGetItem read together with the
    review: the agency profile, the agency-IP item, the identity items, the IP buckets
    around the submission and the similarity band items. Only the candidates' texts
    need a second read, and only when a band names other reviews."""

    # The review fields the lookups are keyed by: the link's snapshot has them too.
    KEYED_BY = ("agency_id", "email_hash", "phone_hash", "ip_hash", "submitted_at", "text")

    def __init__(self, service: ReviewService, review: Item) -> None:
        self.service = service
        self.review = review
        self.band_keys = similarity.band_keys(review.get("text") or "")
        repo, agency_id = service.repo, review["agency_id"]
        batch = BatchGet()
        self._review = batch.add(repo.table, *review_key(review["review_id"]))
        self._agency = batch.add(service.agency_repo.core, *agency_key(agency_id))
        self._agency_ip = (batch.add(service.ip_log.core, *agency_ip_key(agency_id,
                                                                          review["ip_hash"]))
                           if review.get("ip_hash") else None)
        self._idents = {kind: batch.add(repo.table, *ident_key(agency_id, kind, review[key]))
                        for kind, key in (("email", "email_hash"), ("phone", "phone_hash"))
                        if review.get(key)}
        self._ip_buckets = (batch.add_all(repo.table, (
            ip_bucket_key(agency_id, review["ip_hash"], day)
            for day in ip_days_around(review["submitted_at"]))) if review.get("ip_hash") else [])
        self._bands = {band: batch.add(repo.table, *sim_key(band)) for band in self.band_keys}
        self._found = batch.run()

    @classmethod
    def read(cls, service: ReviewService, snapshot: Item) -> tuple[Item | None, DynamoEvidence]:
        """The stored review and the evidence, keyed by the link's snapshot so that all is
        one read; should the stored review differ in a keyed field, read again by it."""
        evidence = cls(service, snapshot)
        current = evidence.current
        if current is not None and any(current.get(f) != snapshot.get(f) for f in cls.KEYED_BY):
            evidence = cls(service, current)
            current = evidence.current
        return current, evidence

    @property
    def current(self) -> Item | None:
        return self._found.get(self._review)

    @property
    def agency(self) -> Item | None:
        return self._found.get(self._agency)

    def _members(self, key: BatchKey | None) -> set[str]:
        return members(self._found.get(key)) if key else set()

    def agency_emails(self) -> list[str]:
        agency = self.agency or {}
        return [e for e in [agency.get("contact_email"), *(agency.get("staff_emails") or [])] if e]

    def agency_ip_seen(self) -> bool:
        return bool(self._agency_ip) and self.service.ip_log.is_recent(
            self._found.get(self._agency_ip))

    def same_email_reviews(self) -> int:
        return len(self._members(self._idents.get("email")) - {self.review["review_id"]})

    def same_phone_reviews(self) -> int:
        return len(self._members(self._idents.get("phone")) - {self.review["review_id"]})

    def reviews_from_ip_within_24h(self) -> int:
        submitted = parse_iso(self.review["submitted_at"])
        start = iso(submitted - timedelta(hours=24))
        end = iso(submitted + timedelta(hours=24))
        return sum(1 for key in self._ip_buckets for entry in self._members(key)
                   if start <= entry.rsplit("#", 1)[0] <= end)

    def band_members(self) -> dict[str, set[str]]:
        """Each band key with the review ids its item held when read."""
        return {band: self._members(key) for band, key in self._bands.items()}

    def similar_texts(self) -> list[tuple[str, str]]:
        own = self.review["review_id"]
        ids = list(dict.fromkeys(i for band in self.band_members().values()
                                 for i in sorted(band) if i != own))
        if not ids:
            return []
        found = self.service.repo.get_reviews(ids[:100])
        return [(i, found[i]["text"]) for i in ids
                if i in found and found[i].get("text") and found[i]["status"] != DELETED]


# -- the service ---------------------------------------------------------------------------

class ReviewService:
    def __init__(self, repo: ReviewRepository, core: Table, agency_repo: AgencyRepository,
                 links: LinkService, outbox: Outbox, ip_log: AgencyIpLog, clock: Clock,
                 settings: Settings, *, metrics: Recorder = NULL_METRICS) -> None:
        self.repo = repo
        self.metrics = metrics
        self.core = core
        self.agency_repo = agency_repo
        self.links = links
        self.outbox = outbox
        self.ip_log = ip_log
        self.clock = clock
        self.settings = settings
        self.calendar = WorkingDays(saturday=settings.review_saturday_is_working_day,
                                    state=settings.review_holiday_state)
        links.register(PURPOSE_CONFIRM, _ConfirmAction(self))
        links.register(PURPOSE_REVERIFY, _ReverifyAction(self))
        for kind in ANSWER_KINDS:
            links.register(PURPOSE_ANSWER[kind], _AnswerAction(self, kind))
        outbox.on_permanent_failure("review", self._mail_failed)

    def _mail_failed(self, review_id: str, mail_kind: str) -> None:
        """A mail to the reviewer bounced or was given up: no contact, no publication. A
        published review goes back to QA with a finding that says why; any other status
        keeps its place and gets the flag (and the finding, for QA to see)."""
        if mail_kind not in REVIEWER_MAIL_KINDS:
            return
        item = self.repo.get_review(review_id)
        if item is None or item.get("contact_undeliverable") or item["status"] == DELETED:
            return
        now = self.clock.now()
        finding = {"check": "contact_undeliverable",
                   "detail": "Die E-Mail-Adresse der bewertenden Person ist nicht zustellbar "
                             "(dauerhafter Bounce). Ohne Kontakt keine Veröffentlichung."}
        sets: dict[str, Any] = {"contact_undeliverable": True,
                                "findings": [*(item.get("findings") or []), finding]}
        if item["status"] == PUBLISHED:
            sets.update({"status": transition(PUBLISHED, "contact_undeliverable"),
                         "status_at": iso(now), "due_by": self.due_by(now)})
        tx = Transaction(self.repo.table.client)
        after = self.repo.stage_review_change(
            tx, item, sets, condition=Condition("{version} = {:v}", v=int(item["version"])))
        self._stage_public_change(tx, item, after)
        self._execute(tx)

    # -- small helpers ------------------------------------------------------------------

    def _hash(self, kind: str, value: str) -> str:
        return keyed_hash(self.settings.hash_key, kind, value)

    def _agency(self, agency_id: str) -> Item:
        agency = self.agency_repo.get_agency(agency_id)
        if agency is None:
            raise NotFound("Makler nicht gefunden.")
        return agency

    def _review(self, review_id: str) -> Item:
        item = self.repo.get_review(review_id)
        if item is None or item["status"] == DELETED:
            raise NotFound("Bewertung nicht gefunden.")
        return item

    def _owned(self, agency_id: str, review_id: str) -> Item:
        item = self._review(review_id)
        if item["agency_id"] != agency_id:
            raise NotFound("Bewertung nicht gefunden.")
        return item

    def _report(self, report_id: str) -> Item:
        report = self.repo.get_report(report_id)
        if report is None:
            raise NotFound("Meldung nicht gefunden.")
        return report

    @property
    def _ip_keep(self) -> timedelta:
        """How long after its UTC day an IP bucket can still be asked: a review of the day
        after may be confirmed until its link expires."""
        return timedelta(days=self.settings.review_confirm_link_days + 3)

    def due_by(self, moment: datetime) -> str:
        return self.calendar.add(berlin_date(moment),
                                 self.settings.review_sla_working_days).isoformat()

    def dashboard_url(self, review_id: str) -> str:
        return f"{self.settings.public_base_url.rstrip('/')}/dashboard/?review={review_id}"

    def _eligible_on(self, item: Item, today: date) -> str:
        """When a published review may next be sampled for re-verification: not before it
        is ``REVERIFY_MIN_AGE_DAYS`` old, and never within the interval (180 days) after it
        was last asked (by mail or by phone)."""
        confirmed = (berlin_date(parse_iso(item["confirmed_at"])) if item.get("confirmed_at")
                     else today)
        candidates = [confirmed + timedelta(days=REVERIFY_MIN_AGE_DAYS)]
        if item.get("last_sampled_on"):
            candidates.append(date.fromisoformat(item["last_sampled_on"])
                              + timedelta(days=self.settings.review_reverify_interval_days))
        return max(candidates).isoformat()

    def _retire_link(self, tx: Transaction, token_hash: str | None, *, scrub: bool = False,
                     label: str = "") -> None:
        """Makes a link answer 410 from now on; ``scrub`` also drops the personal data its
        snapshot holds. Unconditional, so a link already removed by TTL cannot fail it."""
        if not token_hash:
            return
        now = self.clock.now()
        tx.update(self.core, *LinkService.key(token_hash),
                  Update(sets={"status": "superseded", "superseded_at": iso(now),
                               "expires_ttl": epoch_seconds(now + timedelta(days=90))},
                         removes=["context"] if scrub else []),
                  label=label or f"retire:{token_hash[:12]}")

    def _stage_mails(self, tx: Transaction, mails_: list[OutboxMail]) -> list[OutboxMail]:
        return self.outbox.stage(tx, mails_) if mails_ else []

    def _run(self, attempt: Callable[[], Any]) -> Any:
        """Runs read → decide → transaction, again when the state moved in between."""
        for _ in range(ATTEMPTS):
            try:
                return attempt()
            except _Retry:
                continue
        raise Unavailable(retry_after=1)

    @staticmethod
    def _execute(tx: Transaction) -> None:
        try:
            tx.execute()
        except TransactionCancelled as exc:
            raise _Retry() from exc

    def _publication_mails(self, review: Item, version: int, agency: Item | None
                           ) -> list[OutboxMail]:
        rid = review["review_id"]
        out = [OutboxMail(f"{rid}-published-v{version}", "review_published",
                          mails.published_mail(review), ref_kind="review", ref_id=rid)]
        if agency and agency.get("contact_email"):
            out.append(OutboxMail(f"{rid}-published-agency-v{version}", "review_published_agency",
                                  mails.published_agency_mail(review, agency["contact_email"],
                                                              self.dashboard_url(rid)),
                                  ref_kind="review", ref_id=rid))
        return out

    def _stage_public_change(self, tx: Transaction, before: Item, after: Item) -> None:
        was, now = before["status"] in PUBLIC_STATUSES, after["status"] in PUBLIC_STATUSES
        if was != now:
            sign = 1 if now else -1
            self.repo.stage_summary(tx, before["agency_id"], sign, sign * int(before["rating"]),
                                    before["review_id"])

    # -- public ---------------------------------------------------------------------------

    def submit(self, agency_id: str, payload: Any | Callable[[], Any], client_ip: str | None,
               user_agent: str | None) -> dict[str, Any]:
        agency = self._agency(agency_id)
        data = validate_model(ReviewInput, payload() if callable(payload) else payload)
        now = self.clock.now()
        review_id = new_id()
        ip_hash = ip_key(self.settings.hash_key, client_ip)
        item: Item = {
            "review_id": review_id, "agency_id": agency_id,
            "agency_name": agency.get("name") or agency_id, "status": AWAITING,
            "rating": data.rating, "title": data.title, "text": data.text,
            "reviewer_name": data.reviewer_name, "email": data.email,
            "email_hash": self._hash("email", email_key(data.email)),
            "submitted_at": iso(now), "status_at": iso(now),
            "purge_at": iso(now + timedelta(days=self.settings.review_unconfirmed_purge_days)),
            "sample_slot": secrets.randbelow(SAMPLE_SLOTS), "version": 1,
        }
        if data.phone:
            item["phone"] = data.phone
            item["phone_hash"] = self._hash("phone", data.phone)
        if ip_hash:
            item["ip_hash"] = ip_hash
        if user_agent:
            item["user_agent"] = user_agent[:300]
        window = now.replace(minute=0, second=0, microsecond=0)
        retry_after = max(1, int((window + timedelta(hours=1) - now).total_seconds()))
        stamp = window.strftime("%Y%m%d%H")
        for _attempt in range(ATTEMPTS):
            tx = Transaction(self.core.client)
            self._stage_rate(tx, "rate_email", f"review-email#{agency_id}#{item['email_hash']}#"
                             f"{stamp}", self.settings.review_rate_per_email_per_hour, now)
            if ip_hash:
                # Loopback and private addresses carry no signal and are never limited.
                self._stage_rate(tx, "rate_ip", f"review-ip#{agency_id}#{ip_hash}#{stamp}",
                                 self.settings.review_rate_per_ip_per_hour, now)
            link = self.links.issue(
                tx, purpose=PURPOSE_CONFIRM, record_id=review_id, agency_id=agency_id,
                valid_for=timedelta(days=self.settings.review_confirm_link_days),
                context={"review": item})
            stored = {**item, "confirm_link": link.token_hash, "link_hashes": {link.token_hash}}
            self.repo.stage_new_review(tx, stored)
            self.repo.stage_identity(tx, stored, self._ip_keep)
            staged = self.outbox.stage(tx, [OutboxMail(
                f"{review_id}-confirm", "review_confirm",
                mails.confirm_mail(item, link.url, link.expires_at),
                ref_kind="review", ref_id=review_id)])
            try:
                tx.execute()
            except TransactionCancelled as exc:
                if exc.failed & {"rate_email", "rate_ip", "ident:email", "ident:phone",
                                 "ident:ip"}:
                    raise RateLimited(retry_after=retry_after) from exc
                if exc.conflict and not exc.failed:
                    continue
                raise
            self.outbox.deliver(staged)
            return {"review_id": review_id, "status": AWAITING}
        raise Unavailable(retry_after=1)

    def _stage_rate(self, tx: Transaction, label: str, key: str, limit: int, now: datetime
                    ) -> None:
        tx.update(self.core, f"RATE#{key}", "RATE",
                  Update(adds={"n": 1},
                         sets={"expires_ttl": epoch_seconds(now + timedelta(hours=2))}),
                  condition=Condition("attribute_not_exists({n}) OR {n} < {:limit}",
                                      limit=limit),
                  label=label)

    def public_reviews(self, agency_id: str, cursor_value: str | None,
                       limit_value: str | None) -> dict[str, Any]:
        self._agency(agency_id)
        limit = cursor.page_limit(limit_value, default=20)
        after = _position(cursor_value, _TIME_POSITION)
        items, last = self.repo.public_page(agency_id, limit, after)
        count, rating_sum = self.repo.summary(agency_id)
        return {
            "reviews": [public_view(i) for i in items if i["status"] in PUBLIC_STATUSES],
            "next_cursor": cursor.encode(last) if last else None,
            "summary": {"count": count, "average": average(count, rating_sum)},
            "verification_notice": VERIFICATION_NOTICE,
        }

    # -- confirmation (link) ------------------------------------------------------------

    def stage_confirmation(self, tx: Transaction, snapshot: Item, submission: Submission
                           ) -> tuple[Item, list[OutboxMail]]:
        # The stored review, not the link's snapshot of the submission: what happened since
        # (the reviewer's address bounced, SES feedback) must survive the confirmation.
        current, evidence = DynamoEvidence.read(self, snapshot)
        if current is None or current["status"] != AWAITING:
            raise StaleLink()
        checked = run_checks(ReviewUnderCheck(
            review_id=current["review_id"], agency_id=current["agency_id"],
            email=current["email"], text=current["text"],
            submitted_at=parse_iso(current["submitted_at"]), phone=current.get("phone"),
            ip_hash=current.get("ip_hash")), evidence)
        now = self.clock.now()
        # No contact, no publication: a bounce before the confirmation keeps its finding.
        clean = checked.clean and not current.get("contact_undeliverable")
        new = transition(AWAITING, "confirm_clean" if clean else "confirm_findings")
        sets: dict[str, Any] = {
            "status": new, "confirmed_at": iso(now), "status_at": iso(now),
            "findings": [*(current.get("findings") or []),
                         *(f.as_dict() for f in checked.findings)],
            "borderline": checked.borderline, "sim_bands": evidence.band_keys,
        }
        confirm_ip = ip_key(self.settings.hash_key, submission.ip)
        if confirm_ip:
            sets["confirm_ip_hash"] = confirm_ip
        if submission.user_agent:
            sets["confirm_user_agent"] = submission.user_agent[:300]
        if new == PUBLISHED:
            sets["published_at"] = iso(now)
            sets["reverify_eligible_on"] = self._eligible_on({**current, **sets},
                                                             berlin_date(now))
        else:
            sets["due_by"] = self.due_by(now)
        after = self.repo.stage_review_change(
            tx, current, sets, ["purge_at"],
            condition=Condition("{status} = {:s} AND {version} = {:v}", s=AWAITING,
                                v=int(current["version"])),
            # Changed since the read (a bounce just arrived): read again, don't answer 410.
            label=f"{RETRY_PREFIX}review")
        self.repo.stage_similarity(tx, current["review_id"], evidence.band_members(),
                                   label_prefix=RETRY_PREFIX)
        outgoing: list[OutboxMail] = []
        if new == PUBLISHED:
            self._stage_public_change(tx, current, after)
            outgoing = self._publication_mails(after, after["version"], evidence.agency)
        return after, self._stage_mails(tx, outgoing)

    # -- QA -----------------------------------------------------------------------------

    def qa_reviews(self, status: str | None, cursor_value: str | None,
                   limit_value: str | None) -> dict[str, Any]:
        status = status or IN_REVIEW
        if status not in STATUSES or status == DELETED:
            raise ValidationFailed({"status": "Erlaubt: " + ", ".join(
                s for s in STATUSES if s != DELETED) + "."})
        limit = cursor.page_limit(limit_value, default=50, maximum=200)
        after = _position(cursor_value, _QUEUE_POSITION)
        items, last = self.repo.queue_page(f"QUEUE#{status}", limit, after)
        return {"reviews": [qa_view(i) for i in items if i["status"] == status],
                "next_cursor": cursor.encode(last) if last else None}

    def qa_review(self, review_id: str) -> dict[str, Any]:
        return qa_view(self._review(review_id))

    def decide(self, review_id: str, qa_id: str, payload: Any | Callable[[], Any]
               ) -> dict[str, Any]:
        parsed: list[DecisionInput] = []

        def attempt() -> dict[str, Any]:
            item = self._review(review_id)
            if item["status"] != IN_REVIEW:
                raise Conflict("Nur Bewertungen in Prüfung können entschieden werden.",
                               code="not_in_review")
            if not parsed:
                parsed.append(validate_model(DecisionInput,
                                             payload() if callable(payload) else payload))
            data = parsed[0]
            now = self.clock.now()
            new = transition(item["status"], data.decision)
            record: dict[str, Any] = {"decision": data.decision, "reason": data.reason,
                                      "by": f"qa:{qa_id}", "at": iso(now)}
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
                sets["reverify_eligible_on"] = self._eligible_on(item, berlin_date(now))
            sets["decisions"] = [*(item.get("decisions") or []), record]
            tx = Transaction(self.repo.table.client)
            after = self.repo.stage_review_change(
                tx, item, sets, condition=Condition("{version} = {:v} AND {status} = {:s}",
                                                    v=int(item["version"]), s=IN_REVIEW))
            if new == PUBLISHED:
                self._stage_public_change(tx, item, after)
                outgoing = self._publication_mails(
                    after, after["version"], self.agency_repo.get_agency(item["agency_id"]))
            else:
                assert category is not None
                outgoing = [OutboxMail(f"{review_id}-rejected-v{after['version']}",
                                       "review_rejected", mails.rejected_mail(after, category),
                                       ref_kind="review", ref_id=review_id)]
            staged = self._stage_mails(tx, outgoing)
            self._execute(tx)
            if new == PUBLISHED:
                self.metrics.count(REVIEWS_PUBLISHED, via="qa")
            else:
                self.metrics.count(REVIEWS_REJECTED)
            self.outbox.deliver(staged)
            return qa_view(after)

        return self._run(attempt)

    def phone_check(self, review_id: str, qa_id: str, payload: Any | Callable[[], Any]
                    ) -> dict[str, Any]:
        parsed: list[PhoneCheckInput] = []

        def attempt() -> dict[str, Any]:
            item = self._review(review_id)
            if item["status"] not in (PUBLISHED, IN_REVIEW, REPORTED):
                raise Conflict("Eine telefonische Prüfung ist in diesem Status nicht möglich.",
                               code="invalid_status")
            if not item.get("phone"):
                raise Conflict("Zu dieser Bewertung gibt es keine Telefonnummer.",
                               code="no_phone")
            if not parsed:
                parsed.append(validate_model(PhoneCheckInput,
                                             payload() if callable(payload) else payload))
            data = parsed[0]
            now = self.clock.now()
            today = berlin_date(now)
            record = {"confirmed": data.confirmed, "note": data.note, "by": f"qa:{qa_id}",
                      "at": iso(now)}
            sets: dict[str, Any] = {"phone_checks": [*(item.get("phone_checks") or []), record]}
            removes: list[str] = []
            tx = Transaction(self.repo.table.client)
            if data.confirmed:
                # A confirmed call is a re-verification ("telefonische Prüfung").
                sets.update({"reverified_at": iso(now), "reconfirmed_on": today.isoformat(),
                             "last_sampled_on": today.isoformat(), "borderline": False})
                if item.get("reverify_link"):
                    self._retire_link(tx, item["reverify_link"], label="retire_reverify")
                    removes += ["reverify_link", "reverify_deadline", "reverify_requested_at"]
                sets["reverify_eligible_on"] = self._eligible_on({**item, **sets}, today)
            else:
                finding = {"check": "phone_check_failed",
                           "detail": "Die telefonische Prüfung hat die Bewertung nicht bestätigt."
                           + (f" Notiz: {data.note}" if data.note else "")}
                sets["findings"] = [*(item.get("findings") or []), finding]
                if item["status"] in (PUBLISHED, IN_REVIEW):
                    new = transition(item["status"], "phone_check_failed")
                    if new != item["status"]:
                        sets.update({"status": new, "status_at": iso(now),
                                     "due_by": self.due_by(now)})
            after = self.repo.stage_review_change(
                tx, item, sets, removes,
                condition=Condition("{version} = {:v}", v=int(item["version"])))
            self._stage_public_change(tx, item, after)
            self._execute(tx)
            return qa_view(after)

        return self._run(attempt)

    # -- agency ---------------------------------------------------------------------------

    def agency_reviews(self, agency_id: str, cursor_value: str | None,
                       limit_value: str | None) -> dict[str, Any]:
        limit = cursor.page_limit(limit_value, default=50, maximum=200)
        after = _position(cursor_value, _TIME_POSITION)
        items, last = self.repo.agency_page(agency_id, limit, after)
        return {"reviews": [agency_view(i) for i in items
                            if i["agency_id"] == agency_id and i["status"] != DELETED],
                "next_cursor": cursor.encode(last) if last else None}

    def comment(self, agency_id: str, review_id: str, payload: Any | Callable[[], Any]
                ) -> dict[str, Any]:
        parsed: list[CommentInput] = []

        def attempt() -> dict[str, Any]:
            item = self._owned(agency_id, review_id)
            if item["status"] not in PUBLIC_STATUSES:
                raise Conflict("Nur veröffentlichte Bewertungen können kommentiert werden.",
                               code="not_published")
            if not parsed:
                parsed.append(validate_model(CommentInput,
                                             payload() if callable(payload) else payload))
            text = parsed[0].text
            now = iso(self.clock.now())
            old = item.get("comment")
            comment = {"text": text, "created_at": old["created_at"] if old else now,
                       "updated_at": now}
            exists = "attribute_exists" if old else "attribute_not_exists"
            tx = Transaction(self.repo.table.client)
            after = self.repo.stage_review_change(
                tx, item, {"comment": comment},
                condition=Condition(f"{{status}} IN ({{:a}}, {{:b}}) AND {exists}({{comment}})",
                                    a=PUBLISHED, b=REPORTED))
            staged: list[OutboxMail] = []
            if not old:
                # The reviewer hears of the first comment only, not of every edit.
                staged = self._stage_mails(tx, [OutboxMail(
                    f"{review_id}-commented", "review_commented",
                    mails.commented_mail(item, text), ref_kind="review", ref_id=review_id)])
            self._execute(tx)
            self.outbox.deliver(staged)
            return agency_view(after)

        return self._run(attempt)

    def report(self, agency_id: str, review_id: str, payload: Any | Callable[[], Any]
               ) -> dict[str, Any]:
        parsed: list[ReportInput] = []

        def attempt() -> dict[str, Any]:
            item = self._owned(agency_id, review_id)
            if item["status"] == REPORTED:
                raise Conflict("Zu dieser Bewertung ist bereits eine Meldung offen.",
                               code="report_open")
            transition(item["status"], "report")
            if not parsed:
                parsed.append(validate_model(ReportInput,
                                             payload() if callable(payload) else payload))
            data = parsed[0]
            now = iso(self.clock.now())
            report = {"report_id": new_id(), "review_id": review_id, "agency_id": agency_id,
                      "category": data.category, "reason": data.reason, "status": "open",
                      "created_at": now, "version": 1}
            tx = Transaction(self.repo.table.client)
            self.repo.stage_new_report(tx, report)
            self.repo.stage_review_change(
                tx, item, {"status": REPORTED, "status_at": now,
                           "open_report_id": report["report_id"]},
                # Every report of a review, so an erasure finds the reviewer's answers.
                adds={"report_ids": {report["report_id"]}},
                condition=Condition("{status} = {:s} AND attribute_not_exists({open_report_id})",
                                    s=PUBLISHED))
            self._execute(tx)
            return {"report_id": report["report_id"], "status": "open",
                    "review_id": review_id, "category": data.category, "created_at": now}

        return self._run(attempt)

    # -- reports (QA) ---------------------------------------------------------------------

    def qa_reports(self, status: str | None, cursor_value: str | None,
                   limit_value: str | None) -> dict[str, Any]:
        status = status or "open"
        if status not in ("open", "resolved"):
            raise ValidationFailed({"status": "Erlaubt: open, resolved."})
        limit = cursor.page_limit(limit_value, default=50, maximum=100)
        after = _position(cursor_value, _QUEUE_POSITION)
        reports, last = self.repo.reports_page(status, limit, after)
        reviews = self.repo.get_reviews(r["review_id"] for r in reports)
        return {"reports": [report_view(r, reviews.get(r["review_id"])) for r in reports],
                "next_cursor": cursor.encode(last) if last else None}

    def request_answer(self, report_id: str, kind: str, qa_id: str,
                       payload: Any | Callable[[], Any]) -> dict[str, Any]:
        parsed: list[AnswerRequestInput] = []

        def attempt() -> dict[str, Any]:
            report = self._report(report_id)
            if report["status"] != "open":
                raise Conflict("Diese Meldung ist bereits entschieden.", code="report_resolved")
            if report.get(f"{kind}_link"):
                raise Conflict("Eine Anfrage dieser Art läuft bereits.",
                               code="already_requested")
            review = self.repo.get_review(report["review_id"])
            if review is None or review["status"] != REPORTED:
                raise Conflict("Die Bewertung ist nicht mehr gemeldet.", code="invalid_status")
            if not parsed:
                parsed.append(validate_model(AnswerRequestInput,
                                             payload() if callable(payload) else payload))
            message = parsed[0].message or None
            now = self.clock.now()
            deadline = now + timedelta(days=self.settings.review_answer_days)
            request = {"message": message, "requested_at": iso(now),
                       "deadline": iso(deadline), "requested_by": f"qa:{qa_id}"}
            sets: dict[str, Any] = {kind: request}
            if report.get(kind):
                sets["history"] = [*(report.get("history") or []),
                                   {"kind": kind, **report[kind]}]
            tx = Transaction(self.repo.table.client)
            link = self.links.issue(
                tx, purpose=PURPOSE_ANSWER[kind], record_id=report_id,
                agency_id=report["agency_id"],
                valid_for=timedelta(days=self.settings.review_answer_days),
                context={"report_id": report_id, "review_id": report["review_id"],
                         "kind": kind, "request": request, "category": report["category"],
                         "complaint": report["reason"],
                         "agency_name": review.get("agency_name"), "title": review["title"],
                         "rating": review["rating"]})
            sets[f"{kind}_link"] = link.token_hash
            after = self.repo.stage_report_change(tx, report, sets)
            self.repo.stage_deadline(tx, {"report_id": report_id, "kind": kind,
                                          "review_id": report["review_id"],
                                          "link_hash": link.token_hash,
                                          "deadline": iso(deadline)})
            tx.update(self.repo.table, *review_key(report["review_id"]),
                      Update(adds={"link_hashes": {link.token_hash}}),
                      condition=Condition("{status} = {:s} AND {open_report_id} = {:r}",
                                          s=REPORTED, r=report_id), label="review")
            number = len(after.get("history") or []) + 1
            staged = self._stage_mails(tx, [OutboxMail(
                f"{report_id}-{kind}-{number}", f"review_{kind}_request",
                mails.answer_request_mail(review, report, kind, message, link.url, deadline),
                ref_kind="review", ref_id=report["review_id"])])
            self._execute(tx)
            self.outbox.deliver(staged)
            review["link_hashes"] = {*(review.get("link_hashes") or ()), link.token_hash}
            return report_view(after, review)

        return self._run(attempt)

    def resolve(self, report_id: str, qa_id: str, payload: Any | Callable[[], Any]
                ) -> dict[str, Any]:
        parsed: list[ResolveInput] = []

        def attempt() -> dict[str, Any]:
            report = self._report(report_id)
            if report["status"] != "open":
                raise Conflict("Diese Meldung ist bereits entschieden.", code="report_resolved")
            review = self.repo.get_review(report["review_id"])
            if review is None or review["status"] != REPORTED:
                raise Conflict("Die Bewertung ist nicht mehr gemeldet.", code="invalid_status")
            if not parsed:
                parsed.append(validate_model(ResolveInput,
                                             payload() if callable(payload) else payload))
            data = parsed[0]
            tx = Transaction(self.repo.table.client)
            after_report, after_review, staged = self._stage_resolution(
                tx, report, review, data.outcome, data.reason, f"qa:{qa_id}")
            self._execute(tx)
            self.outbox.deliver(staged)
            return report_view(after_report, after_review)

        return self._run(attempt)

    def _stage_resolution(self, tx: Transaction, report: Item, review: Item, outcome: str,
                          reason: str, by: str) -> tuple[Item, Item, list[OutboxMail]]:
        now = iso(self.clock.now())
        report_id, review_id = report["report_id"], review["review_id"]
        new = transition(review["status"], outcome)
        # Mails first: a deletion erases the address they go to.
        agency = self.agency_repo.get_agency(review["agency_id"])
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
        pending = {report.get(f"{kind}_link") for kind in ANSWER_KINDS} - {None}
        if outcome == "delete":
            report_sets.update(without_answers(report))
        after_report = self.repo.stage_report_change(
            tx, report, report_sets, [f"{kind}_link" for kind in ANSWER_KINDS])
        for kind in ANSWER_KINDS:
            self.repo.stage_drop_deadline(tx, report_id, kind)
        review_sets: dict[str, Any] = {"status": new, "status_at": now}
        review_removes = ["open_report_id"]
        retire = set(pending)
        if new == PUBLISHED:
            review_sets["reverify_eligible_on"] = self._eligible_on(
                review, berlin_date(self.clock.now()))
        elif review.get("reverify_link"):
            # A hidden review needs no re-verification: its pending question ends here.
            retire.add(review["reverify_link"])
            review_removes += ["reverify_link", "reverify_deadline", "reverify_requested_at"]
        if new == DELETED:
            retire |= set(review.get("link_hashes") or ())
            review_sets["deleted_at"] = now
            review_removes += PERSONAL_FIELDS
            self.repo.stage_forget_identity(tx, review, self._ip_keep)
            # Earlier cases about the same review hold the reviewer's answers too.
            retire |= self._stage_erase_answers(tx, review, by, now, handled=report_id)
        for number, token_hash in enumerate(sorted(retire)):
            self._retire_link(tx, token_hash, scrub=new == DELETED, label=f"retire:{number}")
        after_review = self.repo.stage_review_change(
            tx, review, review_sets, review_removes,
            condition=Condition("{status} = {:s} AND {open_report_id} = {:r} AND {version} = {:v}",
                                s=REPORTED, r=report_id, v=int(review["version"])))
        self._stage_public_change(tx, review, after_review)
        return after_report, after_review, self._stage_mails(tx, outgoing)

    # -- one person's reviews (ops: Art. 15 export, Art. 17 erasure) -----------------------

    def reviews_of(self, agency_id: str, email: str) -> list[Item]:
        """The reviews one person (by email) wrote about one agency, deleted ones left out."""
        ids = self.repo.ident_review_ids(agency_id, "email", self._hash("email", email_key(email)))
        found = self.repo.get_reviews(ids)
        return [found[i] for i in ids if i in found and found[i]["status"] != DELETED]

    def erase(self, review_id: str, by: str) -> bool:
        """Deletes a review the way QA's "delete" resolution does: status ``deleted``, the
        reviewer's data and identity entries gone, its links retired and scrubbed, the
        public summary corrected. False when it was gone already."""
        def attempt() -> bool:
            item = self.repo.get_review(review_id)
            if item is None or item["status"] == DELETED:
                return False
            now = iso(self.clock.now())
            tx = Transaction(self.repo.table.client)
            self.repo.stage_forget_identity(tx, item, self._ip_keep)
            retire = set(item.get("link_hashes") or ()) | ({item["reverify_link"]}
                                                            if item.get("reverify_link") else set())
            retire |= self._stage_erase_answers(tx, item, by, now)
            for number, token_hash in enumerate(sorted(retire)):
                self._retire_link(tx, token_hash, scrub=True, label=f"retire:{number}")
            after = self.repo.stage_review_change(
                # Not a life-cycle event: an erasure request ends any status, final or not.
                tx, item, {"status": DELETED, "status_at": now,
                           "deleted_at": now, "deleted_by": by},
                [*PERSONAL_FIELDS, "reverify_link", "reverify_deadline", "reverify_requested_at",
                 "purge_at", "open_report_id"],
                condition=Condition("{version} = {:v}", v=int(item["version"])))
            self._stage_public_change(tx, item, after)
            self._execute(tx)
            return True

        return bool(self._run(attempt))

    def _stage_erase_answers(self, tx: Transaction, review: Item, by: str, now: str,
                             handled: str | None = None) -> set[str]:
        """Takes the reviewer's statements and proofs out of every report case about the
        review (but ``handled``, which the caller changes itself); an open case ends with
        the review ("delete"), its pending requests and their deadlines with it. Returns
        the request links to retire."""
        retire: set[str] = set()
        for number, report in enumerate(self.repo.get_reports(_report_ids(review) - {handled})):
            sets, removes = without_answers(report), []
            if report["status"] == "open":
                sets.update({"status": "resolved", "outcome": "delete", "resolved_at": now,
                             "resolved_by": by, "resolution_reason":
                             "Bewertung auf Antrag der verfassenden Person gelöscht "
                             "(Art. 17 DSGVO)."})
                for kind in ANSWER_KINDS:
                    if report.get(f"{kind}_link"):
                        retire.add(report[f"{kind}_link"])
                        removes.append(f"{kind}_link")
                    self.repo.stage_drop_deadline(tx, report["report_id"], kind)
            if sets or removes:
                self.repo.stage_report_change(tx, report, sets, removes,
                                              label=f"report:{number}")
        return retire

    def answers_of(self, reviews: list[Item]) -> list[dict[str, Any]]:
        """The reviewer's statements and proofs in the report cases about ``reviews``."""
        ids = set().union(*(_report_ids(r) for r in reviews))
        return [answer for report in self.repo.get_reports(ids)
                for answer in reviewer_answers(report)]

    # -- review-sweep ---------------------------------------------------------------------

    def sweep(self, should_stop: Callable[[], bool] = lambda: False) -> SweepReport:
        """The nightly pass: purge unconfirmed reviews after 30 days, expire unanswered
        re-verifications and statement/proof requests, then sample published reviews for
        re-verification. Only index Queries find the work; every write re-checks the state
        in its condition, so a second run on the same day finds nothing left to do.

        No cap on the work: when ``should_stop`` says the time is up, the run ends and
        the next scheduled run finds what is left still in the indexes."""
        report = SweepReport()
        now = self.clock.now()
        for item in self.repo.due(iso(now)):
            if should_stop():
                report.stopped_for_time = True
                return report
            kind = item["due_sk"].split("#")[1]
            handler = {"purge": self._sweep_purge, "reverify": self._sweep_reverify_expired,
                       "answer": self._sweep_answer_expired}.get(kind)
            try:
                done = handler(item) if handler else False
            except (_Retry, Conflict):
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
        slots = sample_slots(today, self.settings.review_reverify_share)
        for item in self.repo.reverify_candidates(slots, today.isoformat()):
            if should_stop():
                report.stopped_for_time = True
                return report
            try:
                if self._sweep_request_reverification(item):
                    report.reverification_requested += 1
                else:
                    report.skipped += 1
            except _Retry:
                report.skipped += 1
            except Exception as exc:
                log.exception("review-sweep sample failed",
                              extra={"review_id": item.get("review_id")})
                report.errors.append(type(exc).__name__)
        return report

    def _sweep_purge(self, item: Item) -> str | bool:
        if item["status"] != AWAITING or item.get("purge_at", "~") > iso(self.clock.now()):
            return False
        tx = Transaction(self.repo.table.client)
        self.repo.stage_delete_review(tx, item, Condition(
            "{status} = {:s} AND {version} = {:v}", s=AWAITING, v=int(item["version"])))
        self.repo.stage_forget_identity(tx, item, self._ip_keep)
        for number, token_hash in enumerate(sorted(item.get("link_hashes") or ())):
            self._retire_link(tx, token_hash, scrub=True, label=f"retire:{number}")
        self._execute(tx)
        return "purged"

    def _sweep_reverify_expired(self, item: Item) -> str | bool:
        now = self.clock.now()
        if not item.get("reverify_link") or item.get("reverify_deadline", "~") > iso(now):
            return False
        finding = {"check": "reverification_unanswered",
                   "detail": "Die stichprobenartige erneute Bestätigung per E-Mail blieb bis "
                             f"zum {german_date(parse_iso(item['reverify_deadline']))} "
                             "unbeantwortet."}
        sets: dict[str, Any] = {"findings": [*(item.get("findings") or []), finding]}
        if item["status"] == PUBLISHED:
            sets.update({"status": transition(PUBLISHED, "reverification_unanswered"),
                         "status_at": iso(now), "due_by": self.due_by(now)})
        tx = Transaction(self.repo.table.client)
        self._retire_link(tx, item["reverify_link"], label="retire_reverify")
        after = self.repo.stage_review_change(
            tx, item, sets, ["reverify_link", "reverify_deadline", "reverify_requested_at"],
            condition=Condition("{reverify_link} = {:h} AND {version} = {:v}",
                                h=item["reverify_link"], v=int(item["version"])))
        self._stage_public_change(tx, item, after)
        self._execute(tx)
        return "reverification_unanswered"

    def _sweep_answer_expired(self, deadline: Item) -> str | bool:
        if deadline.get("deadline", "~") > iso(self.clock.now()):
            return False
        report = self.repo.get_report(deadline["report_id"])
        if (report is None or report["status"] != "open"
                or report.get(f"{deadline['kind']}_link") != deadline["link_hash"]):
            return False
        review = self.repo.get_review(report["review_id"])
        if review is None or review["status"] != REPORTED:
            return False
        label = "Stellungnahme" if deadline["kind"] == "statement" else "Nachweis"
        reason = (f"Die angeforderte {label} ist bis zum Ablauf der Frist am "
                  f"{german_date(parse_iso(deadline['deadline']))} nicht eingegangen. Die "
                  f"Bewertung wird deshalb gesperrt.")
        tx = Transaction(self.repo.table.client)
        _report, _review, staged = self._stage_resolution(tx, report, review, "block", reason,
                                                          "review-sweep")
        self._execute(tx)
        self.outbox.deliver(staged)
        return "reports_blocked"

    def _sweep_request_reverification(self, item: Item) -> bool:
        if item["status"] != PUBLISHED or item.get("reverify_link") or not item.get("email"):
            return False
        now = self.clock.now()
        today = berlin_date(now)
        valid_for = timedelta(days=self.settings.review_reverify_link_days)
        tx = Transaction(self.repo.table.client)
        link = self.links.issue(
            tx, purpose=PURPOSE_REVERIFY, record_id=item["review_id"],
            agency_id=item["agency_id"], valid_for=valid_for,
            context={"review_id": item["review_id"], "agency_name": item.get("agency_name"),
                     "title": item["title"], "rating": item["rating"],
                     "reviewer_name": item["reviewer_name"]})
        self.repo.stage_review_change(
            tx, item, {"reverify_link": link.token_hash,
                       "reverify_deadline": iso(link.expires_at),
                       "reverify_requested_at": iso(now),
                       "last_sampled_on": today.isoformat()},
            condition=Condition("{status} = {:s} AND {version} = {:v} AND "
                                "attribute_not_exists({reverify_link})",
                                s=PUBLISHED, v=int(item["version"])),
            adds={"link_hashes": {link.token_hash}})
        staged = self._stage_mails(tx, [OutboxMail(
            f"{item['review_id']}-reverify-{today.isoformat()}", "review_reverify",
            mails.reverify_mail(item, link.url, link.expires_at),
            ref_kind="review", ref_id=item["review_id"])])
        self._execute(tx)
        self.outbox.deliver(staged)
        return True


# -- link actions ----------------------------------------------------------------------------

def _review_details(ctx: dict[str, Any]) -> list[tuple[str, str]]:
    return [("Makler", ctx.get("agency_name") or ""), ("Bewertung", mails.stars(ctx["rating"])),
            ("Titel", ctx.get("title") or "")]


REVIEWER_MAIL_KINDS = frozenset({
    "review_confirm", "review_published", "review_rejected", "review_reverify",
    "review_answer_request", "review_report_outcome_reviewer"})


class _ConfirmAction:
    """The reviewer confirms the review: the checks run and decide published / in_review."""

    def __init__(self, service: ReviewService) -> None:
        self.service = service

    def describe(self, link: Item) -> Page:
        review = link["context"]["review"]
        return Page(
            heading="Bewertung bestätigen",
            paragraphs=[f"Bitte bestätigen Sie, dass Sie diese Bewertung von "
                        f"{review['agency_name']} selbst abgegeben haben. Danach prüfen wir sie "
                        "automatisch und veröffentlichen sie – positive wie negative "
                        "Bewertungen gleichermaßen."],
            details=[*_review_details(review), ("Ihr Name (öffentlich)", review["reviewer_name"])],
            button="Bewertung bestätigen",
        )

    def perform(self, link: Item, tx: Transaction, submission: Submission) -> Outcome:
        snapshot = link["context"].get("review")
        if not snapshot:
            raise StaleLink()
        after, staged = self.service.stage_confirmation(tx, snapshot, submission)
        if after["status"] == PUBLISHED:
            page = Page(heading="Vielen Dank! Ihre Bewertung ist veröffentlicht.",
                        paragraphs=["Sie erhalten eine Bestätigung per E-Mail. Der Makler wird "
                                    "über Ihre Bewertung informiert und kann sie kommentieren."])
        else:
            due = german_date(date.fromisoformat(after["due_by"]))
            page = Page(heading="Vielen Dank! Ihre Bewertung wird geprüft.",
                        paragraphs=["Unsere automatische Prüfung hat Hinweise ergeben, die "
                                    "unser Qualitätsteam persönlich ansieht. In der Regel "
                                    f"entscheiden wir bis zum {due} und informieren Sie per "
                                    "E-Mail."])
        def after_commit() -> None:
            if after["status"] == PUBLISHED:
                self.service.metrics.count(REVIEWS_PUBLISHED, via="checks")
            self.service.outbox.deliver(staged)

        return Outcome(page=page, after_commit=after_commit)


class _ReverifyAction:
    """Re-verification by sample: the reviewer confirms a published review again."""

    def __init__(self, service: ReviewService) -> None:
        self.service = service

    def describe(self, link: Item) -> Page:
        ctx = link["context"]
        return Page(
            heading="Bewertung erneut bestätigen",
            paragraphs=["Wir bitten stichprobenartig darum, veröffentlichte Bewertungen noch "
                        "einmal zu bestätigen. Bitte bestätigen Sie, dass diese Bewertung von "
                        "Ihnen stammt."],
            details=_review_details(ctx), button="Bewertung bestätigen",
        )

    def perform(self, link: Item, tx: Transaction, submission: Submission) -> Outcome:
        service = self.service
        item = service.repo.get_review(link["context"]["review_id"])
        if item is None or item.get("reverify_link") != link["token_hash"]:
            raise StaleLink()
        now = service.clock.now()
        today = berlin_date(now)
        sets: dict[str, Any] = {"reverified_at": iso(now), "reconfirmed_on": today.isoformat(),
                                "borderline": False}
        sets["reverify_eligible_on"] = service._eligible_on({**item, **sets}, today)
        service.repo.stage_review_change(
            tx, item, sets, ["reverify_link", "reverify_deadline", "reverify_requested_at"],
            condition=Condition("{reverify_link} = {:h} AND {version} = {:v}",
                                h=link["token_hash"], v=int(item["version"])),
            # A concurrent change of the review: read it again rather than answer 410.
            label=f"{RETRY_PREFIX}review")
        return Outcome(page=Page(
            heading="Vielen Dank! Ihre Bewertung ist bestätigt.",
            paragraphs=["Die Bewertung wird mit dem Hinweis „erneut bestätigt“ angezeigt."]))


class _AnswerAction:
    """The reviewer's statement or proof for a reported review (a German text form)."""

    def __init__(self, service: ReviewService, kind: str) -> None:
        self.service = service
        self.kind = kind

    def describe(self, link: Item) -> Page:
        ctx = link["context"]
        request = ctx["request"]
        proof = self.kind == "proof"
        details = [*_review_details(ctx),
                   ("Beanstandung", REPORT_CATEGORY_LABELS.get(ctx["category"], ctx["category"])),
                   ("Begründung des Maklers", ctx["complaint"])]
        if request.get("message"):
            details.append(("Hinweis des Qualitätsteams", request["message"]))
        deadline = german_date(parse_iso(request["deadline"]))
        return Page(
            heading="Nachweis zu Ihrer Bewertung" if proof else "Stellungnahme zu Ihrer Bewertung",
            paragraphs=[
                "Der Makler hat Ihre Bewertung beanstandet. "
                + ("Bitte nennen Sie Nachweise für Ihren Kundenkontakt oder Ihre Angaben "
                   "(z. B. Datum und Art von Schreiben, Exposé, Besichtigungstermin, Vertrag)."
                   if proof else "Bitte nehmen Sie dazu Stellung."),
                f"Bitte antworten Sie bis zum {deadline}; ohne Antwort wird die Bewertung "
                "gesperrt.",
            ],
            details=details,
            fields=[FormField("answer", "Ihr Nachweis" if proof else "Ihre Stellungnahme",
                              multiline=True, required=True, max_length=ANSWER_MAX_LENGTH)],
            button="Nachweis senden" if proof else "Stellungnahme senden",
        )

    def perform(self, link: Item, tx: Transaction, submission: Submission) -> Outcome:
        ctx = link["context"]
        service = self.service
        now = iso(service.clock.now())
        answered = {**ctx["request"], "answered_at": now, "answer": submission.form["answer"]}
        if submission.user_agent:
            answered["answer_user_agent"] = submission.user_agent[:300]
        report_id = ctx["report_id"]
        tx.update(service.repo.table, *report_key(report_id),
                  Update(sets={self.kind: answered}, removes=[f"{self.kind}_link"],
                         adds={"version": 1}),
                  condition=Condition(f"{{{self.kind}_link}} = {{:h}} AND {{status}} = {{:o}}",
                                      h=link["token_hash"], o="open"),
                  label="report")
        service.repo.stage_drop_deadline(tx, report_id, self.kind)
        label = "Nachweis" if self.kind == "proof" else "Stellungnahme"
        return Outcome(page=Page(
            heading=f"Vielen Dank für Ihre {label}.",
            paragraphs=["Unser Qualitätsteam prüft Ihre Antwort und informiert Sie und den "
                        "Makler per E-Mail über das Ergebnis."]))

