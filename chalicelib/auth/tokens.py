"""Bearer authentication: who is calling, as a ``Principal``.

Two kinds of bearer: an opaque key (API keys of agencies, including the v1 tokens, and the
QA token), found by one GetItem on its SHA-256; or a JWT of the stack's Cognito user pool
(chalicelib/auth/jwt_verify.py), whose person is read from the product's own user record
(one GetItem) on every request, so a role change or a disable applies on the next one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from chalicelib.agencies.repository import AgencyRepository
from chalicelib.auth.actor import Actor
from chalicelib.errors import Unauthorized
from chalicelib.secrets_util import sha256_hex

if TYPE_CHECKING:
    from chalicelib.accounts.people import PersonAuthenticator

# Which routes: agency routes, QA routes, or routes for a signed-in person of either.
Kind = Literal["agency", "qa", "person"]
MAX_TOKEN_LENGTH = 256
# Cognito's id tokens carry the user's attributes: a few KB at most.
MAX_JWT_LENGTH = 8192


@dataclass(frozen=True)
class Principal:
    """``kind`` is ``agency`` or ``qa``; ``role`` is what chalicelib/auth/roles.py checks:
    ``owner``/``agent``/``assistant`` for agency staff, ``api_key`` for an agency's key,
    ``qa`` for QA members and the QA token."""

    kind: Literal["agency", "qa"]
    agency_id: str | None
    token_id: str
    role: str
    actor: Actor
    user_id: str | None = None
    api_key_id: str | None = None
    email: str | None = None

    @property
    def is_person(self) -> bool:
        return self.user_id is not None


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    limit = MAX_JWT_LENGTH if looks_like_jwt(token) else MAX_TOKEN_LENGTH
    if scheme.lower() != "bearer" or not token or len(token) > limit:
        return None
    if not token.isascii() or not token.isprintable() or " " in token:
        return None
    return token


def looks_like_jwt(token: str) -> bool:
    # A JWS in compact form: base64url header (always starting '{"' → "eyJ"), 3 parts.
    return token.startswith("eyJ") and token.count(".") == 2


def key_principal(record: dict[str, Any]) -> Principal:
    """The principal of a stored API key or QA token."""
    token_id = record["token_id"]
    label = record.get("name") or record.get("label") or None
    if record.get("kind") == "qa":
        return Principal(kind="qa", agency_id=None, token_id=token_id, role="qa",
                         actor=Actor("qa", token_id, label or "QA-Token"))
    return Principal(kind="agency", agency_id=record.get("agency_id"), token_id=token_id,
                     role="api_key", actor=Actor("api_key", token_id, label),
                     api_key_id=token_id)


class Authenticator:
    def __init__(self, repo: AgencyRepository,
                 people: PersonAuthenticator | None = None) -> None:
        self.repo = repo
        self.people = people

    def authenticate(self, authorization: str | None, required: Kind) -> Principal:
        token = bearer_token(authorization)
        if token is None:
            raise Unauthorized()
        if looks_like_jwt(token):
            if self.people is None:  # no user pool configured: fail closed
                raise Unauthorized()
            principal = self.people.authenticate(token)
        else:
            if required == "person":  # keys are not people: nobody to sign out
                raise Unauthorized()
            record = self.repo.get_token(sha256_hex(token))
            if record is None or record.get("kind") not in ("agency", "qa"):
                raise Unauthorized()
            principal = key_principal(record)
        # An agency's bearer on a QA route (and vice versa) is as good as no bearer.
        if required != "person" and principal.kind != required:
            raise Unauthorized()
        return principal
