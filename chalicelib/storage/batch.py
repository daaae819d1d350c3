"""Point reads across tables in as few round trips as DynamoDB allows: one BatchGetItem
for up to 100 keys, whichever tables they live in (``Table.batch_get`` covers one table).

``BatchGet`` collects ``(table, pk, sk)`` keys, reads them strongly consistent and answers
by key, so callers that gather the keys of several capabilities pay one call, not one per
key."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from chalicelib.errors import Unavailable
from chalicelib.storage.dynamo import Item, Table, deserialize, serialize, translate_throttling

MAX_KEYS = 100
# BatchGetItem may hand back keys it did not get to (throttling, 16 MB responses): those
# are asked again after a short, growing pause, as AWS recommends.
UNPROCESSED_ATTEMPTS = 5

Key = tuple[str, str, str]  # table name, pk, sk


class BatchGet:
    def __init__(self) -> None:
        self._tables: dict[str, Table] = {}
        self._keys: dict[Key, None] = {}

    def add(self, table: Table, pk: str, sk: str) -> Key:
        first = next(iter(self._tables.values()), table)
        if table.client is not first.client:
            # One BatchGetItem goes through one client (one account and region).
            raise ValueError("BatchGet: all tables must share one client")
        self._tables.setdefault(table.name, table)
        key = (table.name, pk, sk)
        self._keys.setdefault(key)
        return key

    def add_all(self, table: Table, keys: Iterable[tuple[str, str]]) -> list[Key]:
        return [self.add(table, pk, sk) for pk, sk in keys]

    def __len__(self) -> int:
        return len(self._keys)

    def run(self) -> dict[Key, Item]:
        """Reads every key added (one call per 100 keys); missing items are left out."""
        keys = list(self._keys)
        found: dict[Key, Item] = {}
        for start in range(0, len(keys), MAX_KEYS):
            self._read(keys[start:start + MAX_KEYS], found)
        return found

    def _read(self, keys: list[Key], found: dict[Key, Item]) -> None:
        if not keys:
            return
        client = self._tables[keys[0][0]].client
        request: dict[str, Any] = {}
        for name, pk, sk in keys:
            request.setdefault(name, {"Keys": [], "ConsistentRead": True})
            request[name]["Keys"].append(serialize({"pk": pk, "sk": sk}))
        for attempt in range(UNPROCESSED_ATTEMPTS):
            if attempt:
                time.sleep(0.05 * 2 ** attempt)
            with translate_throttling():
                resp = client.batch_get_item(RequestItems=request)
            for name, items in resp.get("Responses", {}).items():
                for raw in items:
                    item = deserialize(raw)
                    found[(name, item["pk"], item["sk"])] = item
            request = resp.get("UnprocessedKeys") or {}
            if not request:
                return
        raise Unavailable(retry_after=1)
