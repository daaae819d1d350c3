"""Bearer-token authentication: one GetItem on the token's SHA-256."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from chalicelib.agencies.repository import AgencyRepository
from chalicelib.errors import Unauthorized
from chalicelib.secrets_util import sha256_hex

Kind = Literal["agency", "qa"]
MAX_TOKEN_LENGTH = 256


@dataclass(frozen=True)
class Principal:
    kind: Kind
    agency_id: str | None
    token_id: str


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    if not token.isascii() or not token.isprintable() or " " in token:
        return None
    return token


class Authenticator:
    def __init__(self, repo: AgencyRepository) -> None:
        self.repo = repo

    def authenticate(self, authorization: str | None, required: Kind) -> Principal:
        token = bearer_token(authorization)
        if token is None:
            raise Unauthorized()
        record = self.repo.get_token(sha256_hex(token))
        # A QA token on an agency route (and vice versa) is as good as no token.
        if record is None or record.get("kind") != required:
            raise Unauthorized()
        return Principal(kind=required, agency_id=record.get("agency_id"),
                         token_id=record["token_id"])
