"""TransactWriteItems with labelled operations and droppable guards."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.errors import Unavailable
from chalicelib.storage.codec import serialize
from chalicelib.storage.expressions import Condition, Update, expression_args
from chalicelib.storage.failures import TransactionCancelled, translate_throttling
from chalicelib.storage.table import Table


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
        op.update(expression_args(None, condition))
        return self._add({"Put": op}, label)

    def update(self, table: Table, pk: str, sk: str, update: Update, *,
               condition: Condition | None = None, label: str = "") -> Transaction:
        op: dict[str, Any] = {"TableName": table.name, "Key": serialize({"pk": pk, "sk": sk})}
        op.update(expression_args(update, condition))
        return self._add({"Update": op}, label)

    def delete(self, table: Table, pk: str, sk: str, *, condition: Condition | None = None,
               label: str = "") -> Transaction:
        op: dict[str, Any] = {"TableName": table.name, "Key": serialize({"pk": pk, "sk": sk})}
        op.update(expression_args(None, condition))
        return self._add({"Delete": op}, label)

    def check(self, table: Table, pk: str, sk: str, condition: Condition, *,
              label: str = "") -> Transaction:
        op: dict[str, Any] = {"TableName": table.name, "Key": serialize({"pk": pk, "sk": sk})}
        op.update(expression_args(None, condition))
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
