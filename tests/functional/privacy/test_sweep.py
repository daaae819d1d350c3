"""The nightly ``retention-sweep`` (issue section 6): a digest per agency with the counts of
its worklists, automatic deletion of expired addresses when switched on (respecting a date
changed mid-run), idempotent per day, resumable from its checkpoint after a pause or a
crash, and reading only due index items."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.body import Body
from chalicelib.privacy.model import AddressPatch
from tests.conftest import DEMO, OTHER
from tests.functional.privacy.support import (
    ReadCounter,
    create_address,
    day,
    get_address,
    ok,
    set_day,
    settings,
    sweep,
)
from tests.functional.privacy.test_deletion import TransactionKiller, traces_of


def dated(http: Any, offset: int | None, status: str = "none", token: str = DEMO,
          **fields: Any) -> str:
    body: dict[str, Any] = {"gdpr_status": status, **fields}
    if offset is not None:
        body["store_until"] = day(offset)
    return create_address(http, token=token, **body)["address_id"]


def digests(outbox: Any) -> list[dict[str, Any]]:
    return [m for m in outbox() if m["subject"].startswith("DSGVO-Übersicht")]


def test_each_agency_gets_a_digest_with_its_counts_and_nothing_is_deleted_by_default(
        http, outbox):
    ca = [dated(http, 3), dated(http, 28)]
    requested = dated(http, None, "deletion_requested")
    expired = [dated(http, -1), dated(http, -30), dated(http, -2, "deletion_requested")]
    dated(http, 29)  # not yet in any list
    dated(http, 40, token=OTHER)  # the other agency has nothing due: visited, no mail

    summary = sweep(http)
    assert summary == {"job": "retention-sweep", "date": day(0), "agencies": 2,
                       "digests_sent": 1, "deleted": 0, "checkpoint": None}
    [digest] = digests(outbox)
    assert digest["to"] == ["kontakt@demo-makler.de"]
    assert digest["subject"] == "DSGVO-Übersicht vom 23. November 2026"
    text = digest["text"]
    assert ("DSGVO – Einverständnis-Assistent (Speichern-Bis-Datum in den nächsten 28 Tagen): 2"
            in text)
    assert "Löschung angefordert: 2" in text  # the undated one and the expired request
    assert "Speichern-Bis-Datum abgelaufen: 3" in text
    assert "Automatisch gelöscht" not in text
    assert "http://freigabe.test/dashboard/" in text and "/dashboard/" in digest["html"]
    for address_id in [*ca, requested, *expired]:
        assert get_address(http, address_id)["address_id"] == address_id


def test_only_non_zero_lists_are_mentioned(http, outbox):
    dated(http, 10)
    sweep(http)
    [digest] = digests(outbox)
    assert "Einverständnis-Assistent" in digest["text"]
    assert "Löschung angefordert" not in digest["text"]
    assert "abgelaufen" not in digest["text"]


def test_expired_addresses_are_deleted_when_switched_on(http, outbox, container):
    settings(http, auto_delete_expired=True)
    expired = {dated(http, -1, email="weg1@example.org"),
               dated(http, -3, "deletion_requested", email="weg2@example.org")}
    kept = {dated(http, 0), dated(http, None, "deletion_requested"), dated(http, -5, "ignore")}
    other_expired = dated(http, -1, token=OTHER)  # the other agency did not switch it on

    summary = sweep(http)
    assert (summary["deleted"], summary["agencies"], summary["digests_sent"]) == (2, 2, 2)
    for address_id in expired:
        assert http.get(f"/agency/addresses/{address_id}", token=DEMO).status == 404
    for address_id in kept:
        assert get_address(http, address_id)["address_id"] == address_id
    assert get_address(http, other_expired, token=OTHER)["address_id"] == other_expired
    proofs = ok(http.get("/agency/gdpr/deletions", token=DEMO))["deletions"]
    assert {p["address_id"] for p in proofs} == expired
    assert {(p["reason"], p["by"], p["status"]) for p in proofs} == {
        ("retention_expired", "retention-sweep", "complete")}
    assert traces_of(container, "weg1@") == traces_of(container, "weg2@") == []
    [digest] = [d for d in digests(outbox) if d["to"] == ["kontakt@demo-makler.de"]]
    assert "Automatisch gelöscht (Speichern-Bis-Datum abgelaufen): 2" in digest["text"]
    assert "Speichern-Bis-Datum abgelaufen: 2" in digest["text"]


def test_a_second_run_the_same_day_mails_and_deletes_nothing(http, outbox, clock):
    settings(http, auto_delete_expired=True)
    dated(http, -1)
    keep = dated(http, 1)
    first = sweep(http)
    assert (first["deleted"], first["digests_sent"]) == (1, 1)
    mails = len(outbox())
    clock.advance(hours=3)
    again = sweep(http)
    assert again == {"job": "retention-sweep", "date": day(0), "agencies": 0,
                     "digests_sent": 0, "deleted": 0, "checkpoint": None}
    assert len(outbox()) == mails
    # The next night is a new day: the remaining address has expired by then.
    set_day(clock, 2)
    third = sweep(http)
    assert (third["deleted"], third["digests_sent"]) == (1, 1)
    assert http.get(f"/agency/addresses/{keep}", token=DEMO).status == 404


def test_a_run_out_of_budget_continues_from_its_checkpoint(http, outbox, container):
    settings(http, auto_delete_expired=True)
    expired = [dated(http, -1 - n, first_name=f"E{n}") for n in range(7)]
    ca = [dated(http, 5 + n, first_name=f"C{n}") for n in range(4)]
    runs = []
    while True:
        summary = container.gdpr.sweep.run(max_items=3)
        runs.append(summary)
        if summary["checkpoint"] is None:
            break
        assert summary["checkpoint"]["agency"] in (None, "demo")
        assert len(runs) < 20
    assert len(runs) > 3
    assert sum(r["deleted"] for r in runs) == 7
    assert sum(r["digests_sent"] for r in runs) == 1
    for address_id in expired:
        assert http.get(f"/agency/addresses/{address_id}", token=DEMO).status == 404
    for address_id in ca:
        assert get_address(http, address_id)["address_id"] == address_id
    [digest] = digests(outbox)
    assert "DSGVO – Einverständnis-Assistent (Speichern-Bis-Datum in den nächsten 28 Tagen): 4" in \
        digest["text"]
    assert "Speichern-Bis-Datum abgelaufen: 7" in digest["text"]
    assert "Automatisch gelöscht (Speichern-Bis-Datum abgelaufen): 7" in digest["text"]
    assert sweep(http)["checkpoint"] is None


@pytest.mark.parametrize("kill_at", [1, 2, 5, 9])
def test_a_run_killed_after_n_transactions_resumes_without_loss_or_repeat(
        http, outbox, container, kill_at):
    settings(http, auto_delete_expired=True)
    expired = [dated(http, -1 - n, first_name=f"E{n}", email=f"e{n}@example.org")
               for n in range(6)]
    requested = dated(http, None, "deletion_requested")
    killer = TransactionKiller(container.dynamodb)
    killer.countdown = kill_at
    crashed = http.post("/dev/jobs/retention-sweep", {})
    assert crashed.status == 500  # the process "died" mid-run
    resumed = sweep(http)
    assert resumed["checkpoint"] is None
    for address_id in expired:
        assert http.get(f"/agency/addresses/{address_id}", token=DEMO).status == 404
    assert get_address(http, requested)["address_id"] == requested
    tombstones = ok(http.get("/agency/gdpr/deletions", token=DEMO))["deletions"]
    assert sorted(t["address_id"] for t in tombstones) == sorted(expired)
    assert {t["status"] for t in tombstones} == {"complete"}
    [digest] = digests(outbox)
    assert "Automatisch gelöscht (Speichern-Bis-Datum abgelaufen): 6" in digest["text"]
    assert "Löschung angefordert: 1" in digest["text"]
    assert sweep(http)["deleted"] == 0 and len(digests(outbox)) == 1
    assert traces_of(container, "@example.org") == []


def test_a_date_changed_mid_run_is_respected(http, outbox, container):
    settings(http, auto_delete_expired=True)
    changed = dated(http, -2, first_name="Gerettet")
    gone = dated(http, -1, first_name="Weg")
    fired = []

    def extend_after_the_index_read(parsed: dict[str, Any], context: dict[str, Any],
                                    **_: Any) -> None:
        params = context.get("counted_params") or {}
        if fired or params.get("IndexName") != "gdpr" or not parsed.get("Items"):
            return
        if any(changed in json.dumps(i) for i in parsed["Items"]):
            fired.append(True)
            # The agency sets a manual date while the sweep holds the (now stale) page.
            container.gdpr.addresses.patch("demo", changed,
                                            Body.of(AddressPatch, {"store_until": day(365)}))

    ReadCounter().hook(container.dynamodb)  # records the request parameters in the context
    container.dynamodb.meta.events.register("after-call.dynamodb.Query",
                                            extend_after_the_index_read)
    summary = sweep(http)
    assert fired and summary["deleted"] == 1
    assert get_address(http, changed)["store_until"] == day(365)
    assert http.get(f"/agency/addresses/{gone}", token=DEMO).status == 404
    [digest] = digests(outbox)
    assert "Speichern-Bis-Datum abgelaufen: 1" in digest["text"]


def test_the_sweep_reads_only_due_items(http, container):
    for n in range(30):
        dated(http, 29 + n, first_name=f"Spaeter{n}")
        dated(http, 40 + n, token=OTHER, first_name=f"Anders{n}")
    for n in range(5):
        dated(http, -9, "ignore", first_name=f"Firma{n}")
    due = [dated(http, 1), dated(http, -1), dated(http, None, "deletion_requested"),
           dated(http, -4, "deletion_requested")]
    counter = ReadCounter().hook(container.dynamodb)
    summary = sweep(http)
    assert summary["agencies"] == 2 and summary["checkpoint"] is None
    assert not [c for c in counter.calls if c["op"] == "Scan"]
    index_reads = counter.on_index("gdpr")
    probes = [c for c in index_reads if c["params"].get("Limit") == 1]
    # One probe per agency finds it (one item each), one per bucket finds the end (none).
    assert sum(c["scanned"] for c in probes) == 2
    assert len(probes) == 16 + 2
    ranges = [c for c in index_reads if c not in probes]
    assert sum(c["scanned"] for c in ranges) == len(due)
    assert not [c for c in counter.calls if c["op"] == "Query" and not c["index"]]


def test_the_scheduled_handler_is_the_job(http):
    dated(http, 2)
    event = http.client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={},
        resources=["arn:aws:events:eu-central-1:123456789012:rule/freigabe-retention_sweep"])
    invoked = http.client.lambda_.invoke("retention_sweep", event)
    assert invoked.payload["job"] == "retention-sweep"
    assert (invoked.payload["digests_sent"], invoked.payload["checkpoint"]) == (1, None)
    assert http.client.lambda_.invoke("retention_sweep", event).payload["digests_sent"] == 0
