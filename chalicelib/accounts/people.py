"""A pool JWT on a request → the person, from the product's own user record (one GetItem
after the signature check): agency, role and disabled as they are now, and no token issued
before the person's last "sign out everywhere"."""

from __future__ import annotations

from typing import Any

from chalicelib.accounts.users import UserRepository
from chalicelib.auth.actor import Actor
from chalicelib.auth.jwt_verify import TokenVerifier
from chalicelib.auth.tokens import Principal
from chalicelib.errors import Unauthorized


def signed_out_before(user: dict[str, Any], claims: dict[str, Any]) -> bool:
    """Whether the token's session began before the person's last sign-out everywhere.
    Times are whole seconds: a session begun in the very second of the sign-out counts as
    ended (fail closed) unless the product itself handed it out after the sign-out — those
    sessions' ``origin_jti`` are noted on the record (``fresh_sessions``)."""
    signed_out = user.get("signed_out_at")
    if signed_out is None:
        return False
    started = session_start(claims)
    if started != float(signed_out):
        return started < float(signed_out)
    return claims.get("origin_jti") not in (user.get("fresh_sessions") or set())


def session_start(claims: dict[str, Any]) -> float:
    """When the token's session began: ``auth_time`` (Cognito keeps it across refreshes),
    else ``iat``. A session begun before a sign-out stays ended, refreshed or not."""
    started = claims.get("auth_time", claims.get("iat"))
    return float(started) if isinstance(started, int | float) else 0.0


def person_principal(user: dict[str, Any]) -> Principal:
    user_id = user["user_id"]
    if user.get("kind") == "qa":
        return Principal(kind="qa", agency_id=None, token_id=user_id, role="qa",
                         actor=Actor("qa", user_id, user.get("name")), user_id=user_id,
                         email=user.get("email"))
    return Principal(kind="agency", agency_id=user["agency_id"], token_id=user_id,
                     role=user["role"], actor=Actor("user", user_id, user.get("name")),
                     user_id=user_id, email=user.get("email"))


class PersonAuthenticator:
    def __init__(self, verifier: TokenVerifier, users: UserRepository) -> None:
        self.verifier = verifier
        self.users = users

    def user_for(self, token: str) -> dict[str, Any]:
        claims = self.verifier.verify(token)
        user = self.users.get(claims["sub"])
        if (user is None or user.get("disabled")
                or signed_out_before(user, claims)):
            raise Unauthorized()
        return user

    def authenticate(self, token: str) -> Principal:
        return person_principal(self.user_for(token))
