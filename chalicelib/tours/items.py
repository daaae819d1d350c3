"""The stored shape of a registration (``REG#<id>`` / ``REG``) at the repository boundary:
what the tours repository writes and what its reads return, so a reader and mypy can
follow a registration's fields from the form to the mail, the decision and the export."""

from __future__ import annotations

from typing import Any, Required, TypedDict


class RegistrationSnapshot(TypedDict, total=False):
    """The snapshot taken at registration: the tour as the prospect saw it, and where
    the lead landed (the links' context carries it too)."""

    registration_id: Required[str]
    tour_id: Required[str]
    agency_id: Required[str]
    tour_title: str
    tour_url: str
    contact: dict[str, Any]
    prospect: dict[str, Any]
    viewpoint_id: str
    address_id: str | None
    # Where the unverified lead landed (issue 19; absent on older registrations).
    lead: dict[str, Any]
    property_id: str | None


class RegistrationItem(RegistrationSnapshot, total=False):
    # Keys of the item itself (present on reads, added by the repository on writes).
    pk: str
    sk: str
    gsi1pk: str
    gsi1sk: str
    # Its state.
    status: Required[str]
    mode: str
    created_at: Required[str]
    privacy_accepted_at: str
    viewer_hashes: set[str]
    link_hashes: dict[str, str]
    undeliverable: bool
    version: int
    viewing_stats_accepted: bool
    mail_suppressed: bool
    decided_at: str
    decided_by: Any  # an actor (v2) or a plain string (v1)
    unlocked_at: str
    reentry_hashes: list[str]
    reentry_mail_ids: list[str]
    viewing_version: int
