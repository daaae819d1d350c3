"""The product's own record of each person in the user pool (core table). Cognito knows
passwords; this record knows who the person is for the product — agency, role, disabled,
when they last signed out everywhere — and is read on every request (one GetItem).

Keys:
- ``USER#<user id>`` / ``USER``          the person (user id = the pool's ``sub``)
- ``AGENCY#<agency>`` / ``USER#<id>``    the agency's list (same fields, for GET /agency/users)
- ``AGENCY#<agency>`` / ``OWNERS``       count of enabled owners (409 ``last_owner`` guard)
- ``ACCOUNT#<email>`` / ``ACCOUNT``      email → user id (forgot-password, ops, uniqueness)

Every change writes the person and the list item in one transaction, conditioned on the
state it read, so two owners changing one person end with one 409.
"""

from __future__ import annotations

from typing import Any

from chalicelib.errors import Unavailable
from chalicelib.storage.dynamo import (
    Condition,
    Item,
    Table,
    Transaction,
    TransactionCancelled,
    Update,
)
from chalicelib.storage.partition import items_with_prefix

LISTED = ("user_id", "email", "name", "role", "status", "disabled", "created_at",
          "created_by", "kind", "agency_id")


def user_key(user_id: str) -> tuple[str, str]:
    return f"USER#{user_id}", "USER"


def member_key(agency_id: str, user_id: str) -> tuple[str, str]:
    return f"AGENCY#{agency_id}", f"USER#{user_id}"


def owners_key(agency_id: str) -> tuple[str, str]:
    return f"AGENCY#{agency_id}", "OWNERS"


def account_key(email: str) -> tuple[str, str]:
    return f"ACCOUNT#{email.lower()}", "ACCOUNT"


def is_enabled_owner(user: dict[str, Any]) -> bool:
    return user.get("role") == "owner" and not user.get("disabled")


class UserRepository:
    def __init__(self, core: Table) -> None:
        self.core = core

    def get(self, user_id: str) -> Item | None:
        if not user_id:
            return None
        return self.core.get(*user_key(user_id))

    def by_email(self, email: str) -> Item | None:
        account = self.core.get(*account_key(email))
        return self.get(account["user_id"]) if account else None

    def members(self, agency_id: str) -> list[Item]:
        return items_with_prefix(self.core, f"AGENCY#{agency_id}", "USER#")

    def member(self, agency_id: str, user_id: str) -> Item | None:
        return self.core.get(*member_key(agency_id, user_id))

    def create(self, tx: Transaction, user: dict[str, Any]) -> None:
        """Stages a new person: the email must be free in the product too."""
        apk, ask = account_key(user["email"])
        tx.put(self.core, {"pk": apk, "sk": ask, "user_id": user["user_id"]},
               condition=Condition("attribute_not_exists({pk})"), label="email")
        upk, usk = user_key(user["user_id"])
        tx.put(self.core, {"pk": upk, "sk": usk, **user},
               condition=Condition("attribute_not_exists({pk})"), label="user")
        if user.get("agency_id"):
            mpk, msk = member_key(user["agency_id"], user["user_id"])
            tx.put(self.core, {"pk": mpk, "sk": msk, **_listed(user)}, label="member")
            if is_enabled_owner(user):
                self._owners(tx, user["agency_id"], +1)

    def change(self, tx: Transaction, before: dict[str, Any], sets: dict[str, Any]) -> None:
        """Stages ``sets`` on a person, conditioned on role and disabled as read; keeps the
        enabled-owner count (an agency never loses its last enabled owner)."""
        guard = Condition("{role} = {:r} AND {disabled} = {:d}", r=before.get("role"),
                          d=bool(before.get("disabled")))
        if before.get("kind") == "qa":
            guard = Condition("{disabled} = {:d}", d=bool(before.get("disabled")))
        upk, usk = user_key(before["user_id"])
        tx.update(self.core, upk, usk, Update(sets=sets), condition=guard, label="user")
        agency_id = before.get("agency_id")
        if not agency_id:
            return
        listed = {k: v for k, v in sets.items() if k in LISTED}
        if listed:
            mpk, msk = member_key(agency_id, before["user_id"])
            tx.update(self.core, mpk, msk, Update(sets=listed), label="member")
        after = {**before, **sets}
        if is_enabled_owner(before) and not is_enabled_owner(after):
            self._owners(tx, agency_id, -1)
        elif is_enabled_owner(after) and not is_enabled_owner(before):
            self._owners(tx, agency_id, +1)

    def _owners(self, tx: Transaction, agency_id: str, delta: int) -> None:
        pk, sk = owners_key(agency_id)
        condition = Condition("{count} > {:one}", one=1) if delta < 0 else None
        tx.update(self.core, pk, sk, Update(adds={"count": delta}), condition=condition,
                  label="owners")

    def mark_signed_out(self, user: dict[str, Any], at: int) -> None:
        """Every session begun up to ``at`` (real time, seconds) is over."""
        pk, sk = user_key(user["user_id"])
        self.core.update(pk, sk, Update(sets={"signed_out_at": at}, removes=["fresh_sessions"]),
                         Condition("attribute_exists({pk})"))

    def add_fresh_session(self, user: dict[str, Any], origin_jti: str) -> None:
        pk, sk = user_key(user["user_id"])
        self.core.update(pk, sk, Update(adds={"fresh_sessions": {origin_jti}}),
                         Condition("attribute_exists({pk})"))

    def set_fields(self, user: dict[str, Any], sets: dict[str, Any]) -> None:
        """Unconditional bookkeeping (status after the first sign-in, sign-out time)."""
        tx = Transaction(self.core.client)
        self.stage_fields(tx, user, sets)
        try:
            tx.execute()
        except TransactionCancelled as exc:
            if exc.conflict and not exc.failed:  # a concurrent transaction: try again
                raise Unavailable(retry_after=1) from exc
            raise

    def stage_fields(self, tx: Transaction, user: dict[str, Any], sets: dict[str, Any],
                     removes: tuple[str, ...] = ()) -> None:
        upk, usk = user_key(user["user_id"])
        tx.update(self.core, upk, usk, Update(sets=sets, removes=list(removes)),
                  condition=Condition("attribute_exists({pk})"), label="user")
        listed = {k: v for k, v in sets.items() if k in LISTED}
        if listed and user.get("agency_id"):
            mpk, msk = member_key(user["agency_id"], user["user_id"])
            tx.update(self.core, mpk, msk, Update(sets=listed), label="member")


def _listed(user: dict[str, Any]) -> dict[str, Any]:
    return {k: user[k] for k in LISTED if k in user}
