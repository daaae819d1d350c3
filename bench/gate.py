"""The gate (issue 14): what a viewing beacon costs (1 event and a full batch of 50, with
and without a consenting lead, first batch with new viewpoint ids and a warm one), what
the player's media URL costs, and the embed script's size: as served (the file is written
to be read, without a build step), and as an integrator's build would ship it, minified by
esbuild (pinned in bench/minify/, installed by `make bench`), each raw and gzipped."""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path
from typing import Any

from bench.stack import DEMO, BenchStack

HERE = Path(__file__).resolve().parent
EMBED = HERE.parent / "chalicelib" / "web" / "static" / "embed-v1.js"
ESBUILD = HERE / "minify" / "node_modules" / ".bin" / "esbuild"


def embed_size() -> dict[str, int]:
    raw = EMBED.read_bytes()
    if not ESBUILD.exists():
        raise SystemExit(f"{ESBUILD} missing: run `make bench` (it installs bench/minify)")
    minified = subprocess.run([str(ESBUILD), "--minify", "--log-level=warning", str(EMBED)],
                              check=True, capture_output=True, timeout=60).stdout
    return {"bytes": len(raw), "gzip_bytes": _gzipped(raw),
            "minified_bytes": len(minified), "minified_gzip_bytes": _gzipped(minified)}


def _gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


def measure(stack: BenchStack) -> dict[str, Any]:
    from tests.conftest import tour_payload

    created = stack.request("POST", "/agency/tours", token=DEMO, json_body=tour_payload("email"))
    assert created.status == 201, created.body
    tour = created.json["tour_id"]
    lead = stack.request("POST", f"/tours/{tour}/registrations", json_body={
        "first_name": "Eva", "last_name": "Bench", "email": "bench-views@example.org",
        "privacy_accepted": True, "viewing_stats_accepted": True})
    assert lead.status == 202, lead.body
    token = lead.json["viewer_token"]
    rows = []
    for name, events, with_token in (
            ("1 event, anonymous", [{"type": "tour_view"}], False),
            ("50 events, anonymous, new viewpoint ids", _batch("a"), False),
            ("50 events, anonymous, known ids", _batch("a"), False),
            ("50 events, consenting lead, new ids", _batch("b"), True),
            ("50 events, consenting lead, known ids", _batch("b"), True)):
        body: dict[str, Any] = {"events": events}
        if with_token:
            body["viewer_token"] = token
        with stack.counter.measure() as work:
            reply = stack.request("POST", f"/tours/{tour}/views", json_body=body)
        assert reply.status == 202, reply.body
        rows.append({"case": name, **work.as_dict(),
                     "meets_target": work.reads <= 1 and work.writes + work.transactions <= 2})
    with stack.counter.measure() as work:
        reply = stack.request("GET", f"/tours/{tour}/viewpoints/flur/media")
    assert reply.status == 404  # no picture: the same single read as with one
    return {"views": rows, "media_url": work.as_dict(), "embed": embed_size()}


def _batch(prefix: str) -> list[dict[str, Any]]:
    return [{"type": "viewpoint_view", "viewpoint_id": f"{prefix}{n % 10}", "seconds": 3}
            for n in range(49)] + [{"type": "tour_view"}]
