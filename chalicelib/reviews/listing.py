"""The review lists: public (one agency's published reviews with summary and the
verification notice), the agency's own, QA's queue per status, and QA's report cases."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import ValidationFailed
from chalicelib.reviews import texts
from chalicelib.reviews.context import ReviewContext
from chalicelib.reviews.model import DELETED, IN_REVIEW, PUBLIC_STATUSES, STATUSES
from chalicelib.reviews.views import (
    QUEUE_POSITION,
    TIME_POSITION,
    agency_view,
    average,
    public_view,
    qa_view,
    report_view,
)
from chalicelib.storage import cursor
from chalicelib.storage.cursor import Page


def verification_notice(share_per_year: float) -> str:
    percent = f"{share_per_year * 100:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    return texts.text("verification_notice", share_percent=percent)


class Listings:
    def __init__(self, ctx: ReviewContext) -> None:
        self.ctx = ctx

    def public_reviews(self, agency_id: str, page: Page) -> dict[str, Any]:
        repo = self.ctx.repo
        self.ctx.agency(agency_id)
        items, last = repo.public_page(agency_id, page.limit, page.after(shape=TIME_POSITION))
        count, rating_sum = repo.summary(agency_id)
        return {
            "reviews": [public_view(i) for i in items if i["status"] in PUBLIC_STATUSES],
            "next_cursor": cursor.encode(last) if last else None,
            "summary": {"count": count, "average": average(count, rating_sum)},
            "verification_notice": verification_notice(
                self.ctx.settings.review_reverify_share_per_year),
        }

    def qa_reviews(self, status: str | None, page: Page) -> dict[str, Any]:
        status = status or IN_REVIEW
        if status not in STATUSES or status == DELETED:
            raise ValidationFailed({"status": "Erlaubt: " + ", ".join(
                s for s in STATUSES if s != DELETED) + "."})
        items, last = self.ctx.repo.queue_page(f"QUEUE#{status}", page.limit,
                                               page.after(shape=QUEUE_POSITION))
        return {"reviews": [qa_view(i) for i in items if i["status"] == status],
                "next_cursor": cursor.encode(last) if last else None}

    def qa_review(self, review_id: str) -> dict[str, Any]:
        return qa_view(self.ctx.review(review_id))

    def agency_reviews(self, agency_id: str, page: Page) -> dict[str, Any]:
        items, last = self.ctx.repo.agency_page(agency_id, page.limit,
                                                page.after(shape=TIME_POSITION))
        return {"reviews": [agency_view(i) for i in items
                            if i["agency_id"] == agency_id and i["status"] != DELETED],
                "next_cursor": cursor.encode(last) if last else None}

    def qa_reports(self, status: str | None, page: Page) -> dict[str, Any]:
        status = status or "open"
        if status not in ("open", "resolved"):
            raise ValidationFailed({"status": "Erlaubt: open, resolved."})
        reports, last = self.ctx.repo.reports_page(status, page.limit,
                                                   page.after(shape=QUEUE_POSITION))
        reviews = self.ctx.repo.get_reviews(r["review_id"] for r in reports)
        return {"reports": [report_view(r, reviews.get(r["review_id"])) for r in reports],
                "next_cursor": cursor.encode(last) if last else None}
