"""Tour settings and registration input, validated; the rules of the two release modes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.ratelimit import window as rate_window  # noqa: F401  (importable as before)
from chalicelib.validation import (
    EmailStr,
    Phone,
    SingleLine,
    fields_from,
    multi_line,
    normalize_email,
    phone,
    postal_code,
    single_line,
)

FIELD_NAMES = ("first_name", "last_name", "email", "phone", "street", "zip", "city", "message")
FieldName = Literal["first_name", "last_name", "email", "phone", "street", "zip", "city", "message"]
Mode = Literal["email", "manual", "off"]
STATUSES = ("pending_email", "pending_approval", "unlocked", "denied")
PENDING_FOR_MODE = {"email": "pending_email", "manual": "pending_approval"}

_VIEWPOINT = re.compile(r"^[A-Za-z0-9_.:\-]{1,100}$")


def _tour_url(value: str) -> str:
    """Stored as an ASCII URI (chalicelib/tours/tour_url.py); the scheme rule needs the
    stage and is applied by the service (``check_scheme``)."""
    from chalicelib.tours.tour_url import ascii_uri

    return ascii_uri(value)


def _origin(value: str) -> str:
    """A web origin as browsers send it (``https://player.example`` or with a port)."""
    parts = urlsplit(value.strip())
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError("hat einen ungültigen Port") from exc
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.path
            or parts.query or parts.fragment or parts.username or parts.password
            or value.strip().endswith(("?", "#"))):
        raise ValueError("muss ein Origin wie https://player.example sein (ohne Pfad)")
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port and port != default else "")


def _viewpoint(value: str) -> str:
    if not _VIEWPOINT.match(value):
        raise ValueError("Standpunkt-IDs: 1–100 Zeichen aus Buchstaben, Ziffern, _ . : -")
    return value


def valid_viewpoint_id(value: str) -> bool:
    """A path segment that can name a viewpoint (media routes)."""
    return bool(_VIEWPOINT.fullmatch(value))


def _privacy_url(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        raise ValueError("muss eine https://-Adresse sein")
    if any(ord(c) < 33 or ord(c) > 126 for c in value):
        raise ValueError("darf nur ASCII-Zeichen ohne Leerzeichen enthalten")
    return value


TourUrl = Annotated[str, Field(max_length=2000), AfterValidator(_tour_url)]
Origin = Annotated[str, Field(max_length=300), AfterValidator(_origin)]
ViewpointId = Annotated[str, AfterValidator(_viewpoint)]
PrivacyUrl = Annotated[str, Field(max_length=2000), AfterValidator(_privacy_url)]


class Protection(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    mode: Mode
    # validate_default: an omitted list still gets "email" (pydantic skips defaults otherwise).
    required_fields: list[FieldName] = Field(default_factory=list, max_length=8,
                                             validate_default=True)
    protected_viewpoints: list[ViewpointId] = Field(default_factory=list, max_length=500)

    @field_validator("required_fields")
    @classmethod
    def _email_always(cls, value: list[str]) -> list[str]:
        wanted = {*value, "email"}
        return [name for name in FIELD_NAMES if name in wanted]

    @field_validator("protected_viewpoints")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: SingleLine = Field(min_length=1, max_length=200)
    company: SingleLine = Field(min_length=1, max_length=200)
    email: EmailStr
    phone: Phone


class TourInput(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    title: SingleLine = Field(min_length=1, max_length=200)
    tour_url: TourUrl
    property_id: SingleLine | None = Field(default=None, min_length=1, max_length=100)
    protection: Protection
    contact: Contact
    # Empty: the public tour routes answer CORS requests from any origin (contract). Set: only
    # the agency's players (and this stack's own pages) may use the tour from a browser.
    allowed_origins: list[Origin] = Field(default_factory=list, max_length=20)
    # The privacy policy behind the registration form's consent box (v2). A protected tour
    # needs its own or the agency profile's (TourService checks the latter).
    privacy_url: PrivacyUrl | None = None

    @field_validator("allowed_origins")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


# Per-field rules for the prospect's registration. Each field is checked on its own so one
# answer lists every problem, and the agency's choice decides what is required.
_FIELD_TYPES: dict[str, Any] = {
    "first_name": Annotated[str, Strict(), StringConstraints(max_length=100),
                            AfterValidator(single_line)],
    "last_name": Annotated[str, Strict(), StringConstraints(max_length=100),
                           AfterValidator(single_line)],
    "email": Annotated[str, Strict(), AfterValidator(normalize_email)],
    "phone": Annotated[str, Strict(), StringConstraints(max_length=40), AfterValidator(phone)],
    "street": Annotated[str, Strict(), StringConstraints(max_length=200),
                        AfterValidator(single_line)],
    "zip": Annotated[str, Strict(), AfterValidator(single_line), AfterValidator(postal_code)],
    "city": Annotated[str, Strict(), StringConstraints(max_length=100),
                      AfterValidator(single_line)],
    "message": Annotated[str, Strict(), StringConstraints(max_length=2000),
                         AfterValidator(multi_line)],
}
_ADAPTERS = {name: TypeAdapter(kind) for name, kind in _FIELD_TYPES.items()}


@dataclass(frozen=True)
class Lead:
    email: str
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    street: str | None = None
    zip: str | None = None
    city: str | None = None
    message: str | None = None
    # Not prospect data: where the prospect wanted to go (one of the tour's protected
    # viewpoints, else None) and the voluntary consent to per-lead viewing statistics.
    viewpoint_id: str | None = None
    viewing_stats_accepted: bool = False

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    def as_dict(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in FIELD_NAMES}


def validate_registration(payload: dict[str, Any], required_fields: list[str],
                          protected_viewpoints: list[str] | tuple[str, ...] = ()) -> Lead:
    fields: dict[str, str] = {}
    values: dict[str, str] = {}
    for name in FIELD_NAMES:
        raw = payload.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if name in required_fields or name == "email":  # email: always (contract)
                fields[name] = "Pflichtfeld."
            continue
        try:
            values[name] = _ADAPTERS[name].validate_python(raw)
        except ValidationError as exc:
            fields[name] = next(iter(fields_from(exc).values()))
    if payload.get("privacy_accepted") is not True:
        fields["privacy_accepted"] = "Bitte stimmen Sie der Datenschutzerklärung zu."
    stats = payload.get("viewing_stats_accepted", False)
    if stats is None:
        stats = False
    if not isinstance(stats, bool):
        fields["viewing_stats_accepted"] = "Muss true oder false sein."
    if fields:
        raise ValidationFailed(fields)
    asked = payload.get("viewpoint_id")
    viewpoint = asked if isinstance(asked, str) and asked in protected_viewpoints else None
    return Lead(**values, viewpoint_id=viewpoint, viewing_stats_accepted=stats is True)


@dataclass
class OriginPolicy:
    """CORS narrowing of one public tour request. ``origin`` is the request's ``Origin``
    header, ``own_origin`` the stack's public origin (its demo page and mail pages).

    ``check`` runs once the tour is read: a tour without ``allowed_origins`` changes nothing
    (the route's ``*`` stays); a narrowed tour refuses any other browser origin like an
    unknown tour (404, before any write: no registration or mail from a foreign page) and
    sets ``allow_origin``, the ``Access-Control-Allow-Origin`` to answer with."""

    origin: str | None
    own_origin: str
    allow_origin: str | None = None

    def check(self, allowed: list[str] | None) -> None:
        if not allowed:
            return
        if self.origin is None:  # not a cross-origin browser request
            self.allow_origin = allowed[0]
        elif self.origin in allowed or self.origin == self.own_origin:
            self.allow_origin = self.origin
        else:
            raise NotFound("Rundgang nicht gefunden.")


def own_origin(public_base_url: str) -> str:
    return _origin(urlsplit(public_base_url)._replace(path="", query="", fragment="").geturl())


def initial_status(mode: str) -> str:
    if mode not in PENDING_FOR_MODE:
        raise Conflict("Für diesen Rundgang ist kein Zugangsschutz aktiv.", code="protection_off")
    return PENDING_FOR_MODE[mode]


def decision_status(current: str, decision: Literal["approve", "deny"]) -> str:
    """Only a request waiting for the agency can be decided, and only once."""
    if current != "pending_approval":
        raise Conflict("Über diese Anfrage wurde bereits entschieden.", code="already_decided")
    return "unlocked" if decision == "approve" else "denied"


def access_status(mode: str, registration_status: str | None) -> str:
    if mode == "off":
        return "unlocked"
    return registration_status or "locked"
