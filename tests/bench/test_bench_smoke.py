"""``make bench`` at a tiny size, so its code cannot rot, and the per-request targets of
issue 7 as assertions: they are counts of AWS calls, not times, so they hold on any
machine. The full run (1k/10k/100k, timings, zip, local stack) is ``make bench``."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import motofast, report, requests, sweeps
from bench.stack import BenchStack

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def stack() -> Iterator[BenchStack]:
    bench_stack = BenchStack()
    try:
        yield bench_stack
    finally:
        bench_stack.close()


def _by_name(rows: list[dict]) -> dict[str, dict]:
    return {row["endpoint"]: row for row in rows}


def test_calls_per_request_meet_the_targets(stack: BenchStack) -> None:
    rows = _by_name(requests.measure(stack))
    assert set(rows) == {e.name for e in requests.ENDPOINTS}
    for name in ("GET /tours/{id}/access (viewer token)", "GET /tours/{id}/access (no token)",
                 "GET /tours/{id}/protection"):
        assert (rows[name]["reads"], rows[name]["writes"], rows[name]["transactions"]) == (1, 0, 0)
    for name in ("GET /links/unlock/{t}", "GET /links/approve/{t}",
                 "GET /links/review-confirm/{t}", "GET /links/consent/{t}"):
        assert rows[name]["calls"] == {"GetItem": 1}, name
    assert rows["POST /links/unlock/{t}"]["calls"] == {"GetItem": 1, "TransactWriteItems": 1}
    # A link POST that mails: 1 read + 1 transaction (+ the send and its "sent" record).
    for name in ("POST /links/approve/{t}", "POST /links/deny/{t}", "POST /links/consent/{t}",
                 "POST /links/deletion-request/{t}"):
        assert rows[name]["calls"] == {"GetItem": 1, "TransactWriteItems": 1, "UpdateItem": 1,
                                       "ses:SendEmail": 1}, name
    # ≤ 2 reads + 1 transaction + 1 SES call; manual mode mails two recipients.
    for mode, mails in (("email", 1), ("manual", 2)):
        registration = rows[f"POST /tours/{{id}}/registrations ({mode})"]
        assert registration["reads"] <= 2, registration
        assert registration["transactions"] == 1 and registration["ses"] == mails
    for row in rows.values():
        assert report.verdict(row) != "NO", row
        assert row["calls"].get("Scan", 0) == 0


def test_retention_sweep_and_worklists_read_what_is_due(stack: BenchStack) -> None:
    result = sweeps.retention(stack, 1000)
    assert result["due"] == 10
    assert result["summary"]["agencies"] == 2 and result["summary"]["checkpoint"] is None
    # Due items plus one probe per agency: nothing of the 990 others is read.
    assert result["index_items_read"] <= 1.2 * result["due"]
    for name, worklist in result["worklists"].items():
        assert worklist["members"] == worklist["expected"], name
        assert worklist["index_items_read"] <= 1.2 * max(1, worklist["members"]), name
    assert not report.failures({"retention": [result]})


def test_review_sweep_reads_what_is_due(stack: BenchStack) -> None:
    result = sweeps.reviews(stack, 600)
    assert result["due"] == 6 and result["handled"] == 6, result["summary"]
    assert result["index_items_read"] <= 1.2 * result["due"]


def test_faster_moto_answers_queries_alike(stack: BenchStack) -> None:
    """The bench's moto speed-up (bench/motofast.py) changes no answer."""
    sweeps.seed_addresses(stack, 300)
    client = stack.container.dynamodb
    table = stack.settings.table("addresses")
    queries = [
        {"IndexName": "gdpr", "KeyConditionExpression": "gdpr_pk = :p",
         "ExpressionAttributeValues": {":p": {"S": f"GDPR#{n}"}}} for n in range(16)
    ] + [{"KeyConditionExpression": "pk = :p",
          "ExpressionAttributeValues": {":p": {"S": "AGENCY#demo"}}, "Limit": 50}]
    fast = [client.query(TableName=table, **q)["Items"] for q in queries]
    motofast.uninstall()
    slow = [client.query(TableName=table, **q)["Items"] for q in queries]
    motofast.install()
    assert fast == slow and any(fast)


def test_import_app_leaves_heavy_modules_for_later() -> None:
    """Cold start (point 4): the modules only some routes need are imported lazily."""
    heavy = ("pydantic", "jinja2", "email_validator", "aws_lambda_powertools", "holidays")
    result = subprocess.run(
        [sys.executable, "-c", "import sys, app; print(' '.join(m for m in "
         f"{heavy!r} if m in sys.modules))"], cwd=ROOT, capture_output=True, text=True,
        timeout=120, check=True)
    assert result.stdout.strip() == ""


def test_report_renders_and_flags_misses() -> None:
    results = {"coldstart": {"runs": 5, "app_median_ms": 300.0, "boto3_median_ms": 150.0,
                             "ratio": 2.0, "target_ratio": 1.5, "added_by_app_ms": {}},
               "package": {"zip_mb": report.ZIP_MB + 0.5, "target_mb": report.ZIP_MB,
                           "largest": {}}}
    assert "Cold start" in report.render(results)
    assert len(report.failures(results)) == 2
    results["package"]["zip_mb"] = report.ZIP_MB - 0.5
    assert report.failures(results) == ["cold start ratio 2.0 > 1.5"]


def test_webhook_events_cost_nothing_without_subscribers(stack: BenchStack) -> None:
    """Issue 16: a change with no webhook makes no extra call; with webhooks (once known)
    the same DynamoDB calls, two more items per matched webhook inside the transaction
    (the delivery and its erasure index entry) and one SQS call for all of them."""
    from bench import webhooks

    figures = webhooks.measure(stack)
    none = figures["no_webhooks"]
    assert none["sqs"] == 0 and none["kms"] == 0
    dynamodb = {op: n for op, n in none["calls"].items() if ":" not in op}
    for count in (1, 3):
        warm = figures[f"{count}_webhooks"]["warm"]
        assert {op: n for op, n in warm["calls"].items() if ":" not in op} == dynamodb
        assert warm["sqs"] == 1
        # The S column counts mails: the SQS message is not one.
        assert warm["ses"] == none["ses"] == 1
        assert warm["items_written"] == none["items_written"] + 2 * count
    attempt = figures["sender_attempt"]
    assert attempt["calls"].get("UpdateItem") == 2 and attempt["calls"].get("GetItem") == 1
    assert (attempt["ses"], attempt["sqs"], attempt["kms"]) == (0, 1, 1)


def test_gate_beacons_meet_the_target_and_the_embed_is_measured_minified(
        stack: BenchStack) -> None:
    """Issue 14: a viewing beacon costs ≤ 1 read + 2 writes whatever the batch; the embed's
    size is reported as served and minified by esbuild (bench/minify, `make test` installs
    it like the examples), each gzipped, and the report says so."""
    from bench import gate

    figures = gate.measure(stack)
    assert all(row["meets_target"] for row in figures["views"]), figures["views"]
    embed = figures["embed"]
    assert embed["minified_gzip_bytes"] < embed["minified_bytes"] < embed["bytes"]
    assert embed["minified_gzip_bytes"] < embed["gzip_bytes"]
    rendered = report.render({"gate": figures})
    assert f"minified (esbuild): {embed['minified_bytes']} bytes" in rendered
