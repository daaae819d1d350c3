"""Point 6: the local stack (``python -m devstack``, what ``make run`` starts) under 20
threads × 100 requests, mixed registration / access / link GET. Reports throughput, p50/p99
and the status codes; no 5xx is allowed. moto runs under one process-wide lock on the
local stack, so the throughput is moto's, not Lambda's: the point is correctness under
parallel load (no 5xx, no lost writes), not the figure itself."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from typing import Any

THREADS = 20
PER_THREAD = 100
# 30 registrations per client IP and tour and hour: every request comes from 127.0.0.1,
# so spread the registrations over enough tours to stay below the limit.
TOURS = 40
# moto runs every call under one lock and deep-copies all tables per transaction, so with
# 20 clients a request can queue for longer than live_stack's 20 s client timeout.
CLIENT_TIMEOUT = 300.0


def measure(threads: int = THREADS, per_thread: int = PER_THREAD) -> dict[str, Any]:
    from tests import live_stack

    original_open = live_stack._opener.open

    def patient_open(request: Any, data: Any = None, timeout: float = CLIENT_TIMEOUT) -> Any:
        return original_open(request, data, CLIENT_TIMEOUT)

    live_stack._opener.open = patient_open  # type: ignore[method-assign]
    try:
        return _measure(live_stack.local_stack, threads, per_thread)
    finally:
        live_stack._opener.open = original_open  # type: ignore[method-assign]


def _measure(local_stack: Any, threads: int, per_thread: int) -> dict[str, Any]:
    from bench.stack import DEMO
    from tests.conftest import tour_payload

    with local_stack() as run:
        stack = run.stack
        tours = []
        for _ in range(TOURS):
            reply = stack.call("POST", "/agency/tours", json_body=tour_payload(), token=DEMO)
            assert reply.status == 201, reply.body
            tours.append(reply.json["tour_id"])
        viewers, links = [], []
        for n in range(threads):
            email = f"setup{n}@example.org"
            reply = stack.call("POST", f"/tours/{tours[n % TOURS]}/registrations", json_body={
                "first_name": "Eva", "last_name": "Setup", "email": email,
                "privacy_accepted": True})
            assert reply.status == 202, reply.body
            viewers.append((tours[n % TOURS], reply.json["viewer_token"]))
            links.append(stack.mail_link("unlock", email).replace(stack.base, ""))
        serial = itertools.count()
        lock = threading.Lock()
        latencies: list[float] = []
        statuses: Counter[str] = Counter()
        errors: list[str] = []

        def worker(n: int) -> None:
            tour_id, viewer = viewers[n]
            for i in range(per_thread):
                kind = ("registration", "access", "link")[i % 3]
                started = time.perf_counter()
                try:
                    if kind == "registration":
                        k = next(serial)
                        reply = stack.call("POST", f"/tours/{tours[k % TOURS]}/registrations",
                                           json_body={"first_name": "Eva", "last_name": "Last",
                                                      "email": f"load{k}@example.org",
                                                      "privacy_accepted": True})
                    elif kind == "access":
                        reply = stack.call("GET", f"/tours/{tour_id}/access",
                                           headers={"X-Viewer-Token": viewer})
                    else:
                        reply = stack.call("GET", links[n])
                    status = reply.status
                except Exception as exc:  # a refused connection counts, not crashes
                    status = 0
                    with lock:
                        errors.append(type(exc).__name__)
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    statuses[f"{kind} {status}"] += 1

        pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
        started = time.perf_counter()
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        wall = time.perf_counter() - started
        server_errors = sum(n for key, n in statuses.items()
                            if key.endswith(tuple(f" {c}" for c in range(500, 600))))
        no_answer = sum(n for key, n in statuses.items() if key.endswith(" 0"))
    ordered = sorted(latencies)
    return {"threads": threads, "requests": len(latencies), "seconds": round(wall, 2),
            "throughput_rps": round(len(latencies) / wall, 1),
            "p50_ms": round(ordered[len(ordered) // 2] * 1000, 1),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
            "statuses": dict(sorted(statuses.items())), "server_errors": server_errors,
            "no_answer": no_answer, "client_timeout_s": CLIENT_TIMEOUT,
            "client_errors": sorted(set(errors))}
