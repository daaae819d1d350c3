"""CloudWatch metrics as Embedded Metric Format log lines (no API call, no extra IAM),
serialized by Powertools Metrics.

Services get a ``Metrics`` recorder from the container and call ``count``/``duration``
where the effect has happened (after the commit); nothing is written until ``flush``,
which ``app.py`` runs once at the end of every invocation (its ``all`` middleware), so a
handler that answers with an error still publishes what it recorded.

Why a recorder in front of Powertools rather than its ``Metrics`` singleton: Powertools
keeps one dimension set per flush, and our metrics carry different dimensions (``mode``
on registrations, ``job`` on job metrics); the recorder groups them and hands each group to
its own ``EphemeralMetrics``. It also sums counts before serializing: Powertools prints a
blob on its own once a metric holds 100 values (a big mail-retry run), which would bypass
the sink. Powertools is imported only when something is flushed (it shares its import with
the Logger that every invocation loads anyway).

Every blob has the dimensions ``service`` and ``stage`` plus the metric's own. The alarms
in ``infra/build_template.py`` (``JobSucceeded``) name exactly these dimensions.
Dimension values are fixed vocabularies (modes, job names), never personal data.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

NAMESPACE = "freigabe"
DEFAULT_SERVICE = "freigabe-api"

# The metric names (one place, so docs/operations.md and the tests name the same ones).
REGISTRATIONS = "Registrations"          # dimension mode: email | manual
UNLOCKS = "Unlocks"                      # dimension mode: email (link) | manual (approval)
REVIEWS_PUBLISHED = "ReviewsPublished"   # dimension via: checks | qa
REVIEWS_REJECTED = "ReviewsRejected"
CONSENT_GIVEN = "ConsentGiven"
CONSENT_WITHDRAWN = "ConsentWithdrawn"   # the deletion request through the consent mail
DELETIONS = "Deletions"                  # addresses erased (API, sweep, ops)
MAILS_SENT = "MailsSent"
MAILS_FAILED = "MailsFailed"
MAILS_SUPPRESSED = "MailsSuppressed"
JOB_DURATION = "JobDuration"             # dimension job; milliseconds
JOB_SUCCEEDED = "JobSucceeded"           # dimension job; the nightly-job alarms watch it
WEBHOOK_DELIVERED = "WebhookDelivered"   # an attempt answered 2xx
WEBHOOK_ATTEMPT_FAILED = "WebhookAttemptFailed"  # no 2xx (status, refusal, timeout)
WEBHOOK_GIVEN_UP = "WebhookGivenUp"      # a delivery ended failed after its last attempt

Sink = Callable[[Mapping[str, Any]], None]


class Recorder(Protocol):
    def count(self, name: str, value: int = 1, **dimensions: str) -> None: ...
    def duration(self, name: str, milliseconds: float, **dimensions: str) -> None: ...


def print_sink(blob: Mapping[str, Any]) -> None:
    """One EMF line on stdout: Lambda ships it to CloudWatch Logs, which extracts the metric."""
    print(json.dumps(blob, separators=(",", ":")), flush=True)


class Metrics:
    def __init__(self, stage: str, *, service: str | None = None, namespace: str = NAMESPACE,
                 sink: Sink = print_sink) -> None:
        self.stage = stage
        self.service = service or os.environ.get("POWERTOOLS_SERVICE_NAME", DEFAULT_SERVICE)
        self.namespace = namespace
        self.sink = sink
        self._lock = threading.Lock()  # the local stack serves requests on threads
        self._counts: dict[tuple[tuple[str, str], ...], dict[str, int]] = {}
        self._durations: dict[tuple[tuple[str, str], ...], dict[str, list[float]]] = {}

    def count(self, name: str, value: int = 1, **dimensions: str) -> None:
        key = tuple(sorted(dimensions.items()))
        with self._lock:
            group = self._counts.setdefault(key, {})
            group[name] = group.get(name, 0) + value

    def duration(self, name: str, milliseconds: float, **dimensions: str) -> None:
        key = tuple(sorted(dimensions.items()))
        with self._lock:
            self._durations.setdefault(key, {}).setdefault(name, []).append(
                round(milliseconds, 1))

    def flush(self) -> int:
        """Writes what was recorded since the last flush; returns the number of blobs."""
        with self._lock:
            counts, self._counts = self._counts, {}
            durations, self._durations = self._durations, {}
        groups = sorted(set(counts) | set(durations))
        if not groups:
            return 0
        from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

        for dims in groups:
            blob = EphemeralMetrics(namespace=self.namespace, service=self.service)
            blob.add_dimension("stage", self.stage)
            for name, value in dims:
                blob.add_dimension(name, value)
            for name, total in counts.get(dims, {}).items():
                blob.add_metric(name=name, unit=MetricUnit.Count, value=total)
            for name, values in durations.get(dims, {}).items():
                for milliseconds in values:
                    blob.add_metric(name=name, unit=MetricUnit.Milliseconds, value=milliseconds)
            self.sink(blob.serialize_metric_set())
        return len(groups)


class NullMetrics:
    """For services built without a container (unit tests): records nothing."""

    def count(self, name: str, value: int = 1, **dimensions: str) -> None:
        pass

    def duration(self, name: str, milliseconds: float, **dimensions: str) -> None:
        pass


NULL = NullMetrics()
