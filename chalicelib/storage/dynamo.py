"""Thin DynamoDB helpers on the low-level client: (de)serialisation, conditional
writes, labelled transactions, and the mapping of throttling to ``Unavailable``.

The one import point for capabilities; the parts live in ``codec``, ``expressions``,
``failures``, ``table``, ``batch`` and ``transaction``."""

from __future__ import annotations

from chalicelib.storage.batch import MAX_BATCH_KEYS, UNPROCESSED_ATTEMPTS, BatchGet, BatchKey
from chalicelib.storage.codec import Item, deserialize, serialize, serialize_value
from chalicelib.storage.expressions import Condition, Update
from chalicelib.storage.failures import (
    THROTTLING_CODES,
    ConditionFailed,
    TransactionCancelled,
    translate_throttling,
)
from chalicelib.storage.table import Table
from chalicelib.storage.transaction import Transaction

__all__ = [
    "MAX_BATCH_KEYS", "THROTTLING_CODES", "UNPROCESSED_ATTEMPTS", "BatchGet", "BatchKey",
    "Condition", "ConditionFailed", "Item", "Table", "Transaction", "TransactionCancelled",
    "Update", "deserialize", "serialize", "serialize_value", "translate_throttling",
]
