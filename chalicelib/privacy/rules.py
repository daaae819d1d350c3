"""The GDPR rules of the address book as pure functions over plain dicts (no I/O).

They follow onOffice's DSGVO module (the users' expectation): the automatic store-until
date on archiving a property and its exclusions, the reset on renewed interest, the
three worklists, and what refuses a deletion or a consent mail. Every exclusion has its
own reason code, so the API and the tests can name it.

An address here is the stored item (or any mapping with the same field names):
``gdpr_status``, ``store_until`` ("YYYY-MM-DD" or None), ``store_until_manual``,
``salutation``, ``company``, ``user_id``, ``email``, ``relations`` (set of
"<property>#<role>"), ``interest_properties`` (set of property ids) and
``last_consent_request_on`` ("YYYY-MM-DD" of the last consent mail).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

STATUSES = ("none", "consented", "deletion_requested", "ignore")
# What the agency may set itself; "consented" only ever comes from the person's POST.
AGENCY_STATUSES = ("none", "ignore", "deletion_requested")
# Statuses whose addresses can appear in a date-driven worklist.
LIST_STATUSES = frozenset({"none", "deletion_requested"})

INTEREST_TYPES = frozenset({"appointment", "expose_sent", "revocation_confirmed", "inquiry"})
ACTIVITY_TYPES = ("appointment", "expose_sent", "revocation_confirmed", "inquiry", "note")
ROLES = ("owner", "buyer", "tenant")

ARCHIVE_REASON = "Objekt archiviert"
USUAL_REASONS = ("Provisionssicherung", "Steuerrecht", "Geldwäschegesetz",
                 "Vertragsverhältnis", "Rechtsstreit")

CONSENT_WINDOW_DAYS = 28   # consent-assistant: store_until within the next 28 days
RECONTACT_DAYS = 14        # not mailed by the assistant in the last 14 days

# Worklist index (GSI "gdpr"): one partition per bucket of agencies, sort key
# "<agency>#<list>#<date>#<address id>". N: status none with a date; R: deletion
# requested (no date sorts as onOffice's 00.00.0000); C: a deletion whose clean-up is
# still pending (a tombstone).
GDPR_BUCKETS = 16
NO_DATE = "0000-00-00"
PART_NONE, PART_REQUESTED, PART_CLEANUP = "N", "R", "C"

# Exclusions of the automatic date on archive, in the order they are checked.
EXCLUDED_MANUAL = "manual_date"
EXCLUDED_CONSENTED = "consented"
EXCLUDED_IGNORED = "ignored"
EXCLUDED_ACTIVE_INTEREST = "interested_in_active_property"
EXCLUDED_RELATION = "owner_buyer_tenant"
EXCLUDED_COMPANY = "company"
EXCLUDED_ASSIGNED = "assigned_to_user"

WORKLISTS = ("consent-assistant", "deletion-requested", "expired")


def parse_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def is_interest(activity_type: str, property_id: str | None) -> bool:
    """Interest in a property: an appointment, exposé, revocation confirmation or
    (renewed) inquiry that references it."""
    return activity_type in INTEREST_TYPES and bool(property_id)


def interest_property(activity_type: str, property_id: str | None) -> str | None:
    """The property an activity shows interest in (``is_interest``), or None: callers
    key the interest by it without checking the id again."""
    return property_id if is_interest(activity_type, property_id) else None


def has_automatic_date(address: Mapping[str, Any]) -> bool:
    return bool(address.get("store_until")) and not address.get("store_until_manual")


# -- automatic store-until ------------------------------------------------------------------

@dataclass(frozen=True)
class ArchiveDecision:
    store_until: str | None = None   # the date to set, when not excluded
    excluded: str | None = None      # the reason code, when excluded
    unchanged: bool = False          # the address already has exactly this date


def interested_elsewhere(address: Mapping[str, Any], archived_property_id: str,
                         property_status: Mapping[str, str]) -> bool:
    """Is the address an interested party of another *active* property? Unknown
    properties (say a tour's free-text property id) count as not active."""
    return any(pid != archived_property_id and property_status.get(pid) == "active"
               for pid in address.get("interest_properties") or ())


def archive_decision(address: Mapping[str, Any], *, archived_property_id: str,
                     property_status: Mapping[str, str], archive_date: date,
                     retention_days: int) -> ArchiveDecision:
    """What archiving a property does to one of its interested parties (auto mode on)."""
    if address.get("store_until_manual"):
        return ArchiveDecision(excluded=EXCLUDED_MANUAL)
    status = address.get("gdpr_status") or "none"
    if status == "consented":
        return ArchiveDecision(excluded=EXCLUDED_CONSENTED)
    if status == "ignore":
        return ArchiveDecision(excluded=EXCLUDED_IGNORED)
    if interested_elsewhere(address, archived_property_id, property_status):
        return ArchiveDecision(excluded=EXCLUDED_ACTIVE_INTEREST)
    if address.get("relations"):
        return ArchiveDecision(excluded=EXCLUDED_RELATION)
    if address.get("salutation") == "Firma" and (address.get("company") or "").strip():
        return ArchiveDecision(excluded=EXCLUDED_COMPANY)
    # "Adressen, die einem Benutzer zugeordnet sind": v1's free-text user_id or v2's user.
    if (address.get("user_id") or "").strip() or (address.get("assigned_user_id") or "").strip():
        return ArchiveDecision(excluded=EXCLUDED_ASSIGNED)
    until = (archive_date + timedelta(days=retention_days)).isoformat()
    return ArchiveDecision(store_until=until, unchanged=address.get("store_until") == until)


def resets_on_interest(address: Mapping[str, Any], activity_type: str,
                       property_id: str | None, property_active: bool) -> bool:
    """Renewed interest in an *active* property clears an automatic date (never a manual
    one): onOffice sets it back to 00.00.0000."""
    return (is_interest(activity_type, property_id) and property_active
            and has_automatic_date(address))


# -- the three worklists --------------------------------------------------------------------

def recently_contacted(address: Mapping[str, Any], today: date) -> bool:
    """Mailed by the consent assistant in the last 14 days: on the 14th day after the
    mail the address is listed again."""
    mailed = parse_date(address.get("last_consent_request_on"))
    return mailed is not None and today < mailed + timedelta(days=RECONTACT_DAYS)


def in_consent_assistant(address: Mapping[str, Any], today: date) -> bool:
    until = parse_date(address.get("store_until"))
    return ((address.get("gdpr_status") or "none") == "none" and until is not None
            and today <= until <= today + timedelta(days=CONSENT_WINDOW_DAYS)
            and not recently_contacted(address, today))


def in_deletion_requested(address: Mapping[str, Any], today: date) -> bool:
    until = parse_date(address.get("store_until"))
    return address.get("gdpr_status") == "deletion_requested" and (
        until is None or until <= today)


def is_expired(address: Mapping[str, Any], today: date) -> bool:
    until = parse_date(address.get("store_until"))
    return (until is not None and until < today
            and (address.get("gdpr_status") or "none") in LIST_STATUSES)


def worklists(address: Mapping[str, Any], today: date) -> set[str]:
    found = set()
    if in_consent_assistant(address, today):
        found.add("consent-assistant")
    if in_deletion_requested(address, today):
        found.add("deletion-requested")
    if is_expired(address, today):
        found.add("expired")
    return found


# -- deletion and consent mails -------------------------------------------------------------

def deletion_refusal(address: Mapping[str, Any], today: date) -> str | None:
    """A store-until date in the future (manual or automatic) keeps the address."""
    until = parse_date(address.get("store_until"))
    return "retention_active" if until is not None and until > today else None


def consent_request_skip(address: Mapping[str, Any], today: date) -> str | None:
    if not address.get("email"):
        return "no_email"
    status = address.get("gdpr_status") or "none"
    if status == "ignore":
        return "ignored"
    if status == "consented":
        return "already_consented"
    if status == "deletion_requested":
        # The person asked for deletion: asking them to consent again is not the
        # assistant's job (onOffice lists only "Keine Angabe" in its widget).
        return "deletion_requested"
    if recently_contacted(address, today):
        return "recently_contacted"
    return None


# -- index keys -----------------------------------------------------------------------------

def bucket(agency_id: str) -> str:
    return f"GDPR#{zlib.crc32(agency_id.encode('utf-8')) % GDPR_BUCKETS}"


def index_keys(agency_id: str, address: Mapping[str, Any]) -> tuple[str, str] | None:
    """The worklist index keys an address carries, or None while it can be in no list
    (consented, ignored, or status none without a date)."""
    status = address.get("gdpr_status") or "none"
    until = address.get("store_until")
    if status == "none" and until:
        part, day = PART_NONE, until
    elif status == "deletion_requested":
        part, day = PART_REQUESTED, until or NO_DATE
    else:
        return None
    return bucket(agency_id), f"{agency_id}#{part}#{day}#{address['address_id']}"


def cleanup_keys(agency_id: str, address_id: str, day: str) -> tuple[str, str]:
    return bucket(agency_id), f"{agency_id}#{PART_CLEANUP}#{day}#{address_id}"


@dataclass(frozen=True)
class KeyRange:
    low: str
    high: str


def list_ranges(agency_id: str, name: str, today: date) -> list[KeyRange]:
    """The index ranges that hold a worklist's candidates (only those: nothing later
    than the list can show is read)."""
    a = agency_id
    day = today.isoformat()
    yesterday = (today - timedelta(days=1)).isoformat()
    if name == "consent-assistant":
        last = (today + timedelta(days=CONSENT_WINDOW_DAYS)).isoformat()
        return [KeyRange(f"{a}#{PART_NONE}#{day}", f"{a}#{PART_NONE}#{last}#~")]
    if name == "deletion-requested":
        return [KeyRange(f"{a}#{PART_REQUESTED}#", f"{a}#{PART_REQUESTED}#{day}#~")]
    if name == "expired":
        return [KeyRange(f"{a}#{PART_NONE}#", f"{a}#{PART_NONE}#{yesterday}#~"),
                # a real date only: "0000-00-00" (no date) sorts before "0001"
                KeyRange(f"{a}#{PART_REQUESTED}#0001", f"{a}#{PART_REQUESTED}#{yesterday}#~")]
    raise KeyError(name)


def agency_of(gdpr_sk: str) -> str:
    return gdpr_sk.split("#", 1)[0]


def unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def automatic_date(address: Mapping[str, Any], properties: Mapping[str, Mapping[str, Any]],
                   retention_days: int) -> ArchiveDecision | None:
    """What the automatic rule gives an address now (a cleared manual date "wird wieder
    automatisch gesetzt"): interested in an archived property and in no active one, and
    not excluded → the most recently archived such property's date + ``retention_days``
    (even if that is past). None when it is interested in no archived property.
    ``properties`` maps the address's interest property ids to their items."""
    archived = [(p.get("archived_on") or "", pid) for pid, p in properties.items()
                if pid in (address.get("interest_properties") or ())
                and p.get("status") == "archived" and p.get("archived_on")]
    if not archived:
        return None
    archived_on, property_id = max(archived)
    status = {pid: str(p.get("status") or "") for pid, p in properties.items()}
    return archive_decision({**address, "store_until_manual": False},
                            archived_property_id=property_id, property_status=status,
                            archive_date=date.fromisoformat(archived_on),
                            retention_days=retention_days)
