"""The agencies capability's items, for the personal-data registry
(``chalicelib.personal_data``): none holds data about a prospect, reviewer or address.

The agency item carries the agency's business contact and controller details (what its
pages and mails show as the responsible company); staff accounts, once they exist, are
the accounts capability's holder."""

from __future__ import annotations

from chalicelib.personal_data import ItemKind

NEUTRAL = (
    ItemKind("core", "AGENCY#", "PROFILE",
             "the agency: name, business contact and controller details it publishes"),
    ItemKind("core", "TOKEN#", "TOKEN", "API token (hash), its kind and agency"),
    ItemKind("core", "TOKENID#", "TOKENID", "API token by public id (revocation)"),
    ItemKind("core", "AGENCY#", "APIKEY#", "an agency's API key as listed for its owner "
             "(id, label, dates; never the key)"),
)
