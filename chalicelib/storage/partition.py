"""All items of one partition whose sort key starts with a prefix (strongly consistent,
every page): for small per-agency lists such as its people and its API keys."""

from __future__ import annotations

from chalicelib.storage.dynamo import Condition, Item, Table


def items_with_prefix(table: Table, pk: str, prefix: str) -> list[Item]:
    items: list[Item] = []
    start = None
    while True:
        page, start = table.query(Condition("{pk} = {:p} AND begins_with({sk}, {:s})",
                                            p=pk, s=prefix), start_key=start, consistent=True)
        items.extend(page)
        if not start:
            return items
