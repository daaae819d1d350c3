"""Helpers every kind of test shares, each written once: registering a prospect, the mails
to one address, the action links in a mail, every stored item, and running calls at the
same moment. Helpers of one capability live in ``tests/functional/<capability>/support.py``."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from chalice.config import Config
from chalice.local import LocalChalice, LocalGateway

from tests.conftest import registration_payload


def register(http: Any, tour_id: str, **fields: Any) -> dict[str, Any]:
    """Registers a prospect for the tour (``registration_payload`` with ``fields``) and
    returns the 202 answer: ``registration_id``, ``viewer_token``, ``status``."""
    reply = http.post(f"/tours/{tour_id}/registrations", registration_payload(**fields))
    assert reply.status == 202, reply.body
    return reply.json


def mails_to(messages: list[dict[str, Any]], address: str) -> list[dict[str, Any]]:
    """The outbox messages (``outbox()`` or the local stack's ``/dev/outbox``) to ``address``."""
    return [m for m in messages if address in m["to"]]


def links_of(message: dict[str, Any], purpose: str) -> list[str]:
    """The paths of the ``/links/<purpose>/<token>`` links in a mail's text, first first."""
    return list(dict.fromkeys(re.findall(
        rf"http://freigabe\.test(/links/{purpose}/[A-Za-z0-9_-]+)", message["text"])))


def all_items(region: str) -> dict[str, list[dict[str, Any]]]:
    """Every item of every table by table name, deserialised and sorted by key, read with a
    client of its own (the app's forbids Scan: this is the test-only exception)."""
    from chalicelib.storage.dynamo import deserialize

    client = boto3.client("dynamodb", region_name=region)
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in sorted(client.list_tables()["TableNames"]):
        items = []
        for page in client.get_paginator("scan").paginate(TableName=table):
            items.extend(deserialize(i) for i in page["Items"])
        tables[table] = sorted(items, key=lambda i: (str(i.get("pk")), str(i.get("sk"))))
    return tables


def every_item(region: str) -> list[dict[str, Any]]:
    """``all_items`` as one list, whatever the table."""
    return [item for items in all_items(region).values() for item in items]


def dump(region: str) -> str:
    """``all_items`` as one canonical string: equal strings, equal tables."""
    return json.dumps(all_items(region), default=sorted, sort_keys=True, ensure_ascii=False)


# -- concurrency ---------------------------------------------------------------------------
# Races run real HTTP requests through Chalice's LocalGateway from several threads (the test
# client is not thread-safe). Calls into moto are serialised by the lock that
# ``devstack.environment.serialize_moto_calls`` installs (started by the ``aws`` fixture), so
# the conditional writes behave atomically as on DynamoDB.

@contextmanager
def thread_safe_gateway() -> Iterator[LocalGateway]:
    import app as application

    app = application.app
    original = app.__class__
    app.__class__ = LocalChalice
    try:
        yield LocalGateway(app, Config.create(chalice_stage="local"))
    finally:
        app.__class__ = original


def run_concurrently(calls: list[Callable[[], Any]]) -> list[Any]:
    """Starts every call at the same moment (a barrier) and returns each one's result or
    the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except BaseException as exc:  # recorded and judged by the test
            results[index] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
