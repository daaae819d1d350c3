"""The metrics recorder: EMF through Powertools, grouped by dimensions, flushed once."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.metrics import JOB_SUCCEEDED, Metrics
from infra.build_template import build


def test_nothing_recorded_writes_nothing(capsys):
    assert Metrics("dev").flush() == 0
    assert capsys.readouterr().out == ""


def test_counts_are_summed_per_dimension_set_and_printed_as_emf(capsys):
    metrics = Metrics("dev", service="freigabe-api")
    metrics.count("Registrations", mode="email")
    metrics.count("Registrations", mode="email")
    metrics.count("Registrations", mode="manual")
    metrics.count("MailsSent", 3)
    metrics.duration("JobDuration", 1234.56, job="mail-retry")
    assert metrics.flush() == 4
    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    by_dims = {tuple(sorted(b["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0])): b
               for b in blobs if "mode" not in b}
    email = next(b for b in blobs if b.get("mode") == "email")
    manual = next(b for b in blobs if b.get("mode") == "manual")
    assert email["Registrations"] == [2.0] and manual["Registrations"] == [1.0]
    assert email["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "freigabe"
    assert email["_aws"]["CloudWatchMetrics"][0]["Metrics"] == [
        {"Name": "Registrations", "Unit": "Count"}]
    assert email["service"] == "freigabe-api" and email["stage"] == "dev"
    assert by_dims[("service", "stage")]["MailsSent"] == [3.0]
    job = by_dims[("job", "service", "stage")]
    assert job["JobDuration"] == [1234.6]
    assert job["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] == "Milliseconds"
    # Flushed means gone: the next invocation starts empty.
    assert metrics.flush() == 0


def test_a_big_run_stays_one_blob_per_dimension_set():
    blobs: list[dict[str, Any]] = []
    metrics = Metrics("prod", sink=blobs.append)
    for _ in range(500):  # Powertools alone would print on its own at 100 values
        metrics.count("MailsSent")
    metrics.flush()
    assert len(blobs) == 1 and blobs[0]["MailsSent"] == [500.0]


def test_the_job_alarm_watches_exactly_what_the_job_writes():
    blobs: list[dict[str, Any]] = []
    for stage in ("dev", "prod"):
        metrics = Metrics(stage, service="freigabe-api", sink=blobs.append)
        metrics.count(JOB_SUCCEEDED, job="retention-sweep")
        metrics.flush()
        alarm = build(stage)["Resources"]["RetentionSweepNotSucceededAlarm"]["Properties"]
        written = blobs[-1]
        emf = written["_aws"]["CloudWatchMetrics"][0]
        assert alarm["Namespace"] == emf["Namespace"]
        assert alarm["MetricName"] in written
        assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]} == {
            name: written[name] for name in emf["Dimensions"][0]}
