"""The stored shape of an address (``AGENCY#<id>`` / ``ADDRESS#<id>``) at the repository
boundary: what ``chalicelib/privacy/addresses.py`` reads back, so a reader and mypy can
follow an address's fields from the API and the tours' leads to the worklists, the
consent mails and the erasure.

Only the keys every address carries are ``Required``; the others appear with the state
that sets them.
"""

from __future__ import annotations

from typing import Any, Required, TypedDict


class AddressItem(TypedDict, total=False):
    # Keys of the item itself and of the worklist index ("gdpr").
    pk: str
    sk: str
    gdpr_pk: str
    gdpr_sk: str
    # The contact (PUBLIC_FIELDS).
    address_id: Required[str]
    agency_id: str
    salutation: str | None
    first_name: str | None
    last_name: str | None
    company: str | None
    email: str | None
    phone: str | None
    street: str | None
    zip: str | None
    city: str | None
    user_id: str | None
    assigned_user_id: str | None
    external_id: str | None
    search_words: Any
    data_source: str
    source: str
    created_at: str
    updated_at: str
    version: Required[int]
    email_undeliverable: bool
    # The GDPR state: status, the store-until date and why, consent requests.
    gdpr_status: str | None
    store_until: str | None
    store_until_manual: bool
    store_until_reason: str | None
    auto_store_until: str | None
    last_consent_request_on: str
    last_consent_request_at: str
    consent_links: dict[str, str]
    consent_link_hashes: set[str]
    mail_ids: set[str]
    # Relations, interests and the leads' open suggestions.
    relations: set[str]
    interest_properties: set[str]
    open_suggestions: dict[str, Any]
