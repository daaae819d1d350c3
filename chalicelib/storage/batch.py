"""Point reads across tables in one BatchGetItem per 100 keys."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from chalicelib.errors import Unavailable
from chalicelib.storage.codec import Item, deserialize, serialize
from chalicelib.storage.failures import translate_throttling
from chalicelib.storage.table import Table

BatchKey = tuple[str, str, str]  # table name, pk, sk
MAX_BATCH_KEYS = 100
# BatchGetItem may hand back keys it did not get to (throttling, 16 MB responses): those
# are asked again after a short, growing pause, as AWS recommends.
UNPROCESSED_ATTEMPTS = 5


class BatchGet:
    """Point reads across tables in as few round trips as DynamoDB allows: collects
    ``(table, pk, sk)`` keys, reads them strongly consistent in one BatchGetItem per 100
    keys, whichever tables they live in, and answers by key."""

    def __init__(self) -> None:
        self._tables: dict[str, Table] = {}
        self._keys: dict[BatchKey, None] = {}

    def add(self, table: Table, pk: str, sk: str) -> BatchKey:
        first = next(iter(self._tables.values()), table)
        if table.client is not first.client:
            # One BatchGetItem goes through one client (one account and region).
            raise ValueError("BatchGet: all tables must share one client")
        self._tables.setdefault(table.name, table)
        key = (table.name, pk, sk)
        self._keys.setdefault(key)
        return key

    def add_all(self, table: Table, keys: Iterable[tuple[str, str]]) -> list[BatchKey]:
        return [self.add(table, pk, sk) for pk, sk in keys]

    def run(self) -> dict[BatchKey, Item]:
        """Reads every key added; missing items are left out."""
        keys = list(self._keys)
        found: dict[BatchKey, Item] = {}
        for start in range(0, len(keys), MAX_BATCH_KEYS):
            self._read(keys[start:start + MAX_BATCH_KEYS], found)
        return found

    def _read(self, keys: list[BatchKey], found: dict[BatchKey, Item]) -> None:
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
