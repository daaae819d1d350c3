"""Counts the AWS work of the code under test with botocore event hooks: calls per
operation, items read and items written. Counting, not timing: moto's Query costs
O(table) and its transactions deep-copy tables, so its time says nothing about DynamoDB.

Items read follow what DynamoDB bills: a Query pays for what it evaluated
(``ScannedCount``, before any filter), GetItem/BatchGetItem/TransactGetItems for the
items returned. ``ConsumedCapacity`` is not used: moto does not report it reliably."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"})
TRANSACTIONS = frozenset({"TransactWriteItems"})


@dataclass
class Work:
    """The AWS work of one unit (a request, a job run)."""

    calls: Counter[str] = field(default_factory=Counter)
    items_read: int = 0
    items_written: int = 0
    ses_calls: int = 0
    # Wall time spent inside client calls (serialisation + moto), so callers can subtract it.
    aws_seconds: float = 0.0
    # Items read per "Operation:index-or-table", to tell index ranges from fixed overhead.
    items_by_target: Counter[str] = field(default_factory=Counter)
    # Refused calls (a lost condition, a cancelled transaction): counted, nothing written.
    failed_calls: int = 0

    @property
    def reads(self) -> int:
        return sum(n for op, n in self.calls.items() if op in READS)

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.calls.items() if op in WRITES)

    @property
    def transactions(self) -> int:
        return sum(n for op, n in self.calls.items() if op in TRANSACTIONS)

    @property
    def scans(self) -> int:
        return self.calls["Scan"]

    def as_dict(self) -> dict[str, Any]:
        return {"reads": self.reads, "writes": self.writes, "transactions": self.transactions,
                "ses": self.ses_calls, "items_read": self.items_read,
                "items_written": self.items_written, "failed": self.failed_calls,
                "calls": dict(sorted(self.calls.items()))}


def _items_read(operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> int:
    if operation == "GetItem":
        return 1 if parsed.get("Item") else 0
    if operation in ("Query", "Scan"):
        return int(parsed.get("ScannedCount", parsed.get("Count", 0)))
    if operation == "BatchGetItem":
        return sum(len(items) for items in parsed.get("Responses", {}).values())
    if operation == "TransactGetItems":
        return sum(1 for r in parsed.get("Responses", []) if r.get("Item"))
    if operation == "TransactWriteItems":
        # Condition checks are read (and billed) like writes; they write nothing.
        return 0
    return 0


def _items_written(operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> int:
    if operation in WRITES - {"BatchWriteItem"}:
        return 1
    if operation == "BatchWriteItem":
        sent = sum(len(r) for r in params.get("RequestItems", {}).values())
        unprocessed = sum(len(r) for r in parsed.get("UnprocessedItems", {}).values())
        return sent - unprocessed
    if operation == "TransactWriteItems":
        return sum(1 for item in params.get("TransactItems", []) if "ConditionCheck" not in item)
    return 0


class AwsCounter:
    """Hooks one or more boto3 clients; ``measure()`` collects the work done inside it."""

    def __init__(self) -> None:
        self._current: Work | None = None
        self._started: dict[int, float] = {}
        self.total = Work()

    def hook(self, client: Any) -> None:
        service = client.meta.service_model.service_name
        events = client.meta.events
        name = client.meta.service_model.service_id.hyphenize()
        # BatchWrite/TransactWrite item counts need the API parameters: park them in the
        # call's context, which every later event of the same call receives.
        events.register(f"before-parameter-build.{name}", _remember_params)
        events.register(f"before-call.{name}", self._before)
        events.register(f"after-call.{name}",
                        self._after if service == "dynamodb" else self._after_other)

    def _before(self, model: Any, params: Any, context: Any = None, **_: Any) -> None:
        self._started[id(context)] = time.perf_counter()

    def _record(self, context: Any) -> list[Work]:
        spent = time.perf_counter() - self._started.pop(id(context), time.perf_counter())
        works = [self.total] + ([self._current] if self._current is not None else [])
        for work in works:
            work.aws_seconds += spent
        return works

    def _after(self, http_response: Any, parsed: Any, model: Any, context: Any = None,
               **kwargs: Any) -> None:
        operation = model.name
        params = (context or {}).get("bench_params", {})
        failed = getattr(http_response, "status_code", 200) >= 300
        for work in self._record(context):
            work.calls[operation] += 1
            if failed:
                work.failed_calls += 1
                continue
            read = _items_read(operation, params, parsed or {})
            work.items_read += read
            if read:
                target = params.get("IndexName") or params.get("TableName") or "batch"
                # A worklist's total (Select=COUNT, once per list walk) apart from its pages.
                suffix = "#count" if params.get("Select") == "COUNT" else ""
                work.items_by_target[f"{operation}:{target}{suffix}"] += read
            work.items_written += _items_written(operation, params, parsed or {})

    def _after_other(self, http_response: Any, parsed: Any, model: Any, context: Any = None,
                     **_: Any) -> None:
        # Named by service ("ses:SendEmail" for SES v1 and v2, "sqs:SendMessageBatch"); the
        # S column counts only SES's calls, the mails.
        service = model.service_model.service_name
        if service.startswith("ses"):
            service = "ses"
        for work in self._record(context):
            work.calls[f"{service}:{model.name}"] += 1
            if service == "ses":
                work.ses_calls += 1

    @contextmanager
    def measure(self) -> Iterator[Work]:
        outer, self._current = self._current, Work()
        try:
            yield self._current
        finally:
            self._current = outer


def _remember_params(params: Any, context: Any = None, **_: Any) -> None:
    if context is not None:
        context["bench_params"] = params
