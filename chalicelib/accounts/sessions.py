"""Sign-in, the new-password challenge, refresh and sign-out (contract v2, "Accounts").

Cognito checks the password; the product then checks its own record of the person (a
disabled person or one without a record gets the same 401 as a wrong password), counts
attempts per IP and per account (429), and on sign-out ends every session in Cognito and
refuses the person's earlier tokens itself (``signed_out_at``, real time like ``iat``).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any

from chalicelib.accounts import throttle
from chalicelib.accounts.cognito import Challenge, InvalidCredentials, Tokens, UserPool
from chalicelib.accounts.model import NewPassword, Refresh, SignIn
from chalicelib.accounts.people import signed_out_before
from chalicelib.accounts.throttle import AuthThrottle
from chalicelib.accounts.users import UserRepository
from chalicelib.auth.tokens import Principal
from chalicelib.errors import ValidationFailed
from chalicelib.validation import validate_model


def unverified_claims(token: str) -> dict[str, Any]:
    """The payload of a token Cognito has just handed us over TLS (its signature is
    checked on every request that presents it, not here)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        if not isinstance(claims, dict):
            raise ValueError("the token's payload is no JSON object")
        return claims
    except (IndexError, ValueError, binascii.Error) as exc:
        raise InvalidCredentials() from exc


def _wrap_session(email: str, session: str) -> str:
    # RespondToAuthChallenge needs the username, the contract's challenge body carries only
    # the session: the username travels inside it (Cognito binds its session to it anyway).
    name = base64.urlsafe_b64encode(email.encode()).decode().rstrip("=")
    return f"{name}.{session}"


def _unwrap_session(value: str) -> tuple[str, str]:
    name, _, session = value.partition(".")
    try:
        email = base64.urlsafe_b64decode(name + "=" * (-len(name) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationFailed({"session": "Die Sitzung ist ungültig."}) from exc
    if not session or "@" not in email:
        raise ValidationFailed({"session": "Die Sitzung ist ungültig."})
    return email, session


class Sessions:
    def __init__(self, pool: UserPool, users: UserRepository, limits: AuthThrottle) -> None:
        self.pool = pool
        self.users = users
        self.limits = limits

    def _tokens(self, tokens: Tokens) -> dict[str, Any]:
        """Tokens of a person the product knows and has not disabled, else 401."""
        claims = unverified_claims(tokens.id_token)
        sub = claims.get("sub")
        user = self.users.get(sub) if isinstance(sub, str) else None
        if user is None or user.get("disabled"):
            raise InvalidCredentials()
        if signed_out_before(user, claims):
            if claims.get("auth_time", claims.get("iat")) != user.get("signed_out_at"):
                raise InvalidCredentials()  # a session older than the sign-out
            # New from Cognito, in the second of the sign-out: tell it from the old ones.
            self.users.add_fresh_session(user, str(claims.get("origin_jti")))
        if user.get("status") == "invited":
            self.users.set_fields(user, {"status": "active"})
        return tokens.as_dict()

    def _answer(self, email: str, answer: Tokens | Challenge) -> dict[str, Any]:
        if isinstance(answer, Challenge):
            return {"challenge": answer.name, "session": _wrap_session(email, answer.session)}
        return self._tokens(answer)

    def sign_in(self, payload: Any, ip: str | None) -> dict[str, Any]:
        data = validate_model(SignIn, payload)
        email = data.email.lower()
        self.limits.hit_ip(throttle.SIGN_IN_IP, ip)
        self.limits.check(throttle.SIGN_IN_ACCOUNT, email)
        try:
            answer = self.pool.sign_in(email, data.password)
        except InvalidCredentials:
            self.limits.hit(throttle.SIGN_IN_ACCOUNT, email)
            raise
        return self._answer(email, answer)

    def challenge(self, payload: Any, ip: str | None) -> dict[str, Any]:
        data = validate_model(NewPassword, payload)
        self.limits.hit_ip(throttle.SIGN_IN_IP, ip)
        email, session = _unwrap_session(data.session)
        return self._answer(email, self.pool.new_password(email, session, data.new_password))

    def refresh(self, payload: Any, ip: str | None) -> dict[str, Any]:
        data = validate_model(Refresh, payload)
        self.limits.hit_ip(throttle.SIGN_IN_IP, ip)
        return self._tokens(self.pool.refresh(data.refresh_token))

    def sign_out(self, principal: Principal) -> dict[str, Any]:
        """Ends every session of the person: Cognito revokes the refresh tokens, and the
        product refuses every token issued up to now."""
        assert principal.user_id is not None
        user = self.users.get(principal.user_id)
        if user is not None:
            self.sign_out_everywhere(user)
        return {"signed_out": True}

    def sign_out_everywhere(self, user: dict[str, Any]) -> None:
        # By the email alias: moto matches its refresh tokens by the name signed in with.
        self.pool.sign_out_everywhere(user["email"])
        self.users.mark_signed_out(user, int(time.time()))
