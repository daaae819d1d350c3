"""One DynamoDB table on the low-level client: point reads, conditional writes, queries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.storage.codec import Item, deserialize, serialize, serialize_value
from chalicelib.storage.expressions import Condition, Update, expression_args
from chalicelib.storage.failures import raise_condition, translate_throttling


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
        args = expression_args(None, condition)
        try:
            with translate_throttling():
                self.client.put_item(
                    TableName=self.name,
                    Item=serialize(item),
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                    **args,
                )
        except ClientError as exc:
            raise_condition(exc)

    def update(
        self, pk: str, sk: str, update: Update, condition: Condition | None = None
    ) -> Item:
        args = expression_args(update, condition)
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
            raise_condition(exc)
        return deserialize(resp.get("Attributes", {}))

    def delete(self, pk: str, sk: str, condition: Condition | None = None) -> None:
        args = expression_args(None, condition)
        try:
            with translate_throttling():
                self.client.delete_item(
                    TableName=self.name,
                    Key=serialize({"pk": pk, "sk": sk}),
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                    **args,
                )
        except ClientError as exc:
            raise_condition(exc)

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
        from chalicelib.storage.batch import BatchGet

        batch = BatchGet()
        batch.add_all(self, keys)
        return list(batch.run().values())
