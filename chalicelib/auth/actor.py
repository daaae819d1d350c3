"""Who made a change: ``{"kind", "id", "name"?}`` on every state change the contract names
(``decided_by``, an activity's ``by``, consent/deletion records, QA records).

A route gets its caller's actor as ``ctx.actor`` (chalicelib/web/http.py); a mail link, a
job or the ops function passes one of the fixed actors below. Services take an ``Actor``
and store ``actor.as_dict()``; what an agency or reviewer is shown goes through
``for_agency`` so QA members' names stay with QA.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

ActorKind = Literal["user", "api_key", "qa", "link", "job"]
KINDS: tuple[str, ...] = ("user", "api_key", "qa", "link", "job")
# What agencies and reviewers see instead of a QA member (DSA: a person decided; the
# person's name is the platform's, not theirs).
QA_PUBLIC_NAME = "Qualitätssicherung"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: str
    name: str | None = None

    def as_dict(self) -> dict[str, Any]:
        record: dict[str, Any] = {"kind": self.kind, "id": self.id}
        if self.name:
            record["name"] = self.name
        return record

    @classmethod
    def from_dict(cls, record: Any) -> Actor | None:
        """A stored actor, or ``None`` for v1 records (a plain string or nothing)."""
        if not isinstance(record, dict) or record.get("kind") not in KINDS:
            return None
        return cls(record["kind"], str(record.get("id") or ""), record.get("name") or None)


def link_actor(purpose: str) -> Actor:
    """A mail link's POST: the person holding the link (prospect, reviewer, agency contact)."""
    return Actor("link", purpose)


def job_actor(job: str) -> Actor:
    return Actor("job", job)


OPS = Actor("job", "ops", "Betrieb")


def for_agency(record: Any) -> Any:
    """A stored actor as an agency or a reviewer may see it: a QA member becomes
    "Qualitätssicherung" without id or name; v1 values pass unchanged."""
    actor = Actor.from_dict(record)
    if actor is None or actor.kind != "qa":
        return record
    return {"kind": "qa", "id": "qa", "name": QA_PUBLIC_NAME}
