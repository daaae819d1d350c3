"""Agencies and API tokens in the core table.

Tokens are keyed by their SHA-256, so authenticating a request is one GetItem;
a second item keyed by the public token id lets operators revoke without the secret.
An agency's token is one of its API keys (contract v2): a third item under the agency
(``AGENCY#<agency>`` / ``APIKEY#<token id>``) lists it for the owner, never the key.
"""

from __future__ import annotations

from typing import Any

from chalicelib.storage.dynamo import Condition, Item, Table, Transaction
from chalicelib.storage.partition import items_with_prefix


def agency_key(agency_id: str) -> tuple[str, str]:
    return f"AGENCY#{agency_id}", "PROFILE"


def token_key(token_hash: str) -> tuple[str, str]:
    return f"TOKEN#{token_hash}", "TOKEN"


def token_id_key(token_id: str) -> tuple[str, str]:
    return f"TOKENID#{token_id}", "TOKENID"


def api_key_list_key(agency_id: str, token_id: str) -> tuple[str, str]:
    return f"AGENCY#{agency_id}", f"APIKEY#{token_id}"


class AgencyRepository:
    def __init__(self, core: Table) -> None:
        self.core = core

    def get_agency(self, agency_id: str) -> Item | None:
        if not agency_id:
            return None
        return self.core.get(*agency_key(agency_id))

    def create_agency(self, agency: dict[str, Any]) -> None:
        pk, sk = agency_key(agency["agency_id"])
        self.core.put({"pk": pk, "sk": sk, **agency}, Condition("attribute_not_exists({pk})"))

    def get_token(self, token_hash: str) -> Item | None:
        return self.core.get(*token_key(token_hash))

    def store_token(self, token_hash: str, record: dict[str, Any]) -> None:
        tx = Transaction(self.core.client)
        pk, sk = token_key(token_hash)
        tx.put(self.core, {"pk": pk, "sk": sk, **record},
               condition=Condition("attribute_not_exists({pk})"), label="token")
        ipk, isk = token_id_key(record["token_id"])
        tx.put(self.core, {"pk": ipk, "sk": isk, "token_hash": token_hash, **record},
               condition=Condition("attribute_not_exists({pk})"), label="token_id")
        if record.get("kind") == "agency":
            lpk, lsk = api_key_list_key(record["agency_id"], record["token_id"])
            tx.put(self.core, {"pk": lpk, "sk": lsk, "token_hash": token_hash, **record},
                   condition=Condition("attribute_not_exists({pk})"), label="api_key")
        tx.execute()

    def get_token_by_id(self, token_id: str) -> Item | None:
        return self.core.get(*token_id_key(token_id))

    def list_api_keys(self, agency_id: str) -> list[Item]:
        return items_with_prefix(self.core, f"AGENCY#{agency_id}", "APIKEY#")

    def get_api_key(self, agency_id: str, token_id: str) -> Item | None:
        return self.core.get(*api_key_list_key(agency_id, token_id))

    def delete_token(self, token_id: str, token_hash: str, agency_id: str | None = None
                     ) -> None:
        """Removes the key's items in one transaction; with ``agency_id`` only while it is
        still listed there (a second revoke loses with ``TransactionCancelled``)."""
        tx = Transaction(self.core.client)
        tx.delete(self.core, *token_key(token_hash))
        tx.delete(self.core, *token_id_key(token_id))
        if agency_id:
            tx.delete(self.core, *api_key_list_key(agency_id, token_id),
                      condition=Condition("attribute_exists({pk})"), label="api_key")
        tx.execute()
