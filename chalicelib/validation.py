"""Shared input types and the translation of pydantic errors into German ``fields``."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ValidationError
from pydantic_core import ErrorDetails

from chalicelib.errors import ValidationFailed

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]")
_CONTROL_EXCEPT_NEWLINE_TAB = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\u0085]")
_PHONE = re.compile(r"^\+?[0-9 ()/.\-]{3,40}$")

M = TypeVar("M", bound=BaseModel)


def single_line(value: str) -> str:
    # CR/LF would let a name reach a mail header as a new header line; refuse, don't strip.
    value = unicodedata.normalize("NFC", value).strip()
    if _CONTROL.search(value):
        raise ValueError("darf keine Zeilenumbrüche oder Steuerzeichen enthalten")
    return value


def multi_line(value: str) -> str:
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if _CONTROL_EXCEPT_NEWLINE_TAB.search(value):
        raise ValueError("darf keine Steuerzeichen enthalten")
    return value


def normalize_email(value: str) -> str:
    """Syntax check without DNS; returns the normalized address or raises ValueError.

    Only addresses SES can deliver: no internationalized local part (SMTPUTF8), and an
    internationalized domain in its Punycode form (mail headers and SES need ASCII)."""
    from email_validator import EmailNotValidError, validate_email

    if len(value) > 254 or _CONTROL.search(value):
        raise ValueError("ist keine gültige E-Mail-Adresse")
    try:
        result = validate_email(value.strip(), check_deliverability=False,
                                allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise ValueError("ist keine gültige E-Mail-Adresse") from exc
    return result.ascii_email or result.normalized


def phone(value: str) -> str:
    value = single_line(value)
    if not _PHONE.match(value) or sum(c.isdigit() for c in value) < 3:
        raise ValueError("ist keine gültige Telefonnummer")
    return re.sub(r"\s+", " ", value)


_POSTAL_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]{2,9}")


def postal_code(value: str) -> str:
    """German and foreign postal codes: 3–10 letters, digits, spaces or dashes."""
    if not _POSTAL_CODE.fullmatch(value):
        raise ValueError("ist keine gültige Postleitzahl")
    return value


def email_key(email: str) -> str:
    """The identity of an address: case-insensitive as people expect."""
    return email.casefold()


def _strip(value: Any) -> Any:
    # Before the length constraints, so a blank value fails ``min_length`` as empty.
    return value.strip() if isinstance(value, str) else value


SingleLine = Annotated[str, BeforeValidator(_strip), AfterValidator(single_line)]
MultiLine = Annotated[str, AfterValidator(multi_line)]
EmailStr = Annotated[str, AfterValidator(normalize_email)]
Phone = Annotated[str, AfterValidator(phone)]


_MESSAGES: dict[str, str] = {
    "missing": "Pflichtfeld.",
    "string_type": "Muss ein Text sein.",
    "int_type": "Muss eine ganze Zahl sein.",
    "int_parsing": "Muss eine ganze Zahl sein.",
    "int_from_float": "Muss eine ganze Zahl sein.",
    "bool_type": "Muss true oder false sein.",
    "bool_parsing": "Muss true oder false sein.",
    "list_type": "Muss eine Liste sein.",
    "dict_type": "Muss ein Objekt sein.",
    "model_type": "Muss ein Objekt sein.",
    "model_attributes_type": "Muss ein Objekt sein.",
    "extra_forbidden": "Unbekanntes Feld.",
    "url_parsing": "Ist keine gültige URL.",
    "url_scheme": "Die URL muss mit http:// oder https:// beginnen.",
    "date_from_datetime_parsing": "Muss ein Datum im Format JJJJ-MM-TT sein.",
    "date_parsing": "Muss ein Datum im Format JJJJ-MM-TT sein.",
    "date_type": "Muss ein Datum im Format JJJJ-MM-TT sein.",
}


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in ("too_short", "too_long") and isinstance(error.get("input"), str):
        # A length constraint on an optional text is checked after validation.
        kind = "string_" + kind
    if kind == "string_too_short":
        return "Pflichtfeld." if ctx.get("min_length") == 1 else (
            f"Zu kurz (mindestens {ctx.get('min_length')} Zeichen).")
    if kind == "string_too_long":
        return f"Zu lang (höchstens {ctx.get('max_length')} Zeichen)."
    if kind == "too_long":
        return f"Zu viele Einträge (höchstens {ctx.get('max_length')})."
    if kind == "too_short":
        return f"Zu wenige Einträge (mindestens {ctx.get('min_length')})."
    if kind in ("greater_than_equal", "greater_than"):
        return f"Muss mindestens {ctx.get('ge', ctx.get('gt'))} sein."
    if kind in ("less_than_equal", "less_than"):
        return f"Darf höchstens {ctx.get('le', ctx.get('lt'))} sein."
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", "")).replace(" or ", " oder ")
        return f"Ungültiger Wert. Erlaubt: {expected}."
    if kind == "value_error":
        text = str(ctx.get("error", error.get("msg", "")))
        return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
    return _MESSAGES.get(kind, "Ungültiger Wert.")


def fields_from(exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        loc = ".".join(str(part) for part in error["loc"]) or "body"
        fields.setdefault(loc, _message(error))
    return fields


def validate_model(model: type[M], payload: Any) -> M:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise ValidationFailed(fields_from(exc)) from exc
