"""What a DynamoDB call can answer besides success: a lost condition, a cancelled
transaction (with the labels that failed), or throttling, which becomes ``Unavailable``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import ClientError

from chalicelib.errors import Unavailable
from chalicelib.storage.codec import Item, deserialize

THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


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


def raise_condition(exc: ClientError) -> None:
    if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
        old = exc.response.get("Item")
        raise ConditionFailed(deserialize(old) if old else None) from exc
    raise exc
