"""What each audience sees of a review or a report (public, agency, QA), the public
average, the report cases' reviewer answers, and the list cursors' shapes. Pure: items in,
dicts out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chalicelib.reviews import texts
from chalicelib.reviews.sampling import plan_view
from chalicelib.storage.dynamo import Item

ANSWER_KINDS = ("statement", "proof")
REVIEWER_ANSWER_FIELDS = ("answer", "answer_user_agent")

# The sort-key shapes of the lists' cursors (``Page.after(shape=…)``).
TIME_POSITION = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[a-z2-7]{26}$")
QUEUE_POSITION = re.compile(r"^[0-9A-Za-z:.\-]{1,40}(#[0-9A-Za-z:.\-]{1,40}){1,2}$")


def comment_view(item: Mapping[str, Any]) -> dict[str, Any] | None:
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
        # Contract v2: shown as "Auf Einladung des Maklers" (the agency chose whom to ask).
        "invited": bool(item.get("invited")),
    }
    comment = comment_view(item)
    if comment:
        view["comment"] = comment
    if item.get("reconfirmed_on"):
        view["reconfirmed_on"] = item["reconfirmed_on"]
        view["reconfirmed_notice"] = texts.text(
            "reconfirmed_notice", on=date.fromisoformat(item["reconfirmed_on"]))
    return view


def agency_view(item: Mapping[str, Any]) -> dict[str, Any]:
    """What the agency may see: never the reviewer's email, phone, IP or user agent."""
    view: dict[str, Any] = {
        "review_id": item["review_id"], "status": item["status"], "rating": item["rating"],
        "title": item.get("title"), "text": item.get("text"),
        "reviewer_name": item.get("reviewer_name"), "submitted_at": item["submitted_at"],
        "confirmed_at": item.get("confirmed_at"), "published_at": item.get("published_at"),
        "comment": comment_view(item), "reconfirmed_on": item.get("reconfirmed_on"),
        "open_report_id": item.get("open_report_id"),
        "invited": bool(item.get("invited")),
    }
    return view


def qa_view(item: Mapping[str, Any]) -> dict[str, Any]:
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
        # The per-recipient mail cap held the confirm mail back (issue 19).
        "mail_suppressed": bool(item.get("mail_suppressed")),
        "reverification_plan": plan_view(item),
    })
    return view


def report_view(report: Mapping[str, Any], review: Mapping[str, Any] | None) -> dict[str, Any]:
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


def without_answers(report: Mapping[str, Any]) -> dict[str, Any]:
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


def report_ids(review: Mapping[str, Any]) -> set[str]:
    """Every report case about a review (the open one also for reviews reported before
    ``report_ids`` was kept)."""
    return {i for i in (*(review.get("report_ids") or ()), review.get("open_report_id")) if i}


def reviewer_answers(report: Mapping[str, Any]) -> list[dict[str, Any]]:
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
