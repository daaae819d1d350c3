"""The agency's public face: a server-rendered German profile page with its reviews and a
schema.org JSON-LD block (Google's review snippet), and an SVG seal for its own website.

Reads: the agency item (name and controller details), the summary (one Query of its
shards) and, for the page, one page of public reviews. The JSON-LD sits inside a
``<script>`` block, where HTML escaping does not apply: ``<``, ``>`` and ``&`` are written
as JSON ``\\u`` escapes so no text (a review's ``</script>``) can end the block.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.agencies.profile import controller_of
from chalicelib.mail.render import render
from chalicelib.reviews.context import ReviewContext
from chalicelib.reviews.listing import verification_notice
from chalicelib.reviews.mails import stars
from chalicelib.reviews.model import PUBLIC_STATUSES
from chalicelib.reviews.texts import reviews_counted
from chalicelib.reviews.views import average, public_view

PROFILE_PAGE_SIZE = 50


def script_json(data: Any) -> str:
    """JSON safe inside ``<script type="application/ld+json">``."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def german_number(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


class PublicFace:
    def __init__(self, ctx: ReviewContext) -> None:
        self.ctx = ctx

    def _summary(self, agency_id: str) -> tuple[int, float | None]:
        count, rating_sum = self.ctx.repo.summary(agency_id)
        return count, average(count, rating_sum)

    def profile(self, agency_id: str) -> str:
        ctx = self.ctx
        agency = ctx.agency(agency_id)
        controller = controller_of(agency)
        name = controller.legal_name or agency.get("name") or agency_id
        count, avg = self._summary(agency_id)
        items, _ = ctx.repo.public_page(agency_id, PROFILE_PAGE_SIZE, None)
        reviews = [{**public_view(i), "invited": bool(i.get("invited")),
                    "stars": stars(i["rating"])}
                   for i in items if i["status"] in PUBLIC_STATUSES]
        base = ctx.settings.public_base_url.rstrip("/")
        page_url = f"{base}/agencies/{agency_id}/profile"
        ld = None
        if count and avg is not None:
            item_reviewed: dict[str, Any] = {"@type": "RealEstateAgent", "name": name,
                                             "url": page_url}
            if controller.postal_address:
                item_reviewed["address"] = {
                    "@type": "PostalAddress", "streetAddress": controller.street,
                    "postalCode": controller.zip, "addressLocality": controller.city,
                    "addressCountry": "DE"}
            ld = script_json({
                "@context": "https://schema.org", "@type": "AggregateRating",
                "itemReviewed": item_reviewed, "ratingValue": avg, "ratingCount": count,
                "bestRating": 5, "worstRating": 1,
                "review": [{
                    "@type": "Review", "name": r["title"], "reviewBody": r["text"],
                    "datePublished": r["published_at"][:10],
                    "author": {"@type": "Person", "name": r["reviewer_name"]},
                    "itemReviewed": {"@type": "RealEstateAgent", "name": name},
                    "reviewRating": {"@type": "Rating", "ratingValue": r["rating"],
                                     "bestRating": 5, "worstRating": 1}}
                    for r in reviews]})
        return render("review_profile.html", name=name, agency_id=agency_id, count=count,
                      average=german_number(avg) if avg is not None else None,
                      stars=stars(round(avg)) if avg is not None else "", reviews=reviews,
                      notice=verification_notice(ctx.settings.review_reverify_share_per_year),
                      controller=controller, ld_json=ld, base_url=base,
                      qa_email=ctx.settings.review_qa_email,
                      count_text=reviews_counted(count))

    def badge(self, agency_id: str) -> str:
        agency = self.ctx.agency(agency_id)
        name = controller_of(agency).legal_name or agency.get("name") or agency_id
        count, avg = self._summary(agency_id)
        filled = round(avg) if avg is not None else 0
        return render("review_badge.svg", name=name, count=count,
                      average=german_number(avg) if avg is not None else None,
                      filled=filled, count_text=reviews_counted(count))
