"""Operator entry point: agencies and tokens, jobs, one person's data, the suppression list.

The same service answers a Lambda test event from the AWS console (``handle``, wired in
``app.py``) and this CLI: ``python -m chalicelib.ops create-agency --name "…" --email k@m.de``.
Every event is validated (pydantic); a bad event gets ``{"ok": false, "error": {...}}`` with
German field messages, never a traceback, and nothing of the event is logged but its action.
docs/operations.md lists each event with an example.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from chalicelib.errors import AppError, Conflict, NotFound, ValidationFailed
from chalicelib.personal_data import ItemKind, Subject
from chalicelib.validation import EmailStr, SingleLine, fields_from

if TYPE_CHECKING:  # the container is reached at run time only (cold start)
    from chalicelib.wiring import Container

log = logging.getLogger("freigabe.ops")

# A run for a given date starts at this Berlin time of that day: inside the nightly window
# of the jobs (01:00–04:45 UTC), so the job sees that date as "today".
BACKFILL_TIME = dt.time(3, 0)
# A repeated event (same idempotency key) within this window answers from its first run.
IDEMPOTENCY_WINDOW = dt.timedelta(hours=24)

JobRunner = Callable[[str, "dt.date | None"], dict[str, Any]]
RemainingMillis = Callable[[], int]
# Without a Lambda context (the CLI) an unfinished run blocks a repetition this long: the
# longest a Lambda invocation can live.
IN_PROGRESS_WITHOUT_CONTEXT = dt.timedelta(minutes=15)


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Optional: events with the same key are one request. Without it, the event's content
    # is the key (a second, deliberate identical request needs a new key).
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)


class CreateAgency(_Event):
    action: Literal["create_agency"]
    agency: dict[str, Any]
    # Contract v2: the first owner gets the product's invitation mail; the privacy URL is
    # the agency profile's (the tour gate's and the consent mail's fallback).
    owner_email: EmailStr
    owner_name: SingleLine = Field(min_length=1, max_length=120)
    privacy_url: str = Field(min_length=1, max_length=2000)


class InviteQaMember(_Event):
    action: Literal["invite_qa_member"]
    email: EmailStr
    name: SingleLine = Field(min_length=1, max_length=120)


class DisableQaMember(_Event):
    action: Literal["disable_qa_member"]
    email: EmailStr


class IssueToken(_Event):
    action: Literal["issue_token"]
    kind: Literal["agency", "qa"] = "agency"
    agency_id: str | None = Field(default=None, max_length=63)
    label: SingleLine = Field(default="", max_length=200)


class RevokeToken(_Event):
    action: Literal["revoke_token"]
    token_id: str = Field(min_length=1, max_length=64)


class RunJob(_Event):
    action: Literal["run_job"]
    job: str = Field(min_length=1, max_length=40)
    date: dt.date | None = None


class Person(_Event):
    action: Literal["export_person", "erase_person"]
    agency_id: str = Field(min_length=1, max_length=63)
    email: EmailStr
    reason: SingleLine = Field(default="art17_request", max_length=200)


class LiftSuppression(_Event):
    action: Literal["lift_suppression"]
    email: EmailStr


class ReplayErasures(_Event):
    """After a point-in-time restore: erase again whoever the erasure ledger lists since
    ``since`` (Berlin date, inclusive; docs/operations.md "Restore")."""

    action: Literal["replay_erasures"]
    since: dt.date


OpsEvent = Annotated[CreateAgency | IssueToken | RevokeToken | RunJob | Person | LiftSuppression
                     | InviteQaMember | DisableQaMember | ReplayErasures,
                     Field(discriminator="action")]
ACTIONS = ("create_agency", "issue_token", "revoke_token", "run_job", "export_person",
           "erase_person", "lift_suppression", "invite_qa_member", "disable_qa_member",
           "replay_erasures")
# Actions whose repetition would repeat an effect: guarded by an idempotency record.
# (revoke_token is idempotent by itself: the second answers not_found; run_job's jobs are
# idempotent by design; export_person changes nothing.)
GUARDED = ("create_agency", "issue_token", "erase_person", "lift_suppression",
           "invite_qa_member")
_ADAPTER: TypeAdapter[Any] = TypeAdapter(OpsEvent)


def parse(event: Any) -> Any:
    if not isinstance(event, dict) or event.get("action") not in ACTIONS:
        raise AppError("action: " + " | ".join(ACTIONS), code="unknown_action")
    try:
        return _ADAPTER.validate_python(event)
    except ValidationError as exc:
        # Field messages only: pydantic's own text would echo the input (an address).
        raise ValidationFailed({k.split(".", 1)[-1]: v for k, v in fields_from(exc).items()}
                               ) from exc


def handle(event: Any, container: Container, run_job: JobRunner | None = None,
           remaining_ms: RemainingMillis | None = None) -> dict[str, Any]:
    """Runs one operator event; answers ``{"ok": true, ...}`` or ``{"ok": false, "error"}``.
    ``remaining_ms`` is the Lambda context's ``get_remaining_time_in_millis``: an event
    still "in progress" after that time was killed (timeout) and may run again."""
    action = event.get("action") if isinstance(event, dict) else None
    action = action if action in ACTIONS else "unknown"  # logged: never the operator's text
    try:
        parsed = parse(event)
        if parsed.action in GUARDED:
            result = Idempotency(container, remaining_ms).run(
                event, parsed.idempotency_key, lambda: _perform(parsed, container, run_job))
        else:
            result = _perform(parsed, container, run_job)
    except AppError as error:
        log.info("ops event refused", extra={"action": action, "code": error.code})
        return {"ok": False, "error": {"code": error.code, "message": error.message,
                                       "fields": error.fields}}
    log.info("ops event done", extra={"action": parsed.action,
                                      "repeated": bool(result.get("repeated"))})
    return {"ok": True, **result}


def _perform(event: Any, container: Container, run_job: JobRunner | None) -> dict[str, Any]:
    if isinstance(event, CreateAgency):
        return create_agency(container, event)
    if isinstance(event, InviteQaMember):
        from chalicelib.auth.actor import OPS

        return {"user": container.staff.invite_qa_member(event.email, event.name, OPS)}
    if isinstance(event, DisableQaMember):
        from chalicelib.auth.actor import OPS

        return container.staff.disable_qa_member(event.email, OPS)
    if isinstance(event, IssueToken):
        issued = container.agencies.issue_token(event.kind, event.agency_id, label=event.label)
        return {"token_id": issued.token_id, "token": issued.token, "kind": issued.kind,
                "agency_id": issued.agency_id,
                "note": "Der Token wird nur jetzt angezeigt; gespeichert ist nur sein Hash."}
    if isinstance(event, RevokeToken):
        container.agencies.revoke_token(event.token_id)
        return {"revoked": event.token_id}
    if isinstance(event, RunJob):
        if run_job is None:
            raise AppError("Jobs laufen nur in der ops-Funktion.", code="unknown_job")
        return {"summary": run_job(event.job, _backfill_date(event.date, container))}
    if isinstance(event, LiftSuppression):
        return {"lifted": container.suppressions.lift(event.email)}
    if isinstance(event, ReplayErasures):
        # Idempotent by itself: a second run finds nothing left to erase.
        return container.gdpr.replay_erasures(event.since)
    if event.action == "export_person":
        return export_person(container, event.agency_id, event.email)
    return erase_person(container, event.agency_id, event.email, event.reason)


def create_agency(container: Container, event: CreateAgency) -> dict[str, Any]:
    """The agency, its privacy URL and its first owner (invited by mail). Everything is
    checked before anything is written: a taken owner address creates no agency."""
    from chalicelib.accounts.staff import email_in_use
    from chalicelib.agencies.profile import ProfileInput
    from chalicelib.auth.actor import OPS
    from chalicelib.validation import validate_model

    validate_model(ProfileInput, {"privacy_url": event.privacy_url})
    if container.users.by_email(event.owner_email) is not None:
        raise email_in_use()
    agency = container.agencies.create_agency(event.agency)
    container.agency_profiles.put(agency["agency_id"], {"privacy_url": event.privacy_url})
    owner = container.staff.invite(agency["agency_id"], {
        "email": event.owner_email, "name": event.owner_name, "role": "owner"}, OPS)
    return {"agency": agency, "owner": owner}


def _backfill_date(day: dt.date | None, container: Container) -> dt.date | None:
    """None for "now" (no date, or today); a past date runs with the clock on that date.
    A future date is refused: a sweep run early would delete data before its time."""
    from chalicelib.clock import berlin_date

    today = berlin_date(container.clock.now())
    if day is None or day == today:
        return None
    if day > today:
        raise ValidationFailed({"date": "Darf nicht in der Zukunft liegen."})
    return day


def backfill_clock(day: dt.date) -> Any:
    """A clock that starts at ``BACKFILL_TIME`` (Berlin) on ``day`` and keeps running."""
    from chalicelib.clock import BERLIN, AdjustableClock

    clock = AdjustableClock()
    clock.set(dt.datetime.combine(day, BACKFILL_TIME, tzinfo=BERLIN))
    return clock


# -- one person (Art. 15/20 export, Art. 17 erasure) -----------------------------------------

def _located(container: Container, agency_id: str, email: str) -> Any:
    """What every holder of personal data (``container.person_data``, the agency's and
    the platform's) has about the person; 404 when the agency or all of them have
    nothing."""
    if container.agency_repo.get_agency(agency_id) is None:
        raise NotFound("Agentur nicht gefunden.")
    located = container.person_data.locate(Subject(agency_id, email))
    if located.empty:
        raise NotFound("Zu dieser E-Mail gibt es bei dieser Agentur keine Daten.")
    return located


def export_person(container: Container, agency_id: str, email: str) -> dict[str, Any]:
    """Everything stored about one person in one agency, as JSON, from every holder: the
    address-book entry (address, GDPR state, activities, consent records), the tour
    registrations reached through it, and the reviews the person wrote about the agency
    with their answers in report cases (platform data: only here, never for the agency)."""
    located = _located(container, agency_id, email)
    export: dict[str, Any] = {"agency_id": agency_id, "address": None, "activities": [],
                              "records": [], "registrations": []}
    export.update(container.person_data.export(located))
    return export


def erase_person(container: Container, agency_id: str, email: str, reason: str) -> dict[str, Any]:
    """Every holder erases, in registration order: the address through the API's deletion
    (registrations, links, mails, tombstone; refused with retention_active while a
    store-until date protects it, before anything else is deleted); then the person's
    reviews of the agency as QA's "delete" resolution removes them."""
    located = _located(container, agency_id, email)
    result: dict[str, Any] = {"deleted": None, "tombstone": None}
    result.update(container.person_data.erase(located, by="ops", reason=reason))
    return result


# -- idempotency -----------------------------------------------------------------------------

# The idempotency records hold no personal data (for the registry, chalicelib.personal_data).
NEUTRAL = (ItemKind("core", "OPSREQ#", "OPSREQ",
                    "an operator event's idempotency record (keyed hash; its answer without "
                    "tokens: ids and counts)"),)



class Idempotency:
    """Our own conditional-write idempotency rather than Powertools Idempotency: its
    persistence layer stores the handler's whole answer, and ours carry a token shown once
    (issue_token) or personal data (erase_person); here the stored answer drops the token.
    The record lives in the core table (no extra table, no extra IAM), keyed by a keyed hash
    of the idempotency key or of the event (never the event itself).

    As in Powertools, an ``in_progress`` record expires with the invocation's remaining
    time (``in_progress_until``): a run killed by its timeout leaves no handler to delete
    the record, and the operator's retry minutes later must run instead of answering
    "in progress" for the whole window."""

    def __init__(self, container: Container, remaining_ms: RemainingMillis | None = None) -> None:
        self.core = container.core_table
        self.clock = container.clock
        self.hash_key = container.settings.hash_key
        self.remaining_ms = remaining_ms

    def key(self, event: dict[str, Any], explicit: str | None) -> tuple[str, str]:
        from chalicelib.hashing import keyed_hash

        basis = explicit or json.dumps(event, sort_keys=True, ensure_ascii=False, default=str)
        return f"OPSREQ#{keyed_hash(self.hash_key, 'ops', basis)}", "OPSREQ"

    def run(self, event: dict[str, Any], explicit: str | None,
            perform: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        from chalicelib.clock import epoch_seconds, iso
        from chalicelib.storage.dynamo import Condition, ConditionFailed, Update

        pk, sk = self.key(event, explicit)
        now = self.clock.now()
        running_for = (dt.timedelta(milliseconds=max(0, self.remaining_ms()))
                       if self.remaining_ms is not None else IN_PROGRESS_WITHOUT_CONTEXT)
        try:
            self.core.put({"pk": pk, "sk": sk, "status": "in_progress", "started_at": iso(now),
                           "action": event["action"],
                           "in_progress_until": iso(now + running_for),
                           "expires_at": iso(now + IDEMPOTENCY_WINDOW),
                           "expires_ttl": epoch_seconds(now + IDEMPOTENCY_WINDOW)},
                          Condition("attribute_not_exists({pk}) OR {expires_at} < {:now} OR "
                                    "({status} = {:running} AND {in_progress_until} < {:now})",
                                    now=iso(now), running="in_progress"))
        except ConditionFailed as exc:
            return self._repeated(exc.old or {})
        try:
            result = perform()
        except Exception:
            # Nothing happened (or the action failed halfway and is safe to run again):
            # the next identical event runs instead of answering "in progress".
            self.core.delete(pk, sk)
            raise
        stored = {k: v for k, v in result.items() if k != "token"}
        self.core.update(pk, sk, Update(sets={"status": "done", "result": json.dumps(
            stored, ensure_ascii=False, default=str), "done_at": iso(self.clock.now())}))
        return result

    @staticmethod
    def _repeated(record: dict[str, Any]) -> dict[str, Any]:
        if record.get("status") != "done":
            raise Conflict("Dieses Ereignis wird gerade ausgeführt.", code="in_progress")
        result = json.loads(record.get("result") or "{}")
        note = "Dieses Ereignis wurde bereits ausgeführt; nichts wurde wiederholt."
        if record.get("action") == "issue_token":
            note += (" Der Token wurde beim ersten Mal angezeigt; ist er verloren, widerrufen "
                     "Sie ihn (token_id) und stellen einen neuen aus.")
        return {**result, "repeated": True, "first_done_at": record.get("done_at"),
                "note": note}


# -- CLI -----------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.ops", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-agency")
    create.add_argument("--id", dest="agency_id")
    create.add_argument("--name", required=True)
    create.add_argument("--email", required=True, help="contact email of the agency")
    create.add_argument("--contact-name")
    create.add_argument("--phone")
    issue = sub.add_parser("issue-token")
    target = issue.add_mutually_exclusive_group(required=True)
    target.add_argument("--agency", dest="agency_id")
    target.add_argument("--qa", action="store_true")
    issue.add_argument("--label", default="")
    revoke = sub.add_parser("revoke-token")
    revoke.add_argument("token_id")
    lift = sub.add_parser("lift-suppression")
    lift.add_argument("email")
    args = parser.parse_args(argv)

    if args.command == "create-agency":
        agency = {"name": args.name, "contact_email": args.email}
        for key in ("agency_id", "contact_name", "phone"):
            if getattr(args, key):
                agency[key] = getattr(args, key)
        event: dict[str, Any] = {"action": "create_agency", "agency": agency}
    elif args.command == "issue-token":
        event = {"action": "issue_token", "kind": "qa" if args.qa else "agency",
                 "agency_id": args.agency_id, "label": args.label}
    elif args.command == "lift-suppression":
        event = {"action": "lift_suppression", "email": args.email}
    else:
        event = {"action": "revoke_token", "token_id": args.token_id}

    from chalicelib.wiring import get_container

    result = handle(event, get_container())
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0 if result.get("ok") else 1


if __name__ == "__main__":
    raise SystemExit(main())
