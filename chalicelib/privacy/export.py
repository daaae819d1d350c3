"""The person's copy of their data (GDPR Art. 15 access, Art. 20 portability):
``GET /agency/addresses/{id}/export`` as JSON, ``?format=html`` as a printable German page.

What the agency holds about the person: the address (with its source, Art. 15(1)(g)), its
GDPR state, every activity, the consent records, and what the other **agency-controlled**
holders of the personal-data registry (``chalicelib/personal_data.py``) find for the
person's email — tour registrations with their viewing data, review invitations, webhook
deliveries still pending — plus the Art. 15(1) information (purposes, recipients, storage
period, rights: the same sections as the consent mail's Art. 13 information). Never who
wrote which review: reviews are the platform's data and their holder is not an agency
holder. Before the registry is wired, the registrations are read through the erasure's
own lookup, so the export never shows less than the erasure deletes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chalicelib.clock import Clock, iso
from chalicelib.privacy import notice, vocabulary
from chalicelib.privacy.addresses import AddressBook, gdpr_state, public_activity, public_address
from chalicelib.privacy.records import list_records
from chalicelib.storage.dynamo import Item

FORMAT = "freigabe-auskunft/1"
# Internal attributes of a registration that are no data about the person.
_INTERNAL = ("pk", "sk", "link_hashes", "expires_ttl", "version")
# Sections the export builds itself; a holder's sections of the same name are skipped.
OWN_SECTIONS = frozenset({"address", "activities", "records", "consent_records", "gdpr",
                          "gdpr_status", "store_until", "store_until_reason",
                          "store_until_manual", "last_consent_request_on", "relations",
                          "interest_properties"})


def registration_view(item: Item) -> dict[str, Any]:
    return {k: v for k, v in item.items()
            if k not in _INTERNAL and not k.startswith("gsi") and not k.endswith("_hash")}


def _plain(value: Any) -> Any:
    """JSON-ready: sets become sorted lists, DynamoDB numbers ints or floats."""
    from decimal import Decimal

    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


class AccessExport:
    def __init__(self, book: AddressBook, *, erasure: Any, agency_repo: Any, settings: Any,
                 clock: Clock, region: str,
                 registry: Callable[[], Any | None] = lambda: None) -> None:
        self.book = book
        self.erasure = erasure
        self.agency_repo = agency_repo
        self.settings = settings
        self.clock = clock
        self.region = region
        self.registry = registry

    def build(self, agency_id: str, address_id: str) -> dict[str, Any]:
        item = self.book.require(agency_id, address_id)  # 404 first
        from chalicelib.agencies.profile import controller_of
        from chalicelib.privacy.mails import agency_details

        agency_item = self.agency_repo.get_agency(agency_id)
        agency = agency_details(agency_item, agency_id)
        controller = controller_of(agency_item).public()
        for internal in ("complete", "missing", "updated_at"):
            controller.pop(internal, None)
        retention_days = self.settings.get(agency_id).retention_days
        address = {**public_address(item), "source": item.get("source"),
                   "data_source": item.get("data_source")}
        state = gdpr_state(item)
        report: dict[str, Any] = {
            "format": FORMAT,
            "generated_at": iso(self.clock.now()),
            "controller": controller,
            "address": address,
            "gdpr": {**state, "gdpr_status_label": vocabulary.STATUS.get(
                state["gdpr_status"], state["gdpr_status"])},
            "activities": [public_activity(a)
                           for a in self.book.all_activities(agency_id, address_id)],
            "consent_records": list_records(self.book.table, agency_id, address_id),
            "registrations": [],
            "review_invitations": [],
            "webhook_deliveries": [],
            "information": [{"heading": h, "paragraphs": p} for h, p in notice.sections(
                agency, item, retention_days, self.region)],
        }
        report.update(self._holders(agency_id, item))
        plain: dict[str, Any] = _plain(report)
        return plain

    def _holders(self, agency_id: str, item: Mapping[str, Any]) -> dict[str, Any]:
        """The other agency holders' sections for the person's email (registry), or the
        registrations through the erasure's lookup while no registry is wired."""
        registry = self.registry()
        if registry is None or not item.get("email"):
            lookup = getattr(self.erasure, "registrations", None)
            found = lookup(agency_id, item["address_id"]) if lookup else []
            return {"registrations": [registration_view(r) for r in found]}
        from chalicelib.personal_data import Subject

        located = registry.locate(Subject(agency_id, item["email"]), registry.agency())
        sections = registry.export(located)
        return {k: v for k, v in sections.items() if k not in OWN_SECTIONS}

    def html(self, agency_id: str, address_id: str) -> str:
        from chalicelib.clock import parse_iso
        from chalicelib.mail.render import german_datetime, render
        from chalicelib.privacy.mails import ACTION_LABELS, CHANNEL_LABELS, data_rows

        report = self.build(agency_id, address_id)
        return render("gdpr_export.html", report=report, rows=data_rows(report["address"]),
                      vocabulary=vocabulary, action_labels=ACTION_LABELS,
                      channel_labels=CHANNEL_LABELS,
                      when=lambda value: german_datetime(parse_iso(value)) if value else "–")
