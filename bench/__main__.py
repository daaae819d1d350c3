"""``make bench`` / ``python -m bench``: runs every measurement of issue 7 in one go,
writes ``bench/results.json`` and prints the tables.

    python -m bench                     everything (≈ 10–15 minutes on 2 cores)
    python -m bench --sizes 1000 10000  smaller sweep sizes
    python -m bench --only requests,coldstart
    python -m bench --only checks       the review checks on adversarial 16 KB texts
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import report

if TYPE_CHECKING:
    from bench.stack import BenchStack

RESULTS = Path(__file__).resolve().parent / "results.json"
PARTS = ("requests", "sweeps", "reviews", "coldstart", "package", "overhead", "concurrency",
         "checks", "webhooks", "gate")


def _quiet() -> contextlib.ExitStack:
    """The app logs every request and prints EMF metrics to stdout: keep the table
    readable (the no-PII log check lives in the test suite, not here)."""
    stack = contextlib.ExitStack()
    stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
    logging.disable(logging.INFO)
    stack.callback(logging.disable, logging.NOTSET)
    return stack


def _progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _in_stack(measure: Callable[[BenchStack], Any]) -> Any:
    """Runs ``measure`` on a fresh moto world (one per measurement, so sizes never mix)."""
    from bench.stack import BenchStack

    stack = BenchStack()
    try:
        with _quiet():
            return measure(stack)
    finally:
        stack.close()


def run(parts: tuple[str, ...], sizes: list[int], review_size: int,
        per_thread: int = 100) -> dict[str, Any]:
    from bench import checks, coldstart, concurrency, overhead, requests, sweeps

    results: dict[str, Any] = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if "requests" in parts:
        _progress("calls per request")
        results["requests"] = _in_stack(requests.measure)
    if "sweeps" in parts:
        results["retention"] = []
        for size in sizes:
            _progress(f"retention-sweep and worklists over {size} addresses")
            results["retention"].append(_in_stack(lambda s, n=size: sweeps.retention(s, n)))
    if "reviews" in parts:
        _progress(f"review-sweep over {review_size} reviews")
        results["review_sweep"] = _in_stack(lambda s: sweeps.reviews(s, review_size))
    if "overhead" in parts:
        _progress("handler overhead")
        results["overhead"] = _in_stack(overhead.measure)
    if "coldstart" in parts:
        _progress("cold start (importtime)")
        results["coldstart"] = coldstart.measure()
    if "package" in parts:
        _progress("make package STAGE=dev")
        with tempfile.TemporaryDirectory(prefix="freigabe-bench-") as build:
            results["package"] = coldstart.package_size(Path(build))
    if "concurrency" in parts:
        _progress(f"20 threads x {per_thread} requests against the local stack")
        results["concurrency"] = concurrency.measure(per_thread=per_thread)
    if "webhooks" in parts:
        _progress("webhook events: round trips per matched webhook")
        from bench import webhooks

        results["webhooks"] = _in_stack(webhooks.measure)
    if "gate" in parts:
        _progress("gate: viewing beacons, media URL, embed size")
        from bench import gate

        results["gate"] = _in_stack(gate.measure)
    if "checks" in parts:
        _progress("review checks on adversarial 16 KB texts (CPU time)")
        results["checks"] = checks.measure()
    results["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--review-size", type=int, default=100_000)
    parser.add_argument("--only", default=",".join(PARTS))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--per-thread", type=int, default=100,
                        help="requests per thread against the local stack (20 threads)")
    args = parser.parse_args(argv)
    parts = tuple(p for p in args.only.split(",") if p)
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    results = run(parts, args.sizes, args.review_size, args.per_thread)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    print(report.render(results))
    failures = report.failures(results)
    for failure in failures:
        print(f"TARGET MISSED: {failure}")
    print(f"results: {args.out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
