"""devstack/fastmoto.py changes moto's speed, not its answers: the same operations run
against patched and unpatched moto (each in a fresh moto world) give the same responses,
the same errors (incl. CancellationReasons and ReturnValuesOnConditionCheckFailure items)
and leave the same tables behind; and a transaction no longer copies the tables."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from devstack import fastmoto
from devstack.environment import start_mock

REGION = "eu-central-1"
PAIR, SINGLE = "fm-pair", "fm-single"  # pk+sk with a GSI; id only


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _create(client: Any) -> None:
    client.create_table(
        TableName=PAIR, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"}
                              for n in ("pk", "sk", "gpk", "gsk")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "by-g", "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": "gpk", "KeyType": "HASH"},
                          {"AttributeName": "gsk", "KeyType": "RANGE"}]}])
    client.create_table(
        TableName=SINGLE, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])


def _pair(pk: str, sk: str, **attrs: str) -> dict[str, Any]:
    return {"pk": _s(pk), "sk": _s(sk), **{k: _s(v) for k, v in attrs.items()}}


def _put(table: str, item: dict[str, Any], condition: str | None = None,
         **extra: Any) -> dict[str, Any]:
    op: dict[str, Any] = {"TableName": table, "Item": item, **extra}
    if condition:
        op["ConditionExpression"] = condition
    return {"Put": op}


def _update(table: str, key: dict[str, Any], expression: str,
            values: dict[str, Any] | None = None, condition: str | None = None,
            **extra: Any) -> dict[str, Any]:
    op: dict[str, Any] = {"TableName": table, "Key": key, "UpdateExpression": expression, **extra}
    if values:
        op["ExpressionAttributeValues"] = values
    if condition:
        op["ConditionExpression"] = condition
    return {"Update": op}


def _delete(table: str, key: dict[str, Any], condition: str | None = None,
            **extra: Any) -> dict[str, Any]:
    op: dict[str, Any] = {"TableName": table, "Key": key, **extra}
    if condition:
        op["ConditionExpression"] = condition
    return {"Delete": op}


def _check(table: str, key: dict[str, Any], condition: str, **extra: Any) -> dict[str, Any]:
    return {"ConditionCheck": {"TableName": table, "Key": key, "ConditionExpression": condition,
                               **extra}}


ALL_OLD = {"ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
A1 = {"pk": _s("A"), "sk": _s("1")}
A2 = {"pk": _s("A"), "sk": _s("2")}
A9 = {"pk": _s("A"), "sk": _s("9")}
B1 = {"pk": _s("B"), "sk": _s("1")}
X = {"id": _s("x")}
Y = {"id": _s("y")}

# Each entry one TransactWriteItems; the comments say what moto answers.
TRANSACTIONS: list[list[dict[str, Any]]] = [
    # succeeds: a new item, a changed one, a created-by-update one, a removed one, a check
    [_put(PAIR, _pair("A", "3", v="new", gpk="G", gsk="3")),
     _update(PAIR, A1, "SET v = :v, n = if_not_exists(n, :z) + :one",
             {":v": _s("changed"), ":z": {"N": "0"}, ":one": {"N": "1"}}),
     _update(SINGLE, Y, "SET v = :v", {":v": _s("made by update")}),
     _delete(PAIR, B1),
     _check(SINGLE, X, "attribute_exists(id)")],
    # cancelled in the middle: the ops before and after it have already run and roll back
    [_update(PAIR, A1, "SET v = :v", {":v": _s("lost")}),
     _put(PAIR, _pair("A", "2", v="lost"), "attribute_not_exists(pk)", **ALL_OLD),
     _delete(SINGLE, X),
     _put(PAIR, _pair("C", "1", v="lost")),
     _update(SINGLE, {"id": _s("z")}, "SET v = :v", {":v": _s("lost")})],
    # two reasons, one without the old item (it does not exist), one without ALL_OLD
    [_check(PAIR, A9, "attribute_exists(pk)", **ALL_OLD),
     _update(PAIR, A2, "SET v = :v", {":v": _s("lost"), ":other": _s("nope")}, "v = :other"),
     _put(SINGLE, {"id": _s("w"), "v": _s("lost")})],
    # the same item twice: a ValidationException after the first op ran
    [_update(PAIR, A2, "SET v = :v", {":v": _s("lost")}),
     _delete(PAIR, A2)],
    # an update expression moto rejects, after an earlier op ran
    [_put(SINGLE, {"id": _s("q"), "v": _s("lost")}),
     _update(PAIR, A1, "SET v = v + :one", {":one": {"N": "1"}})],
    # a key of the wrong type and a missing table: moto rejects them before the backend
    [_put(PAIR, {"pk": {"N": "1"}, "sk": _s("1")}),
     _put(SINGLE, {"id": _s("r"), "v": _s("lost")})],
    [_put(SINGLE, {"id": _s("s"), "v": _s("lost")}),
     _put("fm-missing", {"id": _s("s")})],
    # a conditional delete that fails, returning the old item
    [_delete(SINGLE, X, "v = :v", ExpressionAttributeValues={":v": _s("other")}, **ALL_OLD)],
    # more than 100 items
    [_put(SINGLE, {"id": _s(f"many{n}")}) for n in range(101)],
    # succeeds after all the cancellations: the rolled-back items are really back
    [_update(PAIR, A2, "SET v = :v", {":v": _s("second")}, "attribute_exists(pk)"),
     _delete(SINGLE, X, "attribute_exists(id)")],
]

QUERIES: list[dict[str, Any]] = [
    {"TableName": PAIR, "KeyConditionExpression": "pk = :p",
     "ExpressionAttributeValues": {":p": _s("A")}},
    {"TableName": PAIR, "KeyConditionExpression": "pk = :p AND sk > :s", "Limit": 1,
     "ScanIndexForward": False, "ExpressionAttributeValues": {":p": _s("A"), ":s": _s("1")}},
    {"TableName": PAIR, "IndexName": "by-g", "KeyConditionExpression": "gpk = :g",
     "ExpressionAttributeValues": {":g": _s("G")}},
    {"TableName": PAIR, "KeyConditionExpression": "pk = :p",
     "ExpressionAttributeValues": {":p": _s("nobody")}},
    {"TableName": SINGLE, "KeyConditionExpression": "id = :i",
     "ExpressionAttributeValues": {":i": _s("y")}},
]


def _answer(call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        reply = call()
    except ClientError as error:
        return {"error": error.response["Error"],
                "reasons": error.response.get("CancellationReasons")}
    reply.pop("ResponseMetadata", None)
    return reply


def _seed(client: Any) -> None:
    _create(client)
    for item in (_pair("A", "1", v="one", gpk="G", gsk="1"),
                 _pair("A", "2", v="two", gpk="G", gsk="2"), _pair("B", "1", v="b")):
        client.put_item(TableName=PAIR, Item=item)
    client.put_item(TableName=SINGLE, Item={"id": _s("x"), "v": _s("x")})


def _replay(client: Any) -> dict[str, Any]:
    answers = [_answer(lambda t=t: client.transact_write_items(TransactItems=t))
               for t in TRANSACTIONS]
    answers += [_answer(lambda q=q: client.query(**q)) for q in QUERIES]
    # The whole tables afterwards (a test, not a request path: Scan is fine here).
    tables = {name: sorted(client.scan(TableName=name)["Items"], key=repr)
              for name in (PAIR, SINGLE)}
    counts = {name: client.describe_table(TableName=name)["Table"]["ItemCount"]
              for name in (PAIR, SINGLE)}
    return {"answers": answers, "tables": tables, "counts": counts}


@contextmanager
def _moto(patch: bool) -> Iterator[Any]:
    """A fresh moto world with the two tables seeded, patched or not."""
    mock = start_mock()
    try:
        if patch:
            assert fastmoto.install(), "moto is not the version the patch mirrors"
        client = boto3.client("dynamodb", region_name=REGION)
        _seed(client)
        yield client
    finally:
        fastmoto.uninstall()
        mock.stop()


def test_patched_moto_answers_and_leaves_the_tables_alike() -> None:
    with _moto(patch=False) as client:
        plain = _replay(client)
    with _moto(patch=True) as client:
        fast = _replay(client)
    assert fast == plain
    # The scenario is not vacuous: it cancels, returns old items, rejects, and succeeds.
    codes = [a["error"]["Code"] for a in plain["answers"] if "error" in a]
    assert codes.count("TransactionCanceledException") == 3 and codes.count("ValidationException") == 4
    reasons = [r for a in plain["answers"] for r in (a.get("reasons") or [])]
    assert {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed",
            "Item": {"pk": _s("A"), "sk": _s("2"), "v": _s("two"), "gpk": _s("G"),
                     "gsk": _s("2")}} in reasons
    assert "error" not in plain["answers"][0] and "error" not in plain["answers"][len(TRANSACTIONS) - 1]
    assert not [i for t in plain["tables"].values() for i in t if i.get("v") == _s("lost")]
    assert plain["counts"] == {PAIR: 3, SINGLE: 1}


def test_a_transaction_copies_the_items_it_touches_not_the_tables(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.models.dynamo_type import Item

    copied = []
    original = Item.__deepcopy__

    def counting(self: Any, memo: dict[int, Any]) -> Any:
        copied.append(self)
        return original(self, memo)

    monkeypatch.setattr(Item, "__deepcopy__", counting)
    with _moto(patch=True) as client:
        client.batch_write_item(RequestItems={SINGLE: [
            {"PutRequest": {"Item": {"id": _s(f"bulk{n}")}}} for n in range(25)]})
        copied.clear()
        with pytest.raises(ClientError, match="TransactionCanceled"):
            client.transact_write_items(TransactItems=TRANSACTIONS[1])
        # 5 items touched (one absent); moto's own copies all 30 items of SINGLE and PAIR.
        assert len(copied) <= 5
        assert client.get_item(TableName=PAIR, Key=A1)["Item"]["v"] == _s("one")


def test_racing_conditional_transactions_have_one_winner() -> None:
    """Under the devstack's lock the undo log stays atomic across threads."""
    with _moto(patch=True) as client:
        outcomes: list[str] = []
        start = threading.Barrier(8)

        def claim(n: int) -> None:
            start.wait()
            try:
                client.transact_write_items(TransactItems=[
                    _put(SINGLE, {"id": _s("claim"), "by": _s(str(n))}, "attribute_not_exists(id)"),
                    _update(PAIR, A1, "ADD claims :one", {":one": {"N": "1"}})])
                outcomes.append("won")
            except ClientError as error:
                outcomes.append(error.response["Error"]["Code"])

        threads = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["TransactionCanceledException"] * 7 + ["won"]
        assert client.get_item(TableName=PAIR, Key=A1)["Item"]["claims"] == {"N": "1"}


def _stream_records_after_a_cancelled_transaction(patch: bool) -> list[dict[str, Any]]:
    with _moto(patch=patch) as client:
        client.update_table(TableName=SINGLE, StreamSpecification={
            "StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        with pytest.raises(ClientError, match="TransactionCanceled"):
            client.transact_write_items(TransactItems=[
                _put(SINGLE, {"id": _s("streamed")}),
                _check(SINGLE, {"id": _s("nobody")}, "attribute_exists(id)")])
        client.put_item(TableName=SINGLE, Item={"id": _s("after")})
        # moto's dynamodbstreams API is not installed here: read the shard moto keeps.
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        shard = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables[SINGLE].stream_shard
        return [{"event": r["eventName"], "keys": r["dynamodb"]["Keys"]}
                for r in shard.get(shard.starting_sequence_number, 100)]


def test_tables_with_streams_keep_moto_s_own_rollback() -> None:
    """moto's rollback also takes back the stream records of a cancelled transaction; the
    undo log does not, so streamed tables go through moto's own code."""
    plain = _stream_records_after_a_cancelled_transaction(patch=False)
    assert _stream_records_after_a_cancelled_transaction(patch=True) == plain
    assert plain == [{"event": "INSERT", "keys": {"id": _s("after")}}]
