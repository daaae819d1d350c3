"""Speed-ups of moto for the local stack that leave every answer unchanged.

moto's cost grows with the tables, so ``make run`` got slower with every registration
(issue 7, point 6: 1.4 req/s and p99 > 20 s after 2,000 requests on 20 threads). A profile
of the running stack put 90 % of the time under the moto lock in ``TransactWriteItems``,
which deep-copies every table it touches in case it has to roll back. Two patches:

* **Transactions** keep an undo log of the items they touch instead: before an operation
  changes an item, a copy of that one item (or "absent") is kept, and a cancelled
  transaction puts those back. Everything runs under the devstack's one moto lock
  (``environment.serialize_moto_calls``), so it stays atomic. The body is moto 5.2.5's
  ``DynamoDBBackend.transact_write_items`` with only the snapshot/rollback changed, so
  the checks, their order and the CancellationReasons are moto's own. Other moto versions
  and tables with streams (whose records the table copy would also roll back) keep moto's
  implementation.
* **Query** on the base table reads the one partition instead of sorting the whole table
  (``Table.all_items()`` sorts everything; Query sorts its candidates again afterwards).

``tests/unit/test_fastmoto.py`` runs the same operations against patched and unpatched moto
and compares the answers, errors and the resulting tables."""

from __future__ import annotations

import copy
from typing import Any

# The transaction body below mirrors this version's; another version keeps its own.
MOTO_VERSION = "5.2.5"

_original: dict[str, Any] = {}


def install() -> bool:
    """Both patches; ``False`` (and nothing patched) on a moto other than MOTO_VERSION."""
    import moto

    if moto.__version__ != MOTO_VERSION:
        return False
    install_queries()
    install_transactions()
    return True


def uninstall() -> None:
    uninstall_transactions()
    uninstall_queries()


def install_queries() -> None:
    from moto.dynamodb.models.table import Table

    if "all_items" in _original:
        return
    _original["all_items"] = Table.all_items
    _original["query"] = Table.query

    def all_items(self: Any) -> list[Any]:
        partition = self.__dict__.get("_fastmoto_partition")
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
        self._fastmoto_partition = hash_key if not index_name and hash_key is not None else None
        try:
            return _original["query"](self, hash_key, *args, **kwargs)
        finally:
            self._fastmoto_partition = None

    Table.all_items = all_items
    Table.query = query


def uninstall_queries() -> None:
    from moto.dynamodb.models.table import Table

    if "all_items" in _original:
        Table.all_items = _original.pop("all_items")
        Table.query = _original.pop("query")


def install_transactions() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    if "transact_write_items" not in _original:
        _original["transact_write_items"] = DynamoDBBackend.transact_write_items
        DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]


def uninstall_transactions() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    if "transact_write_items" in _original:
        DynamoDBBackend.transact_write_items = _original.pop(  # type: ignore[method-assign]
            "transact_write_items")


class _UndoLog:
    """The items a transaction touched, as they were before it touched them."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.saved: list[tuple[Any, Any, Any, Any]] = []  # (table, hash, range, item or None)

    def keep(self, table_name: str, key: dict[str, Any], current: Any) -> None:
        table = self.backend.get_table(table_name)
        hash_value, range_value = self.backend.get_keys_value(table, key)
        # Update changes the stored item in place: keep a copy, not a reference.
        self.saved.append((table, hash_value, range_value, copy.deepcopy(current)))

    def rollback(self) -> None:
        for table, hash_value, range_value, item in reversed(self.saved):
            if range_value is not None:
                if item is None:
                    table.items[hash_value].pop(range_value, None)
                else:
                    table.items[hash_value][range_value] = item
            elif item is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = item
        self.saved.clear()


def _transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    # moto 5.2.5's DynamoDBBackend.transact_write_items, with the table deep copies
    # replaced by the undo log; kept close to the original to be compared line by line.
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if any(self.tables[name].stream_shard is not None for name in _table_names(self, transact_items)):
        return _original["transact_write_items"](self, transact_items)  # type: ignore[no-any-return]
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    undo = _UndoLog(self)

    target_items: set[tuple[str, str]] = set()

    def check_unicity(table_name: str, key: dict[str, Any]) -> None:
        item = (str(table_name), str(dict(sorted(key.items()))))
        if item in target_items:
            raise MultipleTransactionsException()
        target_items.add(item)

    errors: list[tuple[str, str, dict[str, Any]] | tuple[None, None, None]] = []
    for item in transact_items:
        original_item: dict[str, Any] | None = None
        if len(list(item.keys())) > 1:
            raise TransactWriteSingleOpException

        try:
            op_type, op = next(iter(item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")

            table_name = op["TableName"]
            condition_expression = op.get("ConditionExpression")
            expression_attribute_names = op.get("ExpressionAttributeNames")
            expression_attribute_values = op.get("ExpressionAttributeValues")
            return_values_on_condition_check_failure = op.get(
                "ReturnValuesOnConditionCheckFailure")

            if op_type == "Put":
                attrs = op["Item"]
                table = self.get_table(table_name)
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]

            check_unicity(table_name, key)

            current = self.get_item(table_name, key)
            if op_type != "ConditionCheck":
                # Each item is touched at most once (check_unicity), so this is its state
                # before the transaction.
                undo.keep(table_name, key, current)
            if condition_expression is not None:
                condition_op = get_filter_expression(
                    condition_expression, expression_attribute_names,
                    expression_attribute_values)
                if not condition_op.expr(current):
                    if return_values_on_condition_check_failure == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)

            if op_type == "Put":
                self.put_item(
                    table_name, op["Item"], condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values)
            elif op_type == "Delete":
                self.delete_item(
                    table_name, key, condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values)
            elif op_type == "Update":
                self.update_item(
                    table_name, key, update_expression=op["UpdateExpression"],
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values)
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            undo.rollback()
            raise
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), original_item))  # type: ignore[arg-type]
        except Exception as e:  # moto reports any other failure as a reason
            errors.append((type(e).__name__, str(e), original_item))  # type: ignore[arg-type]

    if any(code is not None for code, _, _ in errors):
        undo.rollback()
        raise TransactionCanceledException(errors)


def _table_names(backend: Any, transact_items: list[dict[str, Any]]) -> set[str]:
    names = set()
    for item in transact_items:
        for op in item.values():
            name = op.get("TableName") if isinstance(op, dict) else None
            if name and name in backend.tables:
                names.add(name)
    return names
