"""The agency's side of the address book: create, change and delete addresses, record
activities, read the consent records (JSON or a printable dossier)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from chalicelib.auth.actor import Actor
from chalicelib.body import Body
from chalicelib.clock import Clock, berlin_date, iso
from chalicelib.errors import Conflict, NotFound, Unavailable, ValidationFailed
from chalicelib.privacy import rules, search, vocabulary
from chalicelib.privacy.addresses import (
    AddressBook,
    address_key,
    email_index_key,
    gdpr_state,
    property_key,
    public_activity,
    public_address,
    reset_activity,
)
from chalicelib.privacy.erasure import Erasure, Refused, public_tombstone
from chalicelib.privacy.mails import ACTION_LABELS, CHANNEL_LABELS, data_rows
from chalicelib.privacy.model import (
    CONTACT_FIELDS,
    ActivityInput,
    AddressIds,
    AddressPatch,
    validate_new_address,
)
from chalicelib.privacy.records import list_records, stage_record
from chalicelib.secrets_util import new_id
from chalicelib.storage.dynamo import Condition, Transaction, TransactionCancelled
from chalicelib.storage.retry import Retry, optimistic
from chalicelib.validation import email_key, validate_model

RETENTION_ACTIVE = ("Für diese Adresse gilt ein Speichern-Bis-Datum in der Zukunft; sie darf "
                    "noch nicht gelöscht werden.")
STATUS_LABELS = vocabulary.STATUS


def _gdpr_activity(note: str, **extra: Any) -> dict[str, Any]:
    return {"type": "gdpr", "source": "agency_api", "note": note, **extra}


class AddressService:
    def __init__(self, book: AddressBook, erasure: Erasure, clock: Clock,
                 settings: Any = None) -> None:
        self.book = book
        self.table = book.table
        self.erasure = erasure
        self.clock = clock
        self.settings = settings  # the agency's GDPR settings (SettingsRepository)

    def _automatic(self, agency_id: str, address: Mapping[str, Any]) -> rules.ArchiveDecision | None:
        """The automatic date the address would have now (two reads: the settings and
        its interest properties), or None when the rule does not apply."""
        interest = set(address.get("interest_properties") or ())
        if self.settings is None or not interest:
            return None
        settings = self.settings.get(agency_id)
        if not settings.auto_store_until:
            return None
        return rules.automatic_date(address, self.book.properties(agency_id, interest),
                                    settings.retention_days)

    # -- create / change -----------------------------------------------------------------

    def create(self, agency_id: str, payload: Any, actor: Actor | None = None
               ) -> dict[str, Any]:
        data = validate_new_address(payload)
        now = self.clock.now()
        address_id = new_id()
        pk, sk = address_key(agency_id, address_id)
        status = data.gdpr_status or "none"
        item: dict[str, Any] = {
            "pk": pk, "sk": sk, "address_id": address_id, "agency_id": agency_id,
            **{name: getattr(data, name) for name in CONTACT_FIELDS},
            "gdpr_status": status, "store_until": data.store_until,
            "store_until_reason": data.store_until_reason if data.store_until else None,
            "store_until_manual": data.store_until is not None,
            "created_at": iso(now), "updated_at": iso(now), "source": "agency_api", "version": 1,
        }
        keys = rules.index_keys(agency_id, item)
        if keys:
            item["gdpr_pk"], item["gdpr_sk"] = keys
        tx = Transaction(self.table.client)
        words = search.stage_words(tx, self.table, agency_id, address_id, None, item)
        item.update(search.index_sets(words, item, address_id)[0])
        tx.put(self.table, item, condition=Condition("attribute_not_exists({pk})"),
               label="address")
        if item["email"]:
            tx.put(self.table, self.book.index_entry(agency_id, item),
                   condition=Condition("attribute_not_exists({pk})"), label="email")
        if status != "none" or data.store_until:
            self.book.stage_activity(tx, agency_id, address_id, _gdpr_activity(
                f"Adresse angelegt (DSGVO-Status „{STATUS_LABELS[status]}“"
                + (f", Speichern-Bis-Datum {data.store_until} manuell" if data.store_until else "")
                + ")."))
        if status == "deletion_requested":
            self._stage_agency_record(tx, agency_id, address_id, "deletion_request", None,
                                      status, now, actor)
        try:
            tx.execute()
        except TransactionCancelled as exc:
            _refuse_taken_email(exc)
            raise Unavailable(retry_after=1) from exc
        return public_address(item)

    def patch(self, agency_id: str, address_id: str, body: Body[AddressPatch],
              actor: Actor | None = None) -> dict[str, Any]:
        before = self.book.require(agency_id, address_id)
        data = body.get()
        named = data.model_fields_set
        if "gdpr_status" in named and data.gdpr_status is None:
            raise ValidationFailed({"gdpr_status": "Erlaubt: none, ignore, deletion_requested."})

        def attempt(_number: int) -> dict[str, Any]:
            nonlocal before
            sets: dict[str, Any] = {n: getattr(data, n) for n in CONTACT_FIELDS if n in named}
            notes: list[str] = []
            if "store_until" in named:
                auto = self._automatic(agency_id, before) if data.store_until is None else None
                if auto is not None and auto.store_until:
                    # onOffice: "Wenn das Feld geleert und gespeichert wird, wird das Datum
                    # wieder automatisch gesetzt" - at once, even when that date is past.
                    sets.update(store_until=auto.store_until, store_until_manual=False,
                                store_until_reason=rules.ARCHIVE_REASON)
                    notes.append(f"Speichern-Bis-Datum geleert: automatisch auf "
                                 f"{auto.store_until} gesetzt (Grund: {rules.ARCHIVE_REASON}).")
                elif data.store_until is None:
                    sets.update(store_until=None, store_until_manual=False,
                                store_until_reason=None)
                    if before.get("store_until") or before.get("store_until_manual"):
                        notes.append("Speichern-Bis-Datum geleert: es wird wieder automatisch "
                                      "gesetzt.")
                else:
                    reason = data.store_until_reason if "store_until_reason" in named else None
                    sets.update(store_until=data.store_until, store_until_manual=True,
                                store_until_reason=reason)
                    notes.append(f"Speichern-Bis-Datum manuell auf {data.store_until} gesetzt"
                                 + (f" (Grund: {reason})." if reason else "."))
            elif "store_until_reason" in named:
                sets["store_until_reason"] = data.store_until_reason
            old_status = before.get("gdpr_status") or "none"
            # Named means set: a named null was refused above.
            new_status = (data.gdpr_status if "gdpr_status" in named and data.gdpr_status
                          else old_status)
            if new_status != old_status:
                sets["gdpr_status"] = new_status
                notes.append(f"DSGVO-Status von „{STATUS_LABELS[old_status]}“ auf "
                             f"„{STATUS_LABELS[new_status]}“ geändert (durch den Makler).")
            after_view = {**before, **sets}
            if not any(after_view.get(n) for n in ("first_name", "last_name", "company",
                                                   "email")):
                raise ValidationFailed({"last_name": "Bitte einen Namen, eine Firma oder eine "
                                                     "E-Mail-Adresse behalten."})
            if all(before.get(k) == v for k, v in sets.items()):
                return public_address(before)
            tx = Transaction(self.table.client)
            old_email, new_email = before.get("email"), after_view.get("email")
            email_moves = email_key(old_email or "") != email_key(new_email or "")
            after = self.book.stage_change(tx, before, sets, mirror_email=not email_moves)
            if email_moves:
                if old_email:
                    tx.delete(self.table, *email_index_key(agency_id, old_email),
                              condition=Condition("{address_id} = {:a}", a=address_id),
                              label="address")
                if new_email:
                    tx.put(self.table, self.book.index_entry(agency_id, after),
                           condition=Condition("attribute_not_exists({pk})"), label="email")
            now = self.clock.now()
            for offset, note in enumerate(notes):
                self.book.stage_activity(tx, agency_id, address_id, _gdpr_activity(note),
                                         at=now + timedelta(milliseconds=offset))
            if new_status != old_status and (new_status == "deletion_requested"
                                             or old_status == "consented"):
                action = ("deletion_request" if new_status == "deletion_requested"
                          else "consent_withdrawn")
                self._stage_agency_record(tx, agency_id, address_id, action, old_status,
                                          new_status, now, actor)
            try:
                tx.execute()
            except TransactionCancelled as exc:
                _refuse_taken_email(exc)
                before = self.book.require(agency_id, address_id)
                raise Retry() from exc
            return public_address(after)

        return optimistic(attempt)

    def _stage_agency_record(self, tx: Transaction, agency_id: str, address_id: str,
                             action: str, old_status: str | None, new_status: str,
                             now: Any, actor: Actor | None = None) -> None:
        text = (f"{ACTION_LABELS.get(action, action)}: vom Makler erfasst (z. B. telefonisch). "
                f"DSGVO-Status "
                + (f"von „{STATUS_LABELS[old_status]}“ " if old_status else "")
                + f"auf „{STATUS_LABELS[new_status]}“.")
        stage_record(self.table, tx, agency_id, address_id, action=action, at=now, text=text,
                     channel="agency", by=actor.as_dict() if actor else "agency_api")

    # -- activities ----------------------------------------------------------------------

    def add_activity(self, agency_id: str, address_id: str, body: Body[ActivityInput],
                     actor: Actor | None = None) -> dict[str, Any]:
        before = self.book.require(agency_id, address_id)
        data = body.get()
        interest = rules.interest_property(data.type, data.property_id)

        def attempt(_number: int) -> dict[str, Any]:
            nonlocal before
            active = False
            if interest:
                prop = self.table.get(*property_key(agency_id, data.property_id or ""))
                active = bool(prop and prop.get("status") == "active")
            reset = rules.resets_on_interest(before, data.type, data.property_id, active)
            sets: dict[str, Any] = {}
            if reset:
                sets.update(store_until=None, store_until_reason=None, store_until_manual=False)
            tx = Transaction(self.table.client)
            self.book.stage_change(tx, before, sets, adds={
                "interest_properties": {interest} if interest else set()})
            now = self.clock.now()
            activity: dict[str, Any] = {"type": data.type, "property_id": data.property_id,
                                         "note": data.note, "source": "agency_api"}
            if actor is not None:
                activity["by"] = actor.as_dict()
            activity_id = self.book.stage_activity(tx, agency_id, address_id, activity, at=now)
            if reset:
                self.book.stage_activity(tx, agency_id, address_id,
                                         reset_activity(before["store_until"], data.property_id),
                                         at=now + timedelta(milliseconds=1))
            try:
                tx.execute()
            except TransactionCancelled as exc:
                before = self.book.require(agency_id, address_id)
                raise Retry() from exc
            return {**{k: None for k in ("tour_id", "registration_id")},
                    **public_activity({**activity, "activity_id": activity_id,
                                       "created_at": iso(now)}),
                    "store_until_reset": reset}

        return optimistic(attempt)

    # -- deletion ------------------------------------------------------------------------

    def delete(self, agency_id: str, address_id: str, by: Any,
               reason: str = "agency_request") -> dict[str, Any]:
        result = self.erasure.erase(agency_id, address_id, reason=reason, by=by)
        if isinstance(result, Refused):
            raise Conflict(RETENTION_ACTIVE, code=result.reason)
        if result is None:
            result = self._finish_interrupted(agency_id, address_id)
            if result is None:
                raise NotFound("Adresse nicht gefunden.")
        return {"deleted": address_id, "tombstone": public_tombstone(result)}

    def _finish_interrupted(self, agency_id: str, address_id: str) -> Any:
        """The address is gone: if its deletion's clean-up was interrupted (a 503 the
        client now repeats), finish it and return the tombstone; otherwise None."""
        tombstone = self.erasure.tombstone(agency_id, address_id)
        if tombstone is None or tombstone.get("status") != "cleanup_pending":
            return None
        return self.erasure.resume(agency_id, address_id) or tombstone

    def bulk_delete(self, agency_id: str, payload: Any, by: Any) -> dict[str, Any]:
        data = validate_model(AddressIds, payload)
        deleted: list[str] = []
        refused: list[dict[str, str]] = []
        found = self.book.get_many(agency_id, data.address_ids)
        for address_id in data.address_ids:
            if address_id not in found:
                if self._finish_interrupted(agency_id, address_id) is not None:
                    deleted.append(address_id)
                else:
                    refused.append({"address_id": address_id, "reason": "not_found"})
                continue
            result = self.erasure.erase(agency_id, address_id, reason="agency_bulk_delete",
                                        by=by, address=found[address_id])
            if isinstance(result, Refused):
                refused.append({"address_id": address_id, "reason": result.reason})
            elif result is None:
                refused.append({"address_id": address_id, "reason": "not_found"})
            else:
                deleted.append(address_id)
        return {"deleted": deleted, "refused": refused}

    def deletions(self, agency_id: str, email: str | None) -> dict[str, Any]:
        return {"deletions": self.erasure.deletions(agency_id, email)}

    # -- consent records -----------------------------------------------------------------

    def consent_records(self, agency_id: str, address_id: str) -> dict[str, Any]:
        self.book.require(agency_id, address_id)
        return {"records": list_records(self.table, agency_id, address_id)}

    def dossier(self, agency_id: str, address_id: str, agency: dict[str, str]) -> str:
        """A printable German dossier of the consent records ("Einwilligungsnachweis")."""
        from chalicelib.clock import parse_iso
        from chalicelib.mail.render import german_datetime, render

        item = self.book.require(agency_id, address_id)
        records = list_records(self.table, agency_id, address_id)
        now = self.clock.now()
        return render(
            "gdpr_dossier.html", agency=agency, address=public_address(item),
            state=gdpr_state(item), rows=data_rows(item), records=records, generated_at=now,
            today=berlin_date(now), action_labels=ACTION_LABELS, channel_labels=CHANNEL_LABELS,
            status_labels=STATUS_LABELS, when=lambda value: german_datetime(parse_iso(value)),
        )


def _refuse_taken_email(exc: TransactionCancelled) -> None:
    """The address book's unique-email item refused the write: 409, not a retry."""
    if "email" in exc.failed:
        raise Conflict("Für diese E-Mail-Adresse gibt es bereits eine Adresse.",
                       code="email_exists") from exc
