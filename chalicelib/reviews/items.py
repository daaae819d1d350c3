"""The stored shapes of a review (``REVIEW#<id>`` / ``REVIEW``) and a report case
(``REPORT#<id>`` / ``REPORT``) at the repository boundary: what
``chalicelib/reviews/repository.py`` reads back, so a reader and mypy can follow a
review's fields from the form through QA, reports and the sweep to the erasure.

Only the keys every item carries are ``Required``; the others appear with the state
that sets them (and go again with it: an erasure removes the personal fields).
"""

from __future__ import annotations

from typing import Any, Required, TypedDict


class ReviewItem(TypedDict, total=False):
    # Keys of the item itself and of its index entries (repository.index_attributes).
    pk: str
    sk: str
    pub_pk: str
    pub_sk: str
    agency_pk: str
    agency_sk: str
    queue_pk: str
    queue_sk: str
    due_pk: str
    due_sk: str
    rv_pk: str
    rv_sk: str
    # What the reviewer submitted (the personal fields go with an erasure).
    review_id: Required[str]
    agency_id: Required[str]
    agency_name: str
    rating: int
    title: str
    text: str
    reviewer_name: str
    email: str
    email_hash: str
    phone: str
    phone_hash: str
    ip_hash: str
    user_agent: str
    invited: Any  # the invitation it answers (issue 31)
    # Its state.
    status: Required[str]
    status_at: str
    submitted_at: Required[str]
    version: Required[int]
    purge_at: str
    confirm_link: str
    link_hashes: set[str]
    mail_suppressed: bool
    contact_undeliverable: bool
    confirmed_at: str
    published_at: str
    deleted_at: str
    erase_at: str
    due_by: str
    # QA: the checks' findings, the decisions and phone checks taken, the comment.
    findings: Any
    borderline: bool
    decisions: list[dict[str, Any]]
    phone_checks: list[dict[str, Any]]
    rejection_category: str
    comment: dict[str, Any]  # the agency's public answer: text, created_at, updated_at
    history: list[dict[str, Any]]
    sim_bands: Any
    notice_ids: set[str]
    # Re-verification (sampling and flags).
    flag: dict[str, Any]
    flags: list[dict[str, Any]]
    reverify_link: str
    reverify_deadline: str
    reverify_ask_on: str
    reverify_requested_at: str
    reverify_period: str
    reverified_at: str
    reconfirmed_on: str
    last_sample_period: str
    last_seen: str
    # Reports about it.
    open_report_id: str
    report_ids: set[str]


class ReportItem(TypedDict, total=False):
    pk: str
    sk: str
    queue_pk: str
    queue_sk: str
    report_id: Required[str]
    review_id: Required[str]
    agency_id: Required[str]
    category: str
    reason: str
    status: Required[str]
    created_at: Required[str]
    version: Required[int]
    # The reviewer's answers (platform-controlled personal data, erased with the review)
    # and the links that asked for them.
    statement: dict[str, Any]
    proof: dict[str, Any]
    statement_link: str
    proof_link: str
    history: list[dict[str, Any]]
    # The decision.
    outcome: str
    resolution_reason: str
    resolved_at: str
    resolved_by: Any  # an actor


def answer(report: ReportItem, kind: str) -> dict[str, Any] | None:
    """The reviewer's current answer of one kind (``views.ANSWER_KINDS``), if any."""
    return report.get("statement") if kind == "statement" else report.get("proof")


def answer_link(report: ReportItem, kind: str) -> str | None:
    """The hash of the link that asks for the answer of one kind, while it is pending."""
    return report.get("statement_link") if kind == "statement" else report.get("proof_link")
