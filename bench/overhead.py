"""Point 5: handler overhead. Each endpoint's in-process latency against a minimal
Chalice route that replays the very AWS calls the endpoint just made, on the same moto,
in the same run, alternating which goes first. The ratio of the p50s says what our
layers (routing, parsing, validation, rendering, logging, metrics) add on top of the
unavoidable round trips; ``own_ms`` is the endpoint's time outside AWS client calls."""

from __future__ import annotations

import contextlib
import statistics
import time
from typing import Any

from botocore import xform_name
from botocore.exceptions import ClientError

from bench.requests import ENDPOINTS, Endpoint, Fixture, send
from bench.stack import BenchStack

SELECTED = (
    "GET /tours/{id}/protection",
    "GET /tours/{id}/access (viewer token)",
    "POST /tours/{id}/registrations (email)",
    "GET /links/unlock/{t}",
    "POST /links/unlock/{t}",
    "GET /agencies/{id}/reviews",
)


class Recorder:
    """Keeps the API parameters of every call made while ``active``."""

    def __init__(self, clients: list[Any]) -> None:
        self.active = False
        self.calls: list[tuple[Any, str, dict[str, Any]]] = []
        for client in clients:
            name = client.meta.service_model.service_id.hyphenize()
            client.meta.events.register(f"provide-client-params.{name}",
                                        self._remember(client))

    def _remember(self, client: Any) -> Any:
        def remember(params: dict[str, Any], model: Any, **_: Any) -> None:
            if self.active:
                self.calls.append((client, xform_name(model.name), dict(params)))
        return remember


def _baseline_app(recorder: Recorder) -> Any:
    from chalice import Chalice

    baseline = Chalice(app_name="bench-baseline", configure_logs=False)
    replay: list[tuple[Any, str, dict[str, Any]]] = []

    @baseline.route("/replay", methods=["GET", "POST"])
    def run() -> dict[str, int]:
        for client, method, params in replay:
            # A replayed conditional write loses; moto did the same work all the same.
            with contextlib.suppress(ClientError):
                getattr(client, method)(**params)
        return {"calls": len(replay)}

    return baseline, replay


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(stack: BenchStack, iterations: int = 30) -> list[dict[str, Any]]:
    from chalice.test import Client

    recorder = Recorder([stack.container.dynamodb, stack.container.ses])
    baseline, replay = _baseline_app(recorder)
    fixture = Fixture(stack)
    endpoints: list[Endpoint] = [e for e in ENDPOINTS if e.name in SELECTED]
    rows = []
    with Client(baseline) as base_client:
        def run_baseline() -> float:
            started = time.perf_counter()
            response = base_client.http.request("POST", "/replay", body=b"{}",
                                                headers={"Content-Type": "application/json"})
            assert response.status_code == 200
            return time.perf_counter() - started

        for endpoint in endpoints:
            ours, base, own = [], [], []
            replay.clear()
            for i in range(iterations + 3):
                call = endpoint.prepare(fixture)
                # Alternate the order where the replay allows it: a GET's calls can be
                # replayed before the next request; a POST's only after its own.
                first = bool(i % 2) and call.method == "GET" and bool(replay)
                if first:
                    baseline_seconds = run_baseline()
                recorder.calls.clear()
                recorder.active = True
                with stack.counter.measure() as work:
                    started = time.perf_counter()
                    reply = send(stack, call)
                    elapsed = time.perf_counter() - started
                recorder.active = False
                assert reply.status == endpoint.status, (endpoint.name, reply.status)
                replay[:] = recorder.calls
                if not first:
                    baseline_seconds = run_baseline()
                if i < 3:
                    continue  # warm-up: first template render, first client calls
                ours.append(elapsed)
                base.append(baseline_seconds)
                own.append(elapsed - work.aws_seconds)
            p50, base_p50 = statistics.median(ours), statistics.median(base)
            rows.append({"endpoint": endpoint.name, "iterations": iterations,
                         "p50_ms": round(p50 * 1000, 2),
                         "p99_ms": round(_percentile(ours, 0.99) * 1000, 2),
                         "baseline_p50_ms": round(base_p50 * 1000, 2),
                         "baseline_p99_ms": round(_percentile(base, 0.99) * 1000, 2),
                         "own_p50_ms": round(statistics.median(own) * 1000, 2),
                         "ratio_p50": round(p50 / base_p50, 2), "target_ratio": 1.3})
    return rows
