"""Reviews as a holder of personal data, **controlled by the platform**: who wrote a
review (name, email, phone, IP hash, user agent), its text, the reviewer's answers in a
report case, and the index items that find a reviewer again (keyed hashes).

``controller = PLATFORM``: an agency's export and erasure never include this holder, so
an agency cannot learn who wrote a review nor delete one through its address book. Only
the operator's paths (``chalicelib/ops.py`` export_person/erase_person) reach it."""

from __future__ import annotations

from typing import Any

from chalicelib.personal_data import Controller, Found, ItemKind, ProcessingRecord, Subject

# Reviews' items without personal data.
NEUTRAL = (
    ItemKind("reviews", "SUMMARY#", "SHARD#", "public count and rating sum of an agency"),
    ItemKind("reviews", "SIM#", "IDS", "ids of reviews with a similar text (MinHash band)"),
    ItemKind("reviews", "BURST#", "IDS", "ids of reviews from new reviewer emails per day"),
)


class ReviewHolder:
    name = "reviews"
    controller = Controller.PLATFORM
    kinds = (
        ItemKind("reviews", "REVIEW#", "REVIEW",
                 "review: reviewer's name, email, phone, IP hash, user agent, text, rating"),
        ItemKind("reviews", "REPORT#", "REPORT",
                 "report case: the agency's reason, the reviewer's statement and proof"),
        ItemKind("reviews", "REPORT#", "DEADLINE#", "deadline of a statement/proof request"),
        ItemKind("reviews", "IDENT#", "IDS", "reviews per email/phone (keyed hash)"),
        ItemKind("reviews", "IPREV#", "IDS", "reviews per IP and day (keyed hash)"),
        ItemKind("core", "RATE#review-email#", "RATE", "reviews per email and hour (hash)"),
        ItemKind("core", "RATE#review-ip#", "RATE", "reviews per IP and hour (hash)"),
        ItemKind("reviews", "NOTICE#", "NOTICE",
                 "notice (DSA Art. 16): the notifier's reason and, if given, name and email"),
        ItemKind("reviews", "NOTIFIER#", "IDS",
                 "the notices one notifier filed (keyed email hash → notice ids)"),
        ItemKind("core", "RATE#review-notice#", "RATE", "notices per IP and hour (hash)"),
        ItemKind("core", "AGENCYIP#", "SEEN",
                 "IP (keyed hash) the agency's staff called the API from (self-review check)"),
    )
    record = ProcessingRecord(
        purpose="Echte Bewertungen: Bestätigung per E-Mail, automatische Prüfungen, "
                "Qualitätssicherung, Meldungen der Agenturen und Stellungnahmen",
        data_categories=("Name, E-Mail, Telefon der bewertenden Person", "Bewertungstext",
                         "IP-Adresse (nur als Hash), Browserkennung",
                         "Stellungnahmen und Nachweise"),
        recipients=("Qualitätssicherung der Plattform", "Öffentlichkeit (Text, Vorname)",
                    "Amazon Web Services (Hosting, E-Mail-Versand)"),
        retention="unbestätigte 30 Tage; veröffentlichte bis zur Löschung; gelöschte "
                  "ohne personenbezogene Daten",
        legal_basis="Art. 6 Abs. 1 lit. f DSGVO",
    )

    def __init__(self, reviews: Any) -> None:
        self.reviews = reviews  # the ReviewService facade

    def find(self, subject: Subject) -> Found:
        reviews = self.reviews.reviews_of(subject.agency_id, subject.email)
        notices = self.reviews.notices.of_notifier(subject.agency_id, subject.email)
        return Found(handle=(reviews, notices) if reviews or notices else None)

    def export(self, subject: Subject, found: Found) -> dict[str, Any]:
        from chalicelib.reviews.views import qa_view

        reviews, notices = found.handle or ([], [])
        # What the person wrote when asked for a statement or proof about one of them,
        # and the notices (DSA Art. 16) they filed about the agency's reviews.
        return {"reviews": [qa_view(r) for r in reviews],
                "review_report_answers": self.reviews.answers_of(reviews),
                "review_notices": [self.reviews.notices.notifier_view(n) for n in notices]}

    def erase(self, subject: Subject, found: Found, *, by: str, reason: str
              ) -> dict[str, Any]:
        reviews, notices = found.handle or ([], [])
        out: dict[str, Any] = {
            # As QA's "delete" resolution removes them.
            "reviews_deleted": [r["review_id"] for r in reviews
                                if self.reviews.erase(r["review_id"], by)]}
        if notices:
            out["review_notices_erased"] = self.reviews.notices.erase_notifier(
                subject.agency_id, subject.email, notices)
        return out
