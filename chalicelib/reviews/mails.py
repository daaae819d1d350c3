"""The mails of the review flows (German, text + HTML)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib.clock import parse_iso
from chalicelib.mail.message import Mailbox, MailMessage
from chalicelib.mail.render import render_pair
from chalicelib.reviews.model import (
    OUTCOME_LABELS,
    REJECT_CATEGORY_EXPLANATIONS,
    REJECT_CATEGORY_LABELS,
    REPORT_CATEGORY_LABELS,
)


def stars(rating: int) -> str:
    rating = max(0, min(5, int(rating)))
    return "★" * rating + "☆" * (5 - rating)


def _mail(template: str, subject: str, to: str, mail_kind: str, **context: Any) -> MailMessage:
    text, html = render_pair(template, subject=subject, **context)
    return MailMessage(to=[to], subject=subject, text=text, html=html,
                       tags={"kind": mail_kind})


def _review_context(review: Mapping[str, Any]) -> dict[str, Any]:
    return {"reviewer_name": review.get("reviewer_name") or "", "title": review.get("title") or "",
            "agency_name": review.get("agency_name") or "", "stars": stars(review["rating"])}


def confirm_mail(review: dict[str, Any], link_url: str, valid_until: datetime) -> MailMessage:
    # Unverified: no free text of the anonymous request (name, title) in a mail to an
    # address it supplied; the reviewer sees the agency and the stars (issue 19).
    context = {**_review_context(review), "reviewer_name": "", "title": ""}
    return _mail("review_confirm", f"Bitte bestätigen Sie Ihre Bewertung von {review['agency_name']}",
                 review["email"], "review_confirm", link_url=link_url, valid_until=valid_until,
                 **context)


def published_mail(review: dict[str, Any]) -> MailMessage:
    return _mail("review_published",
                 f"Ihre Bewertung von {review['agency_name']} ist veröffentlicht",
                 review["email"], "review_published", **_review_context(review))


def published_agency_mail(review: dict[str, Any], agency_email: str, dashboard_url: str
                          ) -> MailMessage:
    return _mail("review_published_agency", f"Neue Bewertung: {review['title']}", agency_email,
                 "review_published_agency", text=review.get("text") or "",
                 dashboard_url=dashboard_url, **_review_context(review))


def rejected_mail(review: dict[str, Any], category: str) -> MailMessage:
    return _mail("review_rejected",
                 f"Ihre Bewertung von {review['agency_name']} wurde nicht veröffentlicht",
                 review["email"], "review_rejected",
                 category_label=REJECT_CATEGORY_LABELS[category],
                 category_explanation=REJECT_CATEGORY_EXPLANATIONS[category],
                 **_review_context(review))


def commented_mail(review: Mapping[str, Any], comment: str) -> MailMessage:
    return _mail("review_commented",
                 f"{review['agency_name']} hat Ihre Bewertung kommentiert",
                 review["email"], "review_commented", comment=comment, **_review_context(review))


def answer_request_mail(review: Mapping[str, Any], report: Mapping[str, Any], kind: str,
                        message: str | None, link_url: str, deadline: datetime) -> MailMessage:
    subject = ("Bitte um Nachweis zu Ihrer Bewertung" if kind == "proof"
               else "Bitte um Stellungnahme zu Ihrer Bewertung")
    return _mail("review_answer_request", f"{subject} von {review['agency_name']}",
                 review["email"], f"review_{kind}_request", kind=kind, message=message,
                 complaint=report["reason"],
                 category_label=REPORT_CATEGORY_LABELS[report["category"]],
                 button_label="Nachweis angeben" if kind == "proof" else "Stellungnahme abgeben",
                 link_url=link_url, deadline=deadline, **_review_context(review))


def report_outcome_mail(review: Mapping[str, Any], outcome: str, reason: str, *, to: str,
                        audience: str) -> MailMessage:
    subject = (f"Ergebnis der Prüfung Ihrer Bewertung von {review['agency_name']}"
               if audience == "reviewer" else
               f"Ergebnis Ihrer Meldung zur Bewertung „{review['title']}“")
    return _mail("review_report_outcome", subject, to, f"review_report_outcome_{audience}",
                 audience=audience, outcome_label=OUTCOME_LABELS[outcome], reason=reason,
                 **_review_context(review))


def reverify_mail(review: dict[str, Any], link_url: str, valid_until: datetime) -> MailMessage:
    return _mail("review_reverify", f"Bitte bestätigen Sie Ihre Bewertung von "
                                    f"{review['agency_name']} erneut",
                 review["email"], "review_reverify", link_url=link_url, valid_until=valid_until,
                 **_review_context(review))


def visibility_agency_mail(review: Mapping[str, Any], agency_email: str, *, shown: bool, why: str,
                           dashboard_url: str, qa_email: str) -> MailMessage:
    title = review.get("title") or ""
    subject = (f"Bewertung wieder sichtbar: „{title}“" if shown
               else f"Bewertung nicht mehr sichtbar: „{title}“")
    kind = "review_restored_agency" if shown else "review_hidden_agency"
    return _mail("review_visibility_agency", subject, agency_email, kind, shown=shown, why=why,
                 dashboard_url=dashboard_url, qa_email=qa_email, **_review_context(review))


def takedown_mail(review: Mapping[str, Any], to: str, audience: str, **facts: Any) -> MailMessage:
    """The statement of reasons (DSA Art. 17) for a takedown, to the reviewer or agency."""
    subject = (f"Ihre Bewertung von {review['agency_name']} wurde gesperrt"
               if audience == "reviewer" else
               f"Bewertung gesperrt: „{review.get('title') or ''}“")
    kind = "review_takedown" if audience == "reviewer" else "review_takedown_agency"
    return _mail("review_takedown", subject, to, kind, audience=audience, **facts,
                 **_review_context(review))


def notice_mail(review: Mapping[str, Any], notice: dict[str, Any], *, decided: bool,
                outcome_label: str, reason: str | None, qa_email: str) -> MailMessage:
    """The notifier's receipt of a notice (DSA Art. 16) or QA's decision on it."""
    title = review.get("title") or ""
    subject = (f"Entscheidung zu Ihrer Meldung der Bewertung „{title}“" if decided
               else f"Eingangsbestätigung Ihrer Meldung der Bewertung „{title}“")
    kind = "review_notice_decision" if decided else "review_notice_receipt"
    return _mail("review_notice", subject, notice["email"], kind, decided=decided,
                 notifier_name=notice.get("name"), received_at=parse_iso(notice["created_at"]),
                 outcome_label=outcome_label, reason=reason, qa_email=qa_email,
                 **_review_context(review))


def invitation_mail(to: str, *, agency: dict[str, str], greeting: str,
                    property_title: str | None, deal: str, link_url: str, objection_url: str,
                    valid_until: datetime) -> MailMessage:
    """The agency's request for a review (contract v2, invitations): the form link, the
    objection link and notice (UWG § 7(3) no. 4), why the mail comes, who sends it."""
    return _mail("review_invitation", f"{agency['name']} bittet um Ihre Bewertung", to,
                 "review_invitation", agency=agency, greeting=greeting,
                 property_title=property_title, deal=deal, link_url=link_url,
                 objection_url=objection_url, valid_until=valid_until)


def with_reply_to(message: MailMessage, mailbox: Mailbox) -> MailMessage:
    return replace(message, reply_to=mailbox)
