"""Tours as a holder of personal data (``chalicelib.personal_data``): the prospect's
registrations and the per-email/per-IP registration rate counters.

A registration is reached through the address book's inquiry activity
(``subject.refs["registration"]``); its links, mails and the rate counters of its hour
are found from the registration itself. Erased with the address (the address book's
erasure deletes ``Found.keys`` in its clean-up plan)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.clock import parse_iso
from chalicelib.links.service import LinkService
from chalicelib.mail.outbox import DynamoOutboxStore
from chalicelib.personal_data import (
    Controller,
    Found,
    ItemKind,
    ProcessingRecord,
    StoredKey,
    Subject,
)
from chalicelib.ratelimit import counter_key as rate_counter_key
from chalicelib.ratelimit import window as rate_window
from chalicelib.storage.dynamo import Item, Table
from chalicelib.tours.reentry import resend_counter
from chalicelib.tours.registration import email_rate_key
from chalicelib.tours.repository import registration_key
from chalicelib.tours.viewing import viewing_view

# The mails a registration can send (``<registration id>-<suffix>``, tours.registration
# and tours.decisions).
REGISTRATION_MAIL_SUFFIXES = ("unlock", "received", "request", "decision")

# A registration's attributes that are no data about the person (keys, token hashes).
_INTERNAL = frozenset({"pk", "sk", "link_hashes", "viewer_hashes", "expires_ttl", "version",
                       "reentry_hashes", "reentry_mail_ids", "reentry_days",
                       "viewing_version"})


def export_view(item: Item) -> dict[str, Any]:
    """Everything the registration says about the person and what happened (Art. 15):
    the prospect's data as given, the tour and contact, status, consent and decision
    times."""
    view = {k: v for k, v in item.items()
            if k not in _INTERNAL and not k.startswith("gsi") and not k.endswith("_hash")}
    # The lead's viewing (only with viewing_stats_accepted): totals and every kept visit.
    view["viewing"] = viewing_view(item, timeline=True)
    return view


# Tours' items without personal data.
NEUTRAL = (
    ItemKind("tours", "TOUR#", "TOUR", "the tour's settings and the agency's contact"),
    ItemKind("tours", "TOUR#", "STATS#", "registration counter shards"),
    ItemKind("tours", "TOUR#", "MEDIA", "panorama pictures of a tour and their count"),
    ItemKind("tours", "TOUR#", "VIEWIDS", "the viewpoint ids the anonymous viewing counters "
             "count (≤ 500)"),
)


class RegistrationHolder:
    name = "tours"
    controller = Controller.AGENCY
    kinds = (
        ItemKind("tours", "REG#", "REG",
                 "tour registration: the prospect's contact data and message, status, "
                 "a copy of the tour's contact"),
        ItemKind("core", "RATE#reg-email#", "RATE",
                 "registrations per email, tour and hour (keyed hash of the email)"),
        ItemKind("core", "RATE#reg-ip#", "RATE",
                 "registrations per IP, tour and hour (keyed hash of the IP)"),
        ItemKind("core", "RATE#reentry#", "RATE",
                 "fresh access links mailed per registration and day (TTL two days)"),
    )
    record = ProcessingRecord(
        purpose="Zugang zu geschützten virtuellen Rundgängen (Registrierung, E-Mail-Freigabe, "
                "manuelle Freigabe) und Anfrage an die Agentur",
        data_categories=("Kontaktdaten (Name, E-Mail, Telefon, Anschrift)", "Nachricht",
                         "Status und Zeitpunkte der Freigabe"),
        recipients=("die Agentur (Ansprechpartner des Rundgangs)",
                    "Amazon Web Services (Hosting, E-Mail-Versand)"),
        retention="mit der Adresse im Adressbuch der Agentur (deren Speicherfrist); "
                  "Zähler gegen Missbrauch 2 Stunden",
        legal_basis="Art. 6 Abs. 1 lit. b DSGVO (vorvertragliche Anfrage)",
    )

    def __init__(self, tours: Table, hash_key: str) -> None:
        self.tours = tours
        self.hash_key = hash_key

    def registrations(self, agency_id: str, ids: tuple[str, ...]) -> list[Item]:
        found: list[Item] = []
        for start in range(0, len(ids), 100):
            batch = self.tours.batch_get([registration_key(rid) for rid in ids[start:start + 100]])
            found.extend(r for r in batch if r.get("agency_id") == agency_id)
        return found

    def find(self, subject: Subject) -> Found:
        registrations = self.registrations(subject.agency_id, subject.ref("registration"))
        keys: list[StoredKey] = []
        for registration in registrations:
            rid = registration["registration_id"]
            keys.append(("tours", registration["pk"], registration["sk"]))
            for token_hash in (registration.get("link_hashes") or {}).values():
                keys.append(("core", *LinkService.key(token_hash)))
            # "Neuen Zugangslink senden" (tours.reentry): its links and mails.
            keys.extend(("core", *LinkService.key(h))
                        for h in registration.get("reentry_hashes") or ())
            keys.extend(("core", *DynamoOutboxStore.key(m))
                        for m in registration.get("reentry_mail_ids") or ())
            keys.extend(("core", *rate_counter_key(resend_counter(rid, day)))
                        for day in registration.get("reentry_days") or ())
            keys.extend(("core", *DynamoOutboxStore.key(f"{rid}-{suffix}"))
                        for suffix in REGISTRATION_MAIL_SUFFIXES)
            keys.extend(("core", *rate_counter_key(key)) for key in self._rate_keys(registration))
        return Found(keys=keys, handle=registrations or None,
                     counts={"registrations": len(registrations)})

    def export(self, subject: Subject, found: Found) -> dict[str, Any]:
        return {"registrations": [export_view(r) for r in found.handle or ()]}

    def erase(self, subject: Subject, found: Found, *, by: str, reason: str
              ) -> dict[str, Any]:
        return {}  # deleted in the address book's clean-up plan (Found.keys)

    def _rate_keys(self, registration: Item) -> list[str]:
        email = (registration.get("prospect") or {}).get("email")
        if not email:
            return []
        created = parse_iso(registration["created_at"])
        # The counter's hour is taken a moment before created_at: cover the hour before too.
        windows = {rate_window(created)[0], rate_window(created - timedelta(minutes=1))[0]}
        return [email_rate_key(self.hash_key, registration["tour_id"], email, w)
                for w in sorted(windows)]
