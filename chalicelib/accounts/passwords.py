"""Forgotten passwords with the product's own codes (contract v2, "Accounts"): a 6-digit
code mailed in German, stored only as a keyed hash, valid one hour (application clock)
and for five tries; then Cognito's ``AdminSetUserPassword``. Cognito's own reset mail is
never used (the pool recovers by admin only), so the mail is branded and testable.

``RESET#<user id>`` / ``RESET`` holds the one live code of a person; a new request
replaces it. Unknown, disabled and over-limit addresses get the same 202, without a mail.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import time
from datetime import timedelta
from typing import Any

from chalicelib.accounts import throttle
from chalicelib.accounts.mails import reset_mail
from chalicelib.accounts.model import Forgot, Reset
from chalicelib.accounts.sessions import Sessions
from chalicelib.accounts.throttle import AuthThrottle
from chalicelib.accounts.users import UserRepository
from chalicelib.clock import Clock, iso, parse_iso
from chalicelib.errors import Unavailable, ValidationFailed
from chalicelib.mail.outbox import Outbox, OutboxMail
from chalicelib.secrets_util import new_id
from chalicelib.storage.dynamo import (
    Condition,
    ConditionFailed,
    Table,
    Transaction,
    TransactionCancelled,
    Update,
)
from chalicelib.validation import validate_model

CODE_VALID = timedelta(hours=1)
MAX_TRIES = 5
WRONG_CODE = "Der Code ist falsch oder abgelaufen. Bitte fordern Sie einen neuen an."


def reset_key(user_id: str) -> tuple[str, str]:
    return f"RESET#{user_id}", "RESET"


class PasswordReset:
    def __init__(self, core: Table, users: UserRepository, sessions: Sessions,
                 outbox: Outbox, limits: AuthThrottle, clock: Clock, hash_key: str,
                 sign_in_url: str) -> None:
        self.core = core
        self.users = users
        self.sessions = sessions
        self.outbox = outbox
        self.limits = limits
        self.clock = clock
        self.hash_key = hash_key.encode("utf-8")
        self.sign_in_url = sign_in_url

    def _digest(self, user_id: str, code: str) -> str:
        return hmac.new(self.hash_key, f"reset:{user_id}:{code}".encode(),
                        hashlib.sha256).hexdigest()

    def forgot(self, payload: Any, ip: str | None) -> dict[str, Any]:
        data = validate_model(Forgot, payload)
        self.limits.hit_ip(throttle.FORGOT_IP, ip)
        email = data.email.lower()
        user = self.users.by_email(email)
        if user is None or user.get("disabled") or self.limits.reached(
                throttle.FORGOT_ACCOUNT, email):
            return {"status": "accepted"}
        code = f"{secrets.randbelow(10**6):06d}"
        now = self.clock.now()
        valid_until = now + CODE_VALID
        tx = Transaction(self.core.client)
        # Counted with the code it sends: a repeated request after a failed one counts once.
        self.limits.stage_hit(tx, throttle.FORGOT_ACCOUNT, email)
        pk, sk = reset_key(user["user_id"])
        tx.put(self.core, {"pk": pk, "sk": sk, "code_hash": self._digest(user["user_id"], code),
                           "tries": 0, "expires_at": iso(valid_until),
                           "ttl": int(valid_until.timestamp()) + 86400})
        staged = self.outbox.stage(tx, [OutboxMail(
            f"reset-{new_id()}", "account_reset",
            reset_mail(user, code, self.sign_in_url, valid_until),
            ref_kind="user", ref_id=user["user_id"])])
        try:
            tx.execute()
        except TransactionCancelled as exc:
            if throttle.LIMIT_LABEL in exc.failed:  # the limit was reached meanwhile
                return {"status": "accepted"}
            raise Unavailable(retry_after=1) from exc
        self.outbox.deliver(staged)
        return {"status": "accepted"}

    def reset(self, payload: Any, ip: str | None) -> dict[str, Any]:
        data = validate_model(Reset, payload)
        self.limits.hit_ip(throttle.RESET_IP, ip)
        user = self.users.by_email(data.email.lower())
        if user is None or user.get("disabled"):
            raise ValidationFailed({"code": WRONG_CODE})
        pk, sk = reset_key(user["user_id"])
        stored = self.core.get(pk, sk)
        if (stored is None or int(stored.get("tries", 0)) >= MAX_TRIES
                or parse_iso(stored["expires_at"]) <= self.clock.now()):
            raise ValidationFailed({"code": WRONG_CODE})
        tries = int(stored.get("tries", 0))
        as_read = Condition("{code_hash} = {:h} AND {tries} = {:t}", h=stored["code_hash"],
                            t=tries)
        if not hmac.compare_digest(stored["code_hash"],
                                   self._digest(user["user_id"], data.code.strip())):
            # Another try counted in between: this one fails all the same.
            with contextlib.suppress(ConditionFailed):
                self.core.update(pk, sk, Update(adds={"tries": 1}), as_read)
            raise ValidationFailed({"code": WRONG_CODE})
        # The code is spent once, whoever is first, and in the same transaction the product
        # ends the sessions that knew the old password: once Cognito has the new one, a
        # failed write could not be repeated (the code would be spent).
        sets: dict[str, Any] = {"signed_out_at": int(time.time())}
        if user.get("status") == "invited":
            sets["status"] = "active"
        tx = Transaction(self.core.client)
        tx.delete(self.core, pk, sk, condition=as_read, label="code")
        self.users.stage_fields(tx, user, sets, removes=("fresh_sessions",))
        try:
            tx.execute()
        except TransactionCancelled as exc:
            if exc.conflict and not exc.failed:  # a concurrent transaction: try again
                raise Unavailable(retry_after=1) from exc
            raise ValidationFailed({"code": WRONG_CODE}) from exc
        try:
            self.sessions.pool.set_password(user["user_id"], data.new_password, permanent=True)
        except ValidationFailed:
            # Cognito refused the password: the code stays usable (the sessions stay ended).
            self.core.put(stored)
            raise
        self.sessions.pool.sign_out_everywhere(user["email"])
        return {"status": "password_changed"}
