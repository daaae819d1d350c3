"""An agency's people (owner): list, invite, resend the invitation, change role or
disable (contract v2, "Accounts"); QA members for the operators.

An invitation creates the person in Cognito without Cognito's mail
(``MessageAction=SUPPRESS``) and with a random temporary password, writes the product's
record and stages the product's own German invitation mail in one transaction. An address
with an account anywhere answers 409 ``email_in_use`` (no agency named). The last enabled
owner of an agency can be neither demoted nor disabled (409 ``last_owner``): the count of
enabled owners is an item changed in the same transaction, conditioned on staying ≥ 1.
"""

from __future__ import annotations

import builtins
import time
from datetime import timedelta
from typing import Any

from chalicelib.accounts.cognito import UserPool, temporary_password
from chalicelib.accounts.mails import invitation_mail
from chalicelib.accounts.model import NewQaMember, NewUser, UserPatch
from chalicelib.accounts.sessions import Sessions
from chalicelib.accounts.users import UserRepository
from chalicelib.agencies.repository import AgencyRepository
from chalicelib.auth.actor import Actor
from chalicelib.body import Body
from chalicelib.clock import Clock, iso
from chalicelib.errors import Conflict, NotFound, Unavailable
from chalicelib.mail.outbox import Outbox, OutboxMail
from chalicelib.secrets_util import new_id
from chalicelib.storage.dynamo import Table, Transaction, TransactionCancelled
from chalicelib.validation import validate_model

# Cognito's TemporaryPasswordValidityDays (infra/cognito.json).
TEMPORARY_PASSWORD_DAYS = 7
PUBLIC = ("user_id", "email", "name", "role", "status", "disabled", "created_at")


def public_user(user: dict[str, Any]) -> dict[str, Any]:
    answer = {k: user.get(k) for k in PUBLIC}
    answer["disabled"] = bool(user.get("disabled"))
    if answer["disabled"]:
        answer["status"] = "disabled"
    return answer


def email_in_use() -> Conflict:
    return Conflict("Für diese E-Mail-Adresse gibt es bereits ein Konto.", code="email_in_use")


class Staff:
    def __init__(self, core: Table, users: UserRepository, pool: UserPool,
                 agencies: AgencyRepository, sessions: Sessions, outbox: Outbox, clock: Clock,
                 sign_in_url: str, qa_sign_in_url: str) -> None:
        self.core = core
        self.users = users
        self.pool = pool
        self.agencies = agencies
        self.sessions = sessions
        self.outbox = outbox
        self.clock = clock
        self.sign_in_url = sign_in_url
        self.qa_sign_in_url = qa_sign_in_url

    def list(self, agency_id: str) -> dict[str, Any]:
        members = sorted(self.users.members(agency_id),
                         key=lambda u: (u.get("name") or "").casefold())
        return {"users": [public_user(u) for u in members]}

    def invite(self, agency_id: str, payload: Any, actor: Actor) -> dict[str, Any]:
        data = validate_model(NewUser, payload)
        return self._create(agency_id, data.email, data.name, data.role, actor)

    def invite_qa_member(self, email: str, name: str, actor: Actor) -> dict[str, Any]:
        data = validate_model(NewQaMember, {"email": email, "name": name})
        return self._create(None, data.email, data.name, None, actor)

    def _create(self, agency_id: str | None, email: str, name: str, role: str | None,
                actor: Actor, *, password: str | None = None) -> dict[str, Any]:
        """A new person of ``agency_id`` (of the QA team without one). ``password`` makes
        it permanent at once and sends no mail: only the local stack's seed passes one."""
        email = email.lower()
        if self.users.by_email(email) is not None:
            raise email_in_use()
        agency = self.agencies.get_agency(agency_id) if agency_id else None
        temporary = temporary_password()
        user_id = self.pool.create_user(email, name, temporary)  # 409 if taken there
        now = self.clock.now()
        user: dict[str, Any] = {
            "user_id": user_id, "email": email, "name": name,
            "status": "active" if password else "invited",
            "disabled": False, "created_at": iso(now), "created_by": actor.as_dict(),
            "kind": "staff" if agency_id else "qa"}
        if agency_id:
            user.update(agency_id=agency_id, role=role)
        tx = Transaction(self.core.client)
        self.users.create(tx, user)
        staged = [] if password else self._stage_invitation(tx, user, agency, actor, temporary)
        try:
            tx.execute()
        except TransactionCancelled as exc:
            self.pool.delete_user(user_id)  # the product's record lost: undo Cognito's
            if exc.conflict and not exc.failed:  # a concurrent transaction: try again
                raise Unavailable(retry_after=1) from exc
            raise email_in_use() from exc
        except Exception:
            self.pool.delete_user(user_id)
            raise
        if password:
            self.pool.set_password(user_id, password, permanent=True)
        self.outbox.deliver(staged)
        return public_user(user)

    def seed(self, agency_id: str | None, email: str, name: str, role: str | None,
             password: str) -> dict[str, Any]:
        """The local stack's documented demo people (never called in a deployed stage)."""
        return self._create(agency_id, email, name, role, Actor("job", "seed", "Demo"),
                            password=password)

    def _stage_invitation(self, tx: Transaction, user: dict[str, Any],
                          agency: dict[str, Any] | None, actor: Actor, password: str
                          ) -> builtins.list[OutboxMail]:  # the method list() shadows it
        valid_until = self.clock.now() + timedelta(days=TEMPORARY_PASSWORD_DAYS)
        url = self.sign_in_url if agency else self.qa_sign_in_url
        inviter = actor.name or (agency or {}).get("name") or "Freigabe"
        mail = invitation_mail(user, agency, inviter, password, url, valid_until)
        return self.outbox.stage(tx, [OutboxMail(f"invite-{new_id()}", "account_invitation",
                                                 mail, ref_kind="user",
                                                 ref_id=user["user_id"])])

    def _member(self, agency_id: str, user_id: str) -> dict[str, Any]:
        user = self.users.member(agency_id, user_id)
        if user is None:
            raise NotFound("Benutzer nicht gefunden.")
        full = self.users.get(user_id)
        if full is None or full.get("agency_id") != agency_id:
            raise NotFound("Benutzer nicht gefunden.")
        return full

    def resend_invitation(self, agency_id: str, user_id: str, actor: Actor) -> dict[str, Any]:
        user = self._member(agency_id, user_id)
        if user.get("status") != "invited" or user.get("disabled"):
            raise Conflict("Die Person hat sich bereits angemeldet oder ist deaktiviert.",
                           code="not_invited")
        password = temporary_password()
        self.pool.set_password(user_id, password, permanent=False)
        tx = Transaction(self.core.client)
        staged = self._stage_invitation(tx, user, self.agencies.get_agency(agency_id), actor,
                                        password)
        try:
            tx.execute()
        except TransactionCancelled as exc:  # a new mail item: only a concurrent transaction
            raise Unavailable(retry_after=1) from exc
        self.outbox.deliver(staged)
        return {"user_id": user_id, "status": "invited"}

    def patch(self, agency_id: str, user_id: str, body: Body[UserPatch], actor: Actor
              ) -> dict[str, Any]:
        user = self._member(agency_id, user_id)  # 404 before the body
        data = body.get()
        sets: dict[str, Any] = {}
        if data.role is not None and data.role != user.get("role"):
            sets["role"] = data.role
        if data.disabled is not None and data.disabled != bool(user.get("disabled")):
            sets["disabled"] = data.disabled
        if not sets:
            return public_user(user)
        sets["updated_at"] = iso(self.clock.now())
        sets["updated_by"] = actor.as_dict()
        if sets.get("disabled"):
            # Signed out with the change itself: a repeated PATCH finds nothing to change,
            # so a sign-out written after it could be lost for good.
            sets["signed_out_at"] = int(time.time())
        tx = Transaction(self.core.client)
        self.users.change(tx, user, sets)
        try:
            tx.execute()
        except TransactionCancelled as exc:
            if "owners" in exc.failed:
                raise Conflict("Die Agentur braucht mindestens einen aktiven Inhaber.",
                               code="last_owner") from exc
            if exc.conflict and not exc.failed:  # a concurrent transaction: try again
                raise Unavailable(retry_after=1) from exc
            raise Conflict("Die Person wurde gerade geändert. Bitte neu laden.") from exc
        if "disabled" in sets:
            self.pool.set_enabled(user_id, not sets["disabled"])
            if sets["disabled"]:
                self.pool.sign_out_everywhere(user["email"])  # by the alias (sessions.py)
        return public_user({**user, **sets})

    def disable_qa_member(self, email: str, actor: Actor) -> dict[str, Any]:
        user = self.users.by_email(email.lower())
        if user is None or user.get("kind") != "qa":
            raise NotFound("Kein QA-Mitglied mit dieser E-Mail-Adresse.")
        if not user.get("disabled"):
            tx = Transaction(self.core.client)
            self.users.change(tx, user, {"disabled": True, "updated_at": iso(self.clock.now()),
                                         "updated_by": actor.as_dict()})
            tx.execute()
            self.pool.set_enabled(user["user_id"], False)
            self.sessions.sign_out_everywhere(user)
        return {"user_id": user["user_id"], "disabled": True}
