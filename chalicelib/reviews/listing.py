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
    position,
    public_view,
    qa_view,
    report_view,
)
from chalicelib.storage import cursor


def verification_notice(share_per_year: float) -> str:
    percent = f"{share_per_year * 100:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    return texts.text("verification_notice", share_percent=percent)


class Listings:
    def __init__(self, ctx: ReviewContext) -> None:
        self.ctx = ctx

    def public_reviews(self, agency_id: str, cursor_value: str | None,
                       limit_value: str | None) -> dict[str, Any]:
        repo = self.ctx.repo
        self.ctx.agency(agency_id)
        limit = cursor.page_limit(limit_value, default=20)
        after = position(cursor_value, TIME_POSITION)
        items, last = repo.public_page(agency_id, limit, after)
        count, rating_sum = repo.summary(agency_id)
        return {
            "reviews": [public_view(i) for i in items if i["status"] in PUBLIC_STATUSES],
            "next_cursor": cursor.encode(last) if last else None,
            "summary": {"count": count, "average": average(count, rating_sum)},
            "verification_notice": verification_notice(
                self.ctx.settings.review_reverify_share_per_year),
        }

    def qa_reviews(self, status: str | None, cursor_value: str | None,
                   limit_value: str | None) -> dict[str, Any]:
        status = status or IN_REVIEW
        if status not in STATUSES or status == DELETED:
            raise ValidationFailed({"status": "Erlaubt: " + ", ".join(
                s for s in STATUSES if s != DELETED) + "."})
        limit = cursor.page_limit(limit_value, default=50, maximum=200)
        after = position(cursor_value, QUEUE_POSITION)
        items, last = self.ctx.repo.queue_page(f"QUEUE#{status}", limit, after)
        return {"reviews": [qa_view(i) for i in items if i["status"] == status],
                "next_cursor": cursor.encode(last) if last else None}

    def qa_review(self, review_id: str) -> dict[str, Any]:
        return qa_view(self.ctx.review(review_id))

    def agency_reviews(self, agency_id: str, cursor_value: str | None,
                       limit_value: str | None) -> dict[str, Any]:
        limit = cursor.page_limit(limit_value, default=50, maximum=200)
        after = position(cursor_value, TIME_POSITION)
        items, last = self.ctx.repo.agency_page(agency_id, limit, after)
        return {"reviews": [agency_view(i) for i in items
                            if i["agency_id"] == agency_id and i["status"] != DELETED],
                "next_cursor": cursor.encode(last) if last else None}

    def qa_reports(self, status: str | None, cursor_value: str | None,
                   limit_value: str | None) -> dict[str, Any]:
        status = status or "open"
        if status not in ("open", "resolved"):
            raise ValidationFailed({"status": "Erlaubt: open, resolved."})
        limit = cursor.page_limit(limit_value, default=50, maximum=100)
        after = position(cursor_value, QUEUE_POSITION)
        reports, last = self.ctx.repo.reports_page(status, limit, after)
        reviews = self.ctx.repo.get_reviews(r["review_id"] for r in reports)
        return {"reports": [report_view(r, reviews.get(r["review_id"])) for r in reports],
                "next_cursor": cursor.encode(last) if last else None}
