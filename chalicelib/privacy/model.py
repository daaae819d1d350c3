"""Validated input of the address-book and GDPR routes (pydantic, strict JSON types)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
)

from chalicelib.errors import ValidationFailed
from chalicelib.validation import (
    EmailStr,
    MultiLine,
    Phone,
    SingleLine,
    postal_code,
    validate_model,
)

_PROPERTY_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,100}$")
MAX_IDS = 100


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _iso_date(value: str) -> str:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("muss ein Datum im Format JJJJ-MM-TT sein")
    try:
        parsed = date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError("ist kein gültiges Datum") from exc
    if not 2000 <= parsed.year <= 2199:
        raise ValueError("muss zwischen 2000 und 2199 liegen")
    return parsed.isoformat()


def _property_id(value: str) -> str:
    if not _PROPERTY_ID.match(value):
        raise ValueError("1–100 Zeichen aus Buchstaben, Ziffern, _ . : -")
    return value


def _record_id(value: str) -> str:
    if not value or len(value) > 200 or any(c.isspace() or ord(c) < 32 for c in value):
        raise ValueError("ist keine gültige ID")
    return value


Opt = BeforeValidator(_blank_to_none)


# Optional single-line text: blank means null, the length applies to the text. Spelled
# out per length (not built by a function) so that the checker sees a type, not a value.
Text100 = Annotated[Annotated[SingleLine, StringConstraints(max_length=100)] | None, Opt]
Text200 = Annotated[Annotated[SingleLine, StringConstraints(max_length=200)] | None, Opt]
Name = Text100
IsoDate = Annotated[str, AfterValidator(_iso_date)]
Zip = Annotated[str, AfterValidator(postal_code)]
PropertyId = Annotated[str, AfterValidator(_property_id)]
RecordId = Annotated[str, AfterValidator(_record_id)]
Salutation = Literal["Herr", "Frau", "Divers", "Firma"]
AgencyStatus = Literal["none", "ignore", "deletion_requested"]

CONSENT_ONLY_BY_LINK = ("„Speicherung zugestimmt“ entsteht nur über den Einwilligungslink "
                        "der betroffenen Person.")


class AddressFields(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    salutation: Annotated[Salutation | None, Opt] = None
    first_name: Name = None
    last_name: Name = None
    company: Text200 = None
    email: Annotated[EmailStr | None, Opt] = None
    phone: Annotated[Annotated[Phone, StringConstraints(max_length=40)] | None, Opt] = None
    street: Text200 = None
    zip: Annotated[Zip | None, Opt] = None
    city: Name = None
    user_id: Text100 = None
    # Contract v2: a user of the agency (checked at the edge, chalicelib/web/address_routes.py)
    # and the CRM's own id.
    assigned_user_id: Text100 = None
    external_id: Text100 = None
    gdpr_status: AgencyStatus | None = None
    store_until: IsoDate | None = None
    store_until_reason: Text200 = None

    @field_validator("gdpr_status", mode="before")
    @classmethod
    def _no_consent(cls, value: Any) -> Any:
        if value == "consented":
            raise ValueError(CONSENT_ONLY_BY_LINK)
        return value


CONTACT_FIELDS = ("salutation", "first_name", "last_name", "company", "email", "phone",
                  "street", "zip", "city", "user_id", "assigned_user_id", "external_id")


class NewAddress(AddressFields):
    pass


class AddressPatch(AddressFields):
    pass


def validate_new_address(payload: Any) -> NewAddress:
    data = validate_model(NewAddress, payload)
    if not any((data.first_name, data.last_name, data.company, data.email)):
        raise ValidationFailed({"last_name": "Bitte einen Namen, eine Firma oder eine "
                                             "E-Mail-Adresse angeben."})
    return data


class ActivityInput(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    type: Literal["appointment", "expose_sent", "revocation_confirmed", "inquiry", "note"]
    property_id: Annotated[PropertyId | None, Opt] = None
    note: Annotated[Annotated[MultiLine, StringConstraints(max_length=2000)] | None, Opt] = None


class NewProperty(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    title: SingleLine = Field(min_length=1, max_length=200)
    # Optional: the agency's own id (e.g. the one its tours already carry).
    property_id: PropertyId | None = None


class NewRelation(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    address_id: RecordId
    role: Literal["owner", "buyer", "tenant"]


class SettingsInput(BaseModel):
    """PUT replaces what it names; a field left out keeps its current value."""

    model_config = ConfigDict(extra="forbid", strict=True)

    # The defaults only stand in for "not named" (see ``model_fields_set``); null is refused.
    auto_store_until: StrictBool = False
    retention_days: Annotated[StrictInt, Field(ge=1, le=3650)] = 1
    auto_delete_expired: StrictBool = False
    custom_reasons: Annotated[list[Annotated[SingleLine, Field(min_length=1, max_length=200)]],
                              Field(max_length=50)] = []


class AddressIds(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    address_ids: list[RecordId] = Field(min_length=1, max_length=MAX_IDS)

    @field_validator("address_ids")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))
