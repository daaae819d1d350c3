"""Thin DynamoDB helpers on the low-level client: (de)serialisation, conditional
writes, labelled transactions, and the mapping of throttling to ``Unavailable``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from chalicelib.errors import Unavailable

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)

Item = dict[str, Any]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return {_plain(v) for v in value}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_number(v)) for k, v in item.items()}


def serialize_value(value: Any) -> dict[str, Any]:
    return _serializer.serialize(_number(value))


def deserialize(item: Mapping[str, Any]) -> Item:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def _number(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _number(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_number(v) for v in value]
    return value


class ConditionFailed(Exception):
    """A single conditional write lost; ``old`` is the item as it stood, if it existed."""

    def __init__(self, old: Item | None) -> None:
        super().__init__("condition failed")
        self.old = old


class TransactionCancelled(Exception):
    """A transaction was refused. ``failed`` names the labels whose condition failed."""

    def __init__(self, failed: set[str], conflict: bool) -> None:
        super().__init__(f"transaction cancelled: {sorted(failed)} conflict={conflict}")
        self.failed = failed
        self.conflict = conflict


@contextmanager
def translate_throttling() -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in THROTTLING_CODES:
            raise Unavailable(retry_after=2) from exc
        raise


@dataclass
class Update:
    """Builds an UpdateExpression with generated placeholder names."""

    sets: dict[str, Any] = field(default_factory=dict)
    adds: dict[str, Any] = field(default_factory=dict)
    removes: list[str] = field(default_factory=list)
    set_if_missing: dict[str, Any] = field(default_factory=dict)
    # Members to take out of set attributes (a missing member is no error; a set left
    # empty disappears, as DynamoDB stores no empty sets).
    deletes: dict[str, set[Any]] = field(default_factory=dict)

    def render(self, names: dict[str, str], values: dict[str, Any]) -> str:
        parts: list[str] = []
        set_parts: list[str] = []
        for attr, value in self.sets.items():
            set_parts.append(f"{_name(names, attr)} = {_value(values, value)}")
        for attr, value in self.set_if_missing.items():
            n = _name(names, attr)
            set_parts.append(f"{n} = if_not_exists({n}, {_value(values, value)})")
        if set_parts:
            parts.append("SET " + ", ".join(set_parts))
        if self.adds:
            parts.append(
                "ADD " + ", ".join(f"{_name(names, a)} {_value(values, v)}" for a, v in self.adds.items())
            )
        if self.removes:
            parts.append("REMOVE " + ", ".join(_name(names, a) for a in self.removes))
        deletes = {attr: members for attr, members in self.deletes.items() if members}
        if deletes:
            parts.append("DELETE " + ", ".join(f"{_name(names, a)} {_value(values, m)}"
                                               for a, m in deletes.items()))
        return " ".join(parts)


def _name(names: dict[str, str], attr: str) -> str:
    for placeholder, existing in names.items():
        if existing == attr:
            return placeholder
    placeholder = f"#n{len(names)}"
    names[placeholder] = attr
    return placeholder


def _value(values: dict[str, Any], value: Any) -> str:
    placeholder = f":v{len(values)}"
    values[placeholder] = value
    return placeholder


@dataclass
class Condition:
    """A ConditionExpression whose ``{name}`` and ``{:value}`` markers get placeholders.

    ``Condition("{status} = {:s} AND {expires} > {:now}", s="active", now=...)``.
    """

    template: str
    params: dict[str, Any] = field(default_factory=dict)

    def __init__(self, template: str, **params: Any) -> None:
        self.template = template
        self.params = params

    def render(self, names: dict[str, str], values: dict[str, Any]) -> str:
        out = self.template
        for key, value in self.params.items():
            out = out.replace("{:" + key + "}", _value(values, value))
        import re

        def repl(match: re.Match[str]) -> str:
            return _name(names, match.group(1))

        return re.sub(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", repl, out)


def _expression_args(
    update: Update | None, condition: Condition | None
) -> dict[str, Any]:
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    args: dict[str, Any] = {}
    if update is not None:
        args["UpdateExpression"] = update.render(names, values)
    if condition is not None:
        args["ConditionExpression"] = condition.render(names, values)
    if names:
        args["ExpressionAttributeNames"] = names
    if values:
        args["ExpressionAttributeValues"] = {k: serialize_value(v) for k, v in values.items()}
    return args


class Table:
    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.name = name

    def get(self, pk: str, sk: str, *, consistent: bool = True) -> Item | None:
        with translate_throttling():
            resp = self.client.get_item(
                TableName=self.name,
                Key=serialize({"pk": pk, "sk": sk}),
                ConsistentRead=consistent,
            )
        item = resp.get("Item")
        return deserialize(item) if item else None

    def put(self, item: Mapping[str, Any], condition: Condition | None = None) -> None:
        args = _expression_args(None, condition)
        try:
            with translate_throttling():
                self.client.put_item(
                    TableName=self.name,
                    Item=serialize(item),
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                    **args,
                )
        except ClientError as exc:
            _raise_condition(exc)

    def update(
        self, pk: str, sk: str, update: Update, condition: Condition | None = None
    ) -> Item:
        args = _expression_args(update, condition)
        try:
            with translate_throttling():
                resp = self.client.update_item(
                    TableName=self.name,
                    Key=serialize({"pk": pk, "sk": sk}),
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                    **args,
                )
        except ClientError as exc:
            _raise_condition(exc)
        return deserialize(resp.get("Attributes", {}))

    def delete(self, pk: str, sk: str, condition: Condition | None = None) -> None:
        args = _expression_args(None, condition)
        try:
            with translate_throttling():
                self.client.delete_item(
                    TableName=self.name,
                    Key=serialize({"pk": pk, "sk": sk}),
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                    **args,
                )
        except ClientError as exc:
            _raise_condition(exc)

    def query(
        self,
        key: Condition,
        *,
        index: str | None = None,
        limit: int | None = None,
        forward: bool = True,
        start_key: dict[str, Any] | None = None,
        consistent: bool = False,
    ) -> tuple[list[Item], dict[str, Any] | None]:
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        args: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": key.render(names, values),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {k: serialize_value(v) for k, v in values.items()},
            "ScanIndexForward": forward,
        }
        if index:
            args["IndexName"] = index
        else:
            args["ConsistentRead"] = consistent
        if limit:
            args["Limit"] = limit
        if start_key:
            args["ExclusiveStartKey"] = serialize(start_key)
        with translate_throttling():
            resp = self.client.query(**args)
        last = resp.get("LastEvaluatedKey")
        return [deserialize(i) for i in resp.get("Items", [])], (deserialize(last) if last else None)

    def batch_get(self, keys: Sequence[tuple[str, str]]) -> list[Item]:
        """The items of ``keys`` in this table that exist (strongly consistent): one
        BatchGetItem per 100 keys (``BatchGet`` reads across tables)."""
        batch = BatchGet()
        batch.add_all(self, keys)
        return list(batch.run().values())


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


def _raise_condition(exc: ClientError) -> None:
    if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
        old = exc.response.get("Item")
        raise ConditionFailed(deserialize(old) if old else None) from exc
    raise exc


class Transaction:
    """A TransactWriteItems call whose operations carry labels, so the caller learns
    which condition failed without a second read."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._ops: list[dict[str, Any]] = []
        self._labels: list[str] = []
        # label of a guard -> what to do when the transaction has to go without it
        self._fallbacks: dict[str, list[Callable[[], None]]] = {}

    def __len__(self) -> int:
        return len(self._ops)

    def put(self, table: Table, item: Mapping[str, Any], *, condition: Condition | None = None,
            label: str = "") -> Transaction:
        op: dict[str, Any] = {"TableName": table.name, "Item": serialize(item)}
        op.update(_expression_args(None, condition))
        return self._add({"Put": op}, label)

    def update(self, table: Table, pk: str, sk: str, update: Update, *,
               condition: Condition | None = None, label: str = "") -> Transaction:
        op: dict[str, Any] = {"TableName": table.name, "Key": serialize({"pk": pk, "sk": sk})}
        op.update(_expression_args(update, condition))
        return self._add({"Update": op}, label)

    def delete(self, table: Table, pk: str, sk: str, *, condition: Condition | None = None,
               label: str = "") -> Transaction:
        op: dict[str, Any] = {"TableName": table.name, "Key": serialize({"pk": pk, "sk": sk})}
        op.update(_expression_args(None, condition))
        return self._add({"Delete": op}, label)

    def check(self, table: Table, pk: str, sk: str, condition: Condition, *,
              label: str = "") -> Transaction:
        op: dict[str, Any] = {"TableName": table.name, "Key": serialize({"pk": pk, "sk": sk})}
        op.update(_expression_args(None, condition))
        return self._add({"ConditionCheck": op}, label)

    def guard(self, table: Table, pk: str, sk: str, condition: Condition, *,
              otherwise: Callable[[], None]) -> Transaction:
        """A ConditionCheck the transaction can do without. When only guards fail, the
        failed ones are dropped, their ``otherwise`` runs, and the rest is sent again: a
        rare case costs a second transaction instead of every call costing a read first.
        One check per item (a transaction may touch an item once): guarding the same key
        again only adds its ``otherwise``."""
        label = f"guard:{table.name}:{pk}:{sk}"
        if label in self._fallbacks:
            self._fallbacks[label].append(otherwise)
            return self
        self._fallbacks[label] = [otherwise]
        return self.check(table, pk, sk, condition, label=label)

    def _add(self, op: dict[str, Any], label: str) -> Transaction:
        self._ops.append(op)
        self._labels.append(label)
        return self

    def execute(self) -> None:
        while True:
            try:
                return self._execute_once()
            except TransactionCancelled as exc:
                failed_guards = exc.failed & self._fallbacks.keys()
                if not failed_guards:
                    raise
                if exc.failed - failed_guards:
                    # Something the caller cares about failed too: report only that.
                    raise TransactionCancelled(exc.failed - failed_guards, exc.conflict) from exc
                self._drop(failed_guards)

    def _drop(self, labels: set[str]) -> None:
        kept = [(op, label) for op, label in zip(self._ops, self._labels, strict=True)
                if label not in labels]
        self._ops = [op for op, _ in kept]
        self._labels = [label for _, label in kept]
        for label in labels:
            for otherwise in self._fallbacks.pop(label):
                otherwise()

    def _execute_once(self) -> None:
        if not self._ops:
            return
        try:
            with translate_throttling():
                self.client.transact_write_items(TransactItems=self._ops)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons") or []
            failed = {
                self._labels[i]
                for i, reason in enumerate(reasons)
                if reason.get("Code") == "ConditionalCheckFailed"
            }
            codes = {reason.get("Code") for reason in reasons}
            if codes & {"ProvisionedThroughputExceeded", "ThrottlingError"} and not failed:
                raise Unavailable(retry_after=2) from exc
            conflict = "TransactionConflict" in codes
            raise TransactionCancelled(failed, conflict) from exc
