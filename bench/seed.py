"""Bulk seeding with the item shapes the application writes: the domain code builds each
record into a Transaction as it would for a request, the transaction is captured instead
of sent, and its Puts go straight into moto's table (uncounted)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from chalicelib.storage.dynamo import Transaction


@contextmanager
def captured_transactions() -> Iterator[list[list[dict[str, Any]]]]:
    """While active, ``Transaction.execute`` records its operations instead of sending,
    and the outbox sends nothing (seeded records never happened, so neither did mail)."""
    from chalicelib.mail.outbox import DeliveryReport, Outbox

    captured: list[list[dict[str, Any]]] = []
    execute, deliver = Transaction.execute, Outbox.deliver

    def capture(self: Transaction) -> None:
        captured.append(list(self._ops))

    Transaction.execute = capture  # type: ignore[method-assign]
    Outbox.deliver = lambda self, mails, report=None: report or DeliveryReport()  # type: ignore[method-assign]
    try:
        yield captured
    finally:
        Transaction.execute = execute  # type: ignore[method-assign]
        Outbox.deliver = deliver  # type: ignore[method-assign]


class BatchWriter:
    """Puts items straight into moto's table model. moto's own put re-measures the whole
    item for every attribute it sets (quadratic, ~10 ms per item on this machine); this
    measures each item once against DynamoDB's 400 KB limit and stores it as moto's
    BatchWriteItem would (keys and attributes as DynamoTypes, indexes derived on read)."""

    def __init__(self, region: str) -> None:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        self.backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][region]
        self.written = 0

    def put(self, table_name: str, item: dict[str, Any]) -> None:
        from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

        table = self.backend.get_table(table_name)
        attrs = LimitedSizeDict({k: DynamoType(v) for k, v in item.items()})
        size = sum(len(k.encode()) + v.size() for k, v in attrs.items())
        if size > 400_000:
            raise ValueError(f"item of {size} bytes is larger than DynamoDB allows")
        stored = Item.__new__(Item)
        stored.hash_key = attrs[table.hash_key_attr]
        stored.range_key = attrs[table.range_key_attr] if table.range_key_attr else None
        stored.attrs = attrs
        if table.range_key_attr:
            table.items[stored.hash_key][stored.range_key] = stored
        else:
            table.items[stored.hash_key] = stored
        self.written += 1

    def flush(self) -> None:
        """Nothing is buffered; kept so callers read the same either way."""


def seed(count: int, build: Callable[[int], None], writer: BatchWriter,
         tables: set[str], transform: Callable[[int, dict[str, Any]], dict[str, Any]] | None
         = None) -> None:
    """Calls ``build(i)`` for i in range(count) with transactions captured and writes every
    captured Put into one of ``tables`` (other writes, e.g. rate counters, are dropped)."""
    for i in range(count):
        with captured_transactions() as captured:
            build(i)
        for ops in captured:
            for op in ops:
                put = op.get("Put")
                if put and put["TableName"] in tables:
                    item = put["Item"]
                    writer.put(put["TableName"], transform(i, item) if transform else item)
    writer.flush()
