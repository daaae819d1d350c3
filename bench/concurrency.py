"""Point 6: the local stack (``python -m devstack``, what ``make run`` starts) under 20
threads × 100 requests, mixed registration / access / link GET. Reports throughput, p50/p99
and the status codes; no 5xx is allowed. moto runs under one process-wide lock on the
local stack, so the throughput is moto's, not Lambda's: the point is correctness under
parallel load (no 5xx, no lost writes, no request left without an answer) and a throughput
that holds while the tables grow (``throughput_by_quarter_rps``), not the figure itself."""

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
# tests/live_stack.py's default: a request without an answer by then counts as "no answer".
# (Before devstack/fastmoto.py, moto's transactions copied the tables and 20 × 100 needed
# a 300 s timeout; now the same run stays below 2 s at p99.)
CLIENT_TIMEOUT = 20.0


def measure(threads: int = THREADS, per_thread: int = PER_THREAD) -> dict[str, Any]:
    from bench.stack import DEMO
    from tests.conftest import tour_payload
    from tests.live_stack import local_stack

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
        answered: list[float] = []
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
                                                      "privacy_accepted": True},
                                           timeout=CLIENT_TIMEOUT)
                    elif kind == "access":
                        reply = stack.call("GET", f"/tours/{tour_id}/access",
                                           headers={"X-Viewer-Token": viewer},
                                           timeout=CLIENT_TIMEOUT)
                    else:
                        reply = stack.call("GET", links[n], timeout=CLIENT_TIMEOUT)
                    status = reply.status
                except Exception as exc:  # a refused connection counts, not crashes
                    status = 0
                    with lock:
                        errors.append(type(exc).__name__)
                finished = time.perf_counter()
                with lock:
                    latencies.append(finished - started)
                    answered.append(finished)
                    statuses[f"{kind} {status}"] += 1

        pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
        started = time.perf_counter()
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        wall = time.perf_counter() - started
        quarters = _quarters(started, sorted(answered))
        server_errors = sum(n for key, n in statuses.items()
                            if key.endswith(tuple(f" {c}" for c in range(500, 600))))
        no_answer = sum(n for key, n in statuses.items() if key.endswith(" 0"))
    ordered = sorted(latencies)
    return {"threads": threads, "requests": len(latencies), "seconds": round(wall, 2),
            "throughput_rps": round(len(latencies) / wall, 1),
            "throughput_by_quarter_rps": quarters,
            "p50_ms": round(ordered[len(ordered) // 2] * 1000, 1),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
            "statuses": dict(sorted(statuses.items())), "server_errors": server_errors,
            "no_answer": no_answer, "client_timeout_s": CLIENT_TIMEOUT,
            "client_errors": sorted(set(errors))}


def _quarters(started: float, answered: list[float]) -> list[float]:
    """Requests per second in each successive quarter of the answers: the tables grow with
    every registration, so a stack whose cost grows with them slows down quarter by quarter."""
    rates, begin = [], started
    for q in range(1, 5):
        chunk = answered[(q - 1) * len(answered) // 4:q * len(answered) // 4]
        if chunk:
            rates.append(round(len(chunk) / max(chunk[-1] - begin, 1e-9), 1))
            begin = chunk[-1]
    return rates
