"""A restore resurrects no one: an old snapshot of the data tables is put back (as a
point-in-time recovery would), the erasure ledger — its own table, never restored —
still lists the person, and the ops event replay_erasures erases them everywhere again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client

import app as application
from tests.conftest import DEMO, registration_payload
from tests.functional.privacy.support import TODAY, create_address, ok

DATA_TABLES = ("core", "tours", "addresses", "reviews")


@pytest.fixture
def ops(container: Any) -> Any:
    with Client(application.app, stage_name="local") as client:
        yield lambda event: client.lambda_.invoke("ops", event).payload


def _client(container: Any) -> Any:
    return boto3.client("dynamodb", region_name=container.settings.region)


def snapshot(container: Any) -> dict[str, list[dict[str, Any]]]:
    """Every item of the data tables (a fresh client: the app's forbids Scan)."""
    client = _client(container)
    copy: dict[str, list[dict[str, Any]]] = {}
    for short in DATA_TABLES:
        name = container.settings.table(short)
        copy[name] = [i for page in client.get_paginator("scan").paginate(TableName=name)
                      for i in page["Items"]]
    return copy


def restore(container: Any, copy: dict[str, list[dict[str, Any]]]) -> None:
    """The data tables as they were at the snapshot (the ledger is left alone)."""
    client = _client(container)
    for name, items in copy.items():
        for page in client.get_paginator("scan").paginate(TableName=name):
            for item in page["Items"]:
                client.delete_item(TableName=name, Key={"pk": item["pk"], "sk": item["sk"]})
        for item in items:
            client.put_item(TableName=name, Item=item)


def mentions(container: Any, *needles: str) -> list[str]:
    found = []
    for name, items in snapshot(container).items():
        for item in items:
            text = repr(item)
            found += [f"{name}: {n}" for n in needles if n in text]
    return found


def test_replay_erases_again_whom_a_restore_brought_back(http: Any, container: Any, ops: Any,
                                                          make_tour: Any, clock: Any) -> None:
    tour = make_tour()
    reply = http.post(f"/tours/{tour['tour_id']}/registrations",
                      registration_payload(first_name="Rita", last_name="Restore",
                                           email="rita@example.org"))
    assert reply.status == 202
    rita = ok(http.get("/agency/addresses?email=rita@example.org", token=DEMO))["addresses"][0]
    kept = create_address(http, first_name="Karl", last_name="Bleibt",
                          email="karl@example.org")["address_id"]
    old = snapshot(container)                      # the backup a restore would go back to
    assert mentions(container, "rita@example.org")

    clock.advance(days=2)
    assert http.request("DELETE", f"/agency/addresses/{rita['address_id']}",
                        token=DEMO).status == 200
    # (the tombstone keeps the address id, never the email or the name)
    assert not mentions(container, "rita@example.org", "Restore")

    restore(container, old)                        # the restore brings Rita back ...
    assert ok(http.get(f"/agency/addresses/{rita['address_id']}", token=DEMO))
    assert mentions(container, "rita@example.org")

    answer = ops({"action": "replay_erasures", "since": TODAY.isoformat()})
    assert answer["ok"] is True and answer["replayed"] == 1, answer
    # ... and the replay erases her everywhere again: address, email and search index,
    # registration, its links and mails
    assert http.get(f"/agency/addresses/{rita['address_id']}", token=DEMO).status == 404
    assert ok(http.get("/agency/addresses?q=restore", token=DEMO))["addresses"] == []
    assert not mentions(container, "rita@example.org", "Restore", "Rita")
    deletions = ok(http.get("/agency/gdpr/deletions?email=rita@example.org",
                            token=DEMO))["deletions"]
    assert [d["reason"] for d in deletions] == ["replay_after_restore"]
    # the others are untouched
    assert ok(http.get(f"/agency/addresses/{kept}", token=DEMO))["last_name"] == "Bleibt"
    # a second replay finds nothing left
    again = ops({"action": "replay_erasures", "since": TODAY.isoformat()})
    assert again["ok"] is True and again["replayed"] == 0


def test_since_limits_the_replay_and_entries_expire(http: Any, container: Any, ops: Any,
                                                     clock: Any) -> None:
    person = create_address(http, last_name="Alt", email="alt@example.org")["address_id"]
    old = snapshot(container)
    assert http.request("DELETE", f"/agency/addresses/{person}", token=DEMO).status == 200
    restore(container, old)
    later = (TODAY + timedelta(days=1)).isoformat()
    assert ops({"action": "replay_erasures", "since": later})["replayed"] == 0
    assert ok(http.get(f"/agency/addresses/{person}", token=DEMO))
    # past the ledger's keep time (PITR window) the entry no longer counts
    clock.advance(days=container.settings.erasure_ledger_days + 1)
    assert list(container.erasure_ledger.since(TODAY)) == []
    assert ops({"action": "replay_erasures", "since": TODAY.isoformat()})["replayed"] == 0


def test_bad_replay_events_are_refused(ops: Any) -> None:
    for event in ({"action": "replay_erasures"}, {"action": "replay_erasures", "since": "gestern"},
                  {"action": "replay_erasures", "since": "2026-11-23", "x": 1}):
        answer = ops(event)
        assert answer["ok"] is False and answer["error"]["code"] == "validation_failed", answer


def test_the_ledger_entry_is_pseudonymous(http: Any, container: Any) -> None:
    person = create_address(http, first_name="Pia", last_name="Pseudo",
                            email="pia@example.org", phone="+49 171 1111111")["address_id"]
    assert http.request("DELETE", f"/agency/addresses/{person}", token=DEMO).status == 200
    entries = list(container.erasure_ledger.since(TODAY))
    assert [(e["agency_id"], e["address_id"]) for e in entries] == [("demo", person)]
    text = repr(entries)
    for personal in ("pia@example.org", "Pia", "Pseudo", "1111111"):
        assert personal not in text
    assert entries[0]["email_hash"] and len(entries[0]["email_hash"]) == 64
