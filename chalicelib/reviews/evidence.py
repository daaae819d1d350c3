"""The stored side of the checks' ``Evidence`` protocol (``checks.py``): the review's
lookups read in one BatchGetItem."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.agencies.repository import agency_key
from chalicelib.clock import iso, parse_iso
from chalicelib.reviews import similarity
from chalicelib.reviews.context import ReviewContext
from chalicelib.reviews.model import DELETED
from chalicelib.reviews.repository import (
    burst_key,
    ident_key,
    ip_bucket_key,
    ip_days_around,
    members,
    review_key,
    sim_key,
)
from chalicelib.reviews.signals import agency_ip_key
from chalicelib.storage.dynamo import BatchGet, BatchKey, Item


class DynamoEvidence:
    """Answers the checks' questions from what one BatchGetItem read together with the
    review: the agency profile, the agency-IP item, the identity items, the IP buckets
    around the submission and the similarity band items. Only the candidates' texts
    need a second read, and only when a band names other reviews."""

    # The review fields the lookups are keyed by: the link's snapshot has them too.
    KEYED_BY = ("agency_id", "email_hash", "phone_hash", "ip_hash", "submitted_at", "text")

    def __init__(self, ctx: ReviewContext, review: Item) -> None:
        self.ctx = ctx
        self.review = review
        self.band_keys = similarity.band_keys(review.get("text") or "")
        repo, agency_id = ctx.repo, review["agency_id"]
        batch = BatchGet()
        self._review = batch.add(repo.table, *review_key(review["review_id"]))
        self._agency = batch.add(ctx.agency_repo.core, *agency_key(agency_id))
        self._agency_ip = (batch.add(ctx.ip_log.core, *agency_ip_key(agency_id,
                                                                          review["ip_hash"]))
                           if review.get("ip_hash") else None)
        self._idents = {kind: batch.add(repo.table, *ident_key(agency_id, kind, review[key]))
                        for kind, key in (("email", "email_hash"), ("phone", "phone_hash"))
                        if review.get(key)}
        self._ip_buckets = (batch.add_all(repo.table, (
            ip_bucket_key(agency_id, review["ip_hash"], day)
            for day in ip_days_around(review["submitted_at"]))) if review.get("ip_hash") else [])
        self._bands = {band: batch.add(repo.table, *sim_key(band)) for band in self.band_keys}
        self._bursts = batch.add_all(repo.table, (
            burst_key(agency_id, day) for day in ip_days_around(review["submitted_at"])))
        self._found = batch.run()

    @classmethod
    def read(cls, ctx: ReviewContext, snapshot: Item) -> tuple[Item | None, DynamoEvidence]:
        """The stored review and the evidence, keyed by the link's snapshot so that all is
        one read; should the stored review differ in a keyed field, read again by it."""
        evidence = cls(ctx, snapshot)
        current = evidence.current
        if current is not None and any(current.get(f) != snapshot.get(f) for f in cls.KEYED_BY):
            evidence = cls(ctx, current)
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
        return self._agency_ip is not None and self.ctx.ip_log.is_recent(
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

    def burst_neighbours(self) -> list[str]:
        """Other reviews of this agency from new reviewer emails within 24 h of this one
        (``<submitted_at>#<id>`` entries)."""
        submitted = parse_iso(self.review["submitted_at"])
        start = iso(submitted - timedelta(hours=24))
        end = iso(submitted + timedelta(hours=24))
        own = self.review["review_id"]
        return sorted(entry for key in self._bursts for entry in self._members(key)
                      if start <= entry.rsplit("#", 1)[0] <= end
                      and entry.rsplit("#", 1)[1] != own)

    def band_members(self) -> dict[str, set[str]]:
        """Each band key with the review ids its item held when read."""
        return {band: self._members(key) for band, key in self._bands.items()}

    def similar_texts(self) -> list[tuple[str, str]]:
        own = self.review["review_id"]
        ids = list(dict.fromkeys(i for band in self.band_members().values()
                                 for i in sorted(band) if i != own))
        if not ids:
            return []
        found = self.ctx.repo.get_reviews(ids[:100])
        return [(i, found[i]["text"]) for i in ids
                if i in found and found[i].get("text") and found[i]["status"] != DELETED]
