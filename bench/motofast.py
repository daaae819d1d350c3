"""Bench-only speed-ups of moto that leave every answer unchanged.

moto's ``Table.all_items()`` sorts the whole table on every Query, and a Query on the base
table walks every item to find one partition. Query sorts its candidates by the key
attributes again afterwards, so the first sort is redundant, and a base-table Query only
ever keeps the items of its partition. Without this, one Query costs seconds at 100k
items and the worklists (one activity Query per member) would not finish. Counting is
unaffected: ``tests/bench/test_bench_smoke.py`` checks that patched and unpatched moto
answer the same Queries alike."""

from __future__ import annotations

from typing import Any

_original: dict[str, Any] = {}


def install() -> None:
    from moto.dynamodb.models.table import Table

    if _original:
        return
    _original["all_items"] = Table.all_items
    _original["query"] = Table.query

    def all_items(self: Any) -> list[Any]:
        partition = self.__dict__.get("_bench_partition")
        if partition is not None:
            groups = [self.items[partition]] if partition in self.items else []
        else:
            groups = list(self.items.values())
        if not self.range_key_attr:
            return groups
        return [item for group in groups for item in group.values()]

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        # Positional as moto's backend calls it: index_name is the 7th after hash_key.
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        self._bench_partition = hash_key if not index_name and hash_key is not None else None
        try:
            return _original["query"](self, hash_key, *args, **kwargs)
        finally:
            self._bench_partition = None

    Table.all_items = all_items
    Table.query = query


def uninstall() -> None:
    from moto.dynamodb.models.table import Table

    if _original:
        Table.all_items = _original.pop("all_items")
        Table.query = _original.pop("query")
