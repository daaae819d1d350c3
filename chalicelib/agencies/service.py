"""Operator actions: create agencies, issue and revoke API tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.agencies.repository import AgencyRepository
from chalicelib.clock import Clock, iso
from chalicelib.errors import Conflict, NotFound, Unavailable, ValidationFailed
from chalicelib.secrets_util import new_id, new_secret, sha256_hex
from chalicelib.storage.dynamo import ConditionFailed, TransactionCancelled
from chalicelib.validation import EmailStr, SingleLine, validate_model

AGENCY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class NewAgency(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    agency_id: str | None = None
    name: SingleLine = Field(min_length=1, max_length=200)
    contact_email: EmailStr
    contact_name: SingleLine | None = Field(default=None, max_length=200)
    phone: SingleLine | None = Field(default=None, max_length=40)
    staff_emails: list[EmailStr] = Field(default_factory=list, max_length=200)

    @field_validator("agency_id")
    @classmethod
    def _agency_id(cls, value: str | None) -> str | None:
        if value is not None and not AGENCY_ID.match(value):
            raise ValueError("nur Kleinbuchstaben, Ziffern und Bindestriche (2–63 Zeichen)")
        return value


@dataclass(frozen=True)
class IssuedToken:
    token_id: str
    token: str
    kind: str
    agency_id: str | None
    record: dict = field(default_factory=dict)


class AgencyService:
    def __init__(self, repo: AgencyRepository, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock

    def create_agency(self, payload: dict) -> dict:
        data = validate_model(NewAgency, payload)
        agency = data.model_dump()
        agency["agency_id"] = data.agency_id or new_id()
        agency["created_at"] = iso(self.clock.now())
        try:
            self.repo.create_agency(agency)
        except ConditionFailed as exc:
            raise Conflict("Diese Agentur-ID ist bereits vergeben.", code="agency_exists") from exc
        return agency

    def issue_token(
        self,
        kind: Literal["agency", "qa"],
        agency_id: str | None = None,
        *,
        label: str = "",
        token: str | None = None,
        created_by: dict | None = None,
    ) -> IssuedToken:
        """Creates a token and returns its plaintext once. ``token`` lets the local stack
        seed its documented demo tokens; operators never pass it."""
        if kind not in ("agency", "qa"):
            raise ValidationFailed({"kind": "agency oder qa"})
        if kind == "agency":
            if not agency_id or self.repo.get_agency(agency_id) is None:
                raise NotFound("Agentur nicht gefunden.")
        else:
            agency_id = None
        plaintext = token or f"fg_{new_secret()}"
        token_id = new_id()[:16]
        record: dict[str, Any] = {
            "token_id": token_id,
            "kind": kind,
            "agency_id": agency_id,
            "label": label[:200],
            "name": label[:200],
            # Recognisable in lists and logs, far too short to guess the rest from.
            "prefix": key_prefix(plaintext),
            "created_at": iso(self.clock.now()),
        }
        if created_by:
            record["created_by"] = created_by
        try:
            self.repo.store_token(sha256_hex(plaintext), record)
        except TransactionCancelled as exc:
            if exc.conflict and not exc.failed:  # a concurrent transaction: try again
                raise Unavailable(retry_after=1) from exc
            raise Conflict("Token existiert bereits.", code="token_exists") from exc
        return IssuedToken(token_id=token_id, token=plaintext, kind=kind, agency_id=agency_id,
                           record=record)

    def revoke_token(self, token_id: str) -> None:
        record = self.repo.get_token_by_id(token_id)
        if record is None:
            raise NotFound("Token nicht gefunden.")
        agency_id = record.get("agency_id") if record.get("kind") == "agency" else None
        try:
            self.repo.delete_token(token_id, record["token_hash"], agency_id)
        except TransactionCancelled as exc:
            raise NotFound("Token nicht gefunden.") from exc


def key_prefix(key: str) -> str:
    """The first characters of a key, shown in lists ("fg_AbC1…"): 8 of them carry at most
    ~30 bits of a ≥ 192-bit secret."""
    return key[:8] + "…"
