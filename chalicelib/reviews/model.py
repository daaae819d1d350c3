"""Review and report input, validated; the review life cycle as one transition table."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

from chalicelib.errors import Conflict
from chalicelib.validation import EmailStr, multi_line, single_line

# -- statuses and transitions ----------------------------------------------------------------

AWAITING = "awaiting_confirmation"
PUBLISHED = "published"
IN_REVIEW = "in_review"
REJECTED = "rejected"
REPORTED = "reported"
BLOCKED = "blocked"
DELETED = "deleted"
STATUSES = (AWAITING, IN_REVIEW, PUBLISHED, REPORTED, REJECTED, BLOCKED, DELETED)
# Shown on the public listing (and counted in its summary).
PUBLIC_STATUSES = frozenset({PUBLISHED, REPORTED})

# (status, event) -> new status. Anything not listed is a state conflict (409).
TRANSITIONS: dict[tuple[str, str], str] = {
    (AWAITING, "confirm_clean"): PUBLISHED,
    (AWAITING, "confirm_findings"): IN_REVIEW,
    (IN_REVIEW, "publish"): PUBLISHED,
    (IN_REVIEW, "reject"): REJECTED,
    (PUBLISHED, "report"): REPORTED,
    (REPORTED, "keep"): PUBLISHED,
    (REPORTED, "block"): BLOCKED,
    (REPORTED, "delete"): DELETED,
    # Re-verification by sample left unanswered, or a phone re-check that failed.
    (PUBLISHED, "reverification_unanswered"): IN_REVIEW,
    (PUBLISHED, "phone_check_failed"): IN_REVIEW,
    (IN_REVIEW, "phone_check_failed"): IN_REVIEW,
    # The reviewer's address bounced (SES feedback): no contact, no publication.
    (PUBLISHED, "contact_undeliverable"): IN_REVIEW,
    # QA removes a published review that breaks the rules (contract v2), reported or not.
    (PUBLISHED, "takedown"): BLOCKED,
    (REPORTED, "takedown"): BLOCKED,
}
EVENTS = tuple(sorted({event for _, event in TRANSITIONS}))

_CONFLICT_MESSAGES = {
    "publish": "Nur Bewertungen in Prüfung können entschieden werden.",
    "reject": "Nur Bewertungen in Prüfung können entschieden werden.",
    "report": "Nur veröffentlichte Bewertungen ohne offene Meldung können gemeldet werden.",
    "takedown": "Nur veröffentlichte oder gemeldete Bewertungen können gesperrt werden.",
}


def transition(current: str, event: str) -> str:
    """The status after ``event``, or 409 when the review's status does not allow it."""
    new = TRANSITIONS.get((current, event))
    if new is None:
        raise Conflict(_CONFLICT_MESSAGES.get(
            event, "Dieser Schritt passt nicht zum aktuellen Stand der Bewertung."),
            code="invalid_status")
    return new


def allowed(current: str, event: str) -> bool:
    return (current, event) in TRANSITIONS


# -- categories ------------------------------------------------------------------------------

REPORT_CATEGORIES = ("not_a_customer", "false_facts", "insult", "other")
REPORT_CATEGORY_LABELS = {
    "not_a_customer": "Kein Kundenkontakt",
    "false_facts": "Falsche Tatsachenbehauptung",
    "insult": "Beleidigung / Schmähkritik",
    "other": "Sonstiges",
}
REPORT_OUTCOMES = ("keep", "block", "delete")
OUTCOME_LABELS = {
    "keep": "Die Bewertung bleibt veröffentlicht.",
    "block": "Die Bewertung wurde gesperrt und ist nicht mehr sichtbar.",
    "delete": "Die Bewertung wurde gelöscht.",
}

# Reason categories for a rejection (the reviewer's statement of reasons).
REJECT_CATEGORIES = ("self_review", "multiple_review", "abusive_language", "duplicate_text",
                     "contact_data_in_text", "not_verified", "other")
REJECT_CATEGORY_LABELS = {
    "self_review": "Eigenbewertung",
    "multiple_review": "Mehrfachbewertung",
    "abusive_language": "Schmähkritik oder Formalbeleidigung",
    "duplicate_text": "Bereits veröffentlichter oder kopierter Text",
    "contact_data_in_text": "Kontaktdaten, Links oder Werbung im Text",
    "not_verified": "Echtheit nicht bestätigt",
    "other": "Verstoß gegen die Nutzungsrichtlinien",
}
REJECT_CATEGORY_EXPLANATIONS = {
    "self_review": "Bewertungen durch den Makler selbst, seine Mitarbeiter oder ihm nahestehende "
                   "Personen veröffentlichen wir nicht.",
    "multiple_review": "Jede Person kann einen Makler nur einmal bewerten.",
    "abusive_language": "Kritik ist ausdrücklich erwünscht, Beleidigungen und herabwürdigende "
                        "Äußerungen ohne sachlichen Bezug veröffentlichen wir jedoch nicht.",
    "duplicate_text": "Der Text stimmt mit einer anderen Bewertung (nahezu) überein.",
    "contact_data_in_text": "Bewertungstexte dürfen keine E-Mail-Adressen, Telefonnummern, Links "
                            "oder Werbung enthalten.",
    "not_verified": "Die Echtheit der Bewertung konnte nicht bestätigt werden.",
    "other": "Die Bewertung entspricht nicht unseren Nutzungsrichtlinien.",
}
# A finding's check names the reason category when QA rejects without naming one.
FINDING_CATEGORY = {
    "self_review": "self_review",
    "multiple_review": "multiple_review",
    "abusive_language": "abusive_language",
    "duplicate_text": "duplicate_text",
    "contact_data_in_text": "contact_data_in_text",
    "reverification_unanswered": "not_verified",
    "phone_check_failed": "not_verified",
    "contact_undeliverable": "not_verified",
}


# -- input -----------------------------------------------------------------------------------

def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


_PHONE_CHARS = re.compile(r"^\+?[0-9 ]+$")


def normalize_phone(value: str) -> str:
    """Digits, ``+`` and spaces only; stored as ``+<country><number>`` (German numbers
    written nationally, ``030 1234567``, become ``+49301234567``)."""
    value = single_line(value)
    if not _PHONE_CHARS.fullmatch(value):
        raise ValueError("darf nur Ziffern, Leerzeichen und ein führendes + enthalten")
    digits = value.replace(" ", "")
    if digits.startswith("+"):
        number = digits[1:]
    elif digits.startswith("00"):
        number = digits[2:]
    elif digits.startswith("0"):
        number = "49" + digits[1:]
    else:
        raise ValueError("bitte mit Vorwahl angeben (z. B. 030 1234567 oder +49 30 1234567)")
    if not 7 <= len(number) <= 15 or number.startswith("0"):
        raise ValueError("ist keine gültige Telefonnummer")
    return "+" + number


Text = Annotated[str, BeforeValidator(_strip), AfterValidator(multi_line)]
Line = Annotated[str, BeforeValidator(_strip), AfterValidator(single_line)]
ReviewPhone = Annotated[str, AfterValidator(normalize_phone)]


class ReviewInput(BaseModel):
    # Unknown keys are ignored (public form clients may send more); types are strict.
    model_config = ConfigDict(extra="ignore", strict=True)

    rating: int = Field(ge=1, le=5)
    title: Line = Field(min_length=3, max_length=120)
    text: Text = Field(min_length=20, max_length=5000)
    reviewer_name: Line = Field(min_length=2, max_length=80)
    email: EmailStr
    phone: Annotated[ReviewPhone | None, BeforeValidator(_blank_to_none)] = None


class DecisionInput(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    decision: Literal["publish", "reject"]
    reason: Text = Field(min_length=1, max_length=2000)
    # Optional: the reason category the reviewer is told on rejection (derived from the
    # findings when omitted).
    category: Literal[REJECT_CATEGORIES] | None = None  # type: ignore[valid-type]


class PhoneCheckInput(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    confirmed: StrictBool
    note: Text | None = Field(default=None, max_length=2000)


class CommentInput(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    text: Text = Field(min_length=1, max_length=2000)


class ReportInput(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    category: Literal[REPORT_CATEGORIES]  # type: ignore[valid-type]
    reason: Text = Field(min_length=10, max_length=2000)


class AnswerRequestInput(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    message: Text | None = Field(default=None, max_length=2000)


class ResolveInput(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    outcome: Literal[REPORT_OUTCOMES]  # type: ignore[valid-type]
    reason: Text = Field(min_length=1, max_length=2000)


class FlagInput(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    reason: Text = Field(min_length=1, max_length=500)


class TakedownInput(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    category: Literal[REJECT_CATEGORIES]  # type: ignore[valid-type]
    reason: Text = Field(min_length=1, max_length=2000)
