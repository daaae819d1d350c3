"""The automatic checks run when a reviewer confirms a review.

Each check is a small named function ``(review, evidence) -> [Finding]`` registered in
``CHECKS`` with ``@check("name")``: adding one touches no other. ``Evidence`` answers the
questions that need storage; the stored one (``evidence.DynamoEvidence``) reads every point
lookup in one BatchGetItem up front, so a check that needs a new lookup adds its key there.
Tests pass an in-memory fake.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from chalicelib.reviews import similarity
from chalicelib.reviews.lexicon import Lexicon, default_lexicon
from chalicelib.reviews.texts import COUNT_TEXTS


@dataclass(frozen=True)
class Finding:
    check: str
    detail: str
    # A borderline signal is no finding: it only makes the review a priority for the
    # re-verification by sample.
    borderline: bool = False

    def as_dict(self) -> dict[str, str]:
        return {"check": self.check, "detail": self.detail}


@dataclass(frozen=True)
class ReviewUnderCheck:
    review_id: str
    agency_id: str
    email: str
    text: str
    submitted_at: datetime
    phone: str | None = None
    ip_hash: str | None = None
    # Shown publicly as well: the abuse and contact-data checks read them like the text.
    title: str = ""
    reviewer_name: str = ""

    @property
    def public_parts(self) -> list[tuple[str, str]]:
        """``(German name of the part, its text)`` of everything shown publicly."""
        return [(label, value) for label, value in (
            ("Der Titel", self.title), ("Der Name", self.reviewer_name), ("Der Text", self.text))
            if value]


class Evidence(Protocol):
    def agency_emails(self) -> list[str]:
        """The agency's contact and staff email addresses."""
        ...

    def agency_ip_seen(self) -> bool:
        """The submitting IP made authenticated API calls for this agency recently."""
        ...

    def same_email_reviews(self) -> int:
        """Other reviews of this agency with the same email (any status but deleted)."""
        ...

    def same_phone_reviews(self) -> int:
        ...

    def reviews_from_ip_within_24h(self) -> int:
        """Reviews of this agency from the submitting IP within 24 h, this one included."""
        ...

    def similar_texts(self) -> list[tuple[str, str]]:
        """``(review_id, text)`` of other reviews that may be near-duplicates."""
        ...


Check = Callable[[ReviewUnderCheck, Evidence], list[Finding]]
CHECKS: list[tuple[str, Check]] = []


def check(name: str) -> Callable[[Check], Check]:
    def register(function: Check) -> Check:
        CHECKS.append((name, function))
        return function

    return register


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    borderline: bool = False

    @property
    def clean(self) -> bool:
        return not self.findings


def run_checks(review: ReviewUnderCheck, evidence: Evidence,
               checks: list[tuple[str, Check]] | None = None) -> CheckResult:
    result = CheckResult()
    for _name, function in CHECKS if checks is None else checks:
        for finding in function(review, evidence):
            if finding.borderline:
                result.borderline = True
            else:
                result.findings.append(finding)
    return result


# -- self_review -------------------------------------------------------------------------------

FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "gmx.de", "gmx.net", "gmx.at", "gmx.ch", "gmx.com",
    "web.de", "t-online.de", "outlook.com", "outlook.de", "icloud.com", "me.com", "mac.com",
    "freenet.de", "posteo.de", "posteo.net", "mailbox.org", "aol.com", "aol.de", "live.com",
    "live.de", "msn.com", "protonmail.com", "proton.me", "pm.me", "arcor.de", "vodafone.de",
    "online.de", "email.de", "mail.de", "kabelmail.de", "tutanota.com", "tuta.io",
    "tutanota.de", "zoho.com", "mail.com", "magenta.de", "1und1.de", "emailn.de",
})
# Providers with a domain per country (hotmail.de, yahoo.co.uk, …).
FREE_MAIL_PREFIXES = ("hotmail.", "yahoo.", "ymail.", "yandex.", "outlook.", "live.", "gmx.")


def mail_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().rstrip(".").casefold()


def is_free_mail(domain: str) -> bool:
    return domain in FREE_MAIL_DOMAINS or domain.startswith(FREE_MAIL_PREFIXES)


def _same_domain(a: str, b: str) -> bool:
    return a == b or a.endswith("." + b) or b.endswith("." + a)


@check("self_review")
def self_review(review: ReviewUnderCheck, evidence: Evidence) -> list[Finding]:
    findings: list[Finding] = []
    reviewer = review.email.casefold()
    domain = mail_domain(reviewer)
    agency = [e.casefold() for e in evidence.agency_emails() if e]
    if reviewer in agency:
        findings.append(Finding("self_review", "Die E-Mail-Adresse gehört dem Makler "
                                               "(Kontakt- oder Mitarbeiteradresse)."))
    elif not is_free_mail(domain) and any(
            _same_domain(domain, mail_domain(e)) for e in agency):
        findings.append(Finding("self_review", f"Die E-Mail-Adresse hat dieselbe Domain wie "
                                               f"der Makler ({domain})."))
    if review.ip_hash and evidence.agency_ip_seen():
        findings.append(Finding("self_review", "Die Bewertung kam von einer IP-Adresse, von der "
                                               "in den letzten 30 Tagen auch der Makler selbst "
                                               "angemeldet auf die Plattform zugegriffen hat."))
    return findings


# -- multiple_review ---------------------------------------------------------------------------

IP_REVIEWS_PER_DAY = 3


@check("multiple_review")
def multiple_review(review: ReviewUnderCheck, evidence: Evidence) -> list[Finding]:
    findings: list[Finding] = []
    if evidence.same_email_reviews() > 0:
        findings.append(Finding("multiple_review", "Mit dieser E-Mail-Adresse wurde dieser Makler "
                                                   "bereits bewertet."))
    if review.phone and evidence.same_phone_reviews() > 0:
        findings.append(Finding("multiple_review", "Mit dieser Telefonnummer wurde dieser Makler "
                                                   "bereits bewertet."))
    if review.ip_hash:
        count = evidence.reviews_from_ip_within_24h()
        if count >= IP_REVIEWS_PER_DAY:
            findings.append(Finding("multiple_review", COUNT_TEXTS["ip_reviews"](count)))
    return findings


# -- abusive_language --------------------------------------------------------------------------

def abusive_words(text: str, lexicon: Lexicon | None = None) -> list[str]:
    return (lexicon or default_lexicon()).find(text)


@check("abusive_language")
def abusive_language(review: ReviewUnderCheck, evidence: Evidence) -> list[Finding]:
    found = list(dict.fromkeys(word for _part, value in review.public_parts
                               for word in abusive_words(value)))
    if not found:
        return []
    listed = ", ".join(f"„{word}“" for word in found)
    return [Finding("abusive_language", f"Mögliche Schmähkritik oder Formalbeleidigung: {listed}.")]


# -- duplicate_text ----------------------------------------------------------------------------

@check("duplicate_text")
def duplicate_text(review: ReviewUnderCheck, evidence: Evidence) -> list[Finding]:
    own = similarity.shingles(review.text)
    best_id, best = None, 0.0
    for other_id, other_text in evidence.similar_texts():
        if other_id == review.review_id:
            continue
        score = similarity.jaccard(own, similarity.shingles(other_text))
        if score > best:
            best_id, best = other_id, score
    if best_id is None:
        return []
    if best >= similarity.DUPLICATE_THRESHOLD:
        return [Finding("duplicate_text", f"Der Text stimmt zu {round(best * 100)} % mit der "
                                          f"Bewertung {best_id} überein.")]
    if best >= similarity.BORDERLINE_THRESHOLD:
        return [Finding("duplicate_text", f"Ähnlichkeit {round(best * 100)} % mit {best_id}",
                        borderline=True)]
    return []


# -- contact_data_in_text ----------------------------------------------------------------------

# Every quantifier over review text is bounded (issue 19): with ``*``/``+`` a text like
# "a." * 2500 made each start position scan to the end again (quadratic, 3-4 s on 5 KB).
# The bounds are those of the thing looked for: a local part has at most 64 characters, a
# DNS label 63, a host at most a handful of labels, a top-level domain at most 24 letters;
# spacing around "@"/"(at)" is at most 3 characters; an address or host starts where a run
# of its characters starts (a lookbehind), not at every letter inside one. Each match
# attempt therefore does a bounded amount of work and a search is linear in the text
# (tests/hardening/test_linear_checks.py; ``make bench BENCH_ARGS="--only checks"``).
_AT = r"(?:@|\(at\)|\[at\]|\{at\}|\s(?:at|ät)\s)"
_DOT = r"(?:\.|\(dot\)|\[dot\]|\s(?:dot|punkt)\s)"
_EMAIL = re.compile(
    rf"(?<![\w.+-])[\w.+-]{{1,64}}\s{{0,3}}{_AT}\s{{0,3}}[\w-]{{1,63}}"
    rf"(?:\s{{0,3}}{_DOT}\s{{0,3}}[\w-]{{1,63}}){{0,8}}\s{{0,3}}{_DOT}\s{{0,3}}[a-z]{{2,24}}\b",
    re.IGNORECASE)
_URL = re.compile(
    r"(?:https?://|www\.)\S|(?<![\w.-])[a-z0-9][a-z0-9-]{0,62}(?:\.[a-z0-9-]{1,63}){0,8}\."
    r"(?:de|com|net|org|eu|info|biz|io|at|ch|immo|immobilien|online|shop|app|me|co|berlin|"
    r"hamburg|koeln|bayern|nrw)\b(?!\.\w)",
    re.IGNORECASE)
# A phone number: starts with +, 00 or 0 and has 7–15 digits, with spaces, slashes, dashes or
# brackets between them (dates like 01.02.2023 use dots and do not count).
_PHONE = re.compile(r"(?<![\w.,])(?:\+|0)[\d\s/()\-]{6,24}\d(?![\w.,]\d)")


def contact_data(text: str) -> list[str]:
    kinds: list[str] = []
    if _EMAIL.search(text):
        kinds.append("E-Mail-Adresse")
    for match in _PHONE.finditer(text):
        digits = sum(c.isdigit() for c in match.group(0))
        if 7 <= digits <= 15:
            kinds.append("Telefonnummer")
            break
    without_emails = _EMAIL.sub(" ", text)
    if _URL.search(without_emails):
        kinds.append("Link / Webadresse")
    return kinds


@check("contact_data_in_text")
def contact_data_in_text(review: ReviewUnderCheck, evidence: Evidence) -> list[Finding]:
    sentences = [f"{part} enthält {_and_list(kinds)}." for part, value in review.public_parts
                 if (kinds := contact_data(value))]
    if not sentences:
        return []
    return [Finding("contact_data_in_text", " ".join(sentences))]


_WITH_ARTICLE = {"E-Mail-Adresse": "eine E-Mail-Adresse", "Telefonnummer": "eine Telefonnummer",
                 "Link / Webadresse": "einen Link bzw. eine Webadresse"}


def _and_list(kinds: list[str]) -> str:
    words = [_WITH_ARTICLE.get(kind, kind) for kind in kinds]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " und " + words[-1]
