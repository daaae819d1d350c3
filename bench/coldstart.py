"""Point 4: cold start (module import) and the deployment zip.

``python -X importtime -c "import app"`` in 5 fresh processes against ``import boto3``
alone (the Lambda runtime ships boto3, so every handler pays for it anyway): the median
of the app must stay within 1.5 × boto3. The report also lists what the app imports on
top of boto3 (self time by top-level package), which is what a lazy import can still
save."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

from bench.report import ZIP_MB

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5


def _importtime(statement: str) -> tuple[float, list[tuple[str, int, int]]]:
    """Seconds of the top-level import and every (module, self µs, cumulative µs)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FREIGABE_")}
    env["PYTHONDONTWRITEBYTECODE"] = "0"
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120, check=True)
    rows = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line[len("import time:"):].split("|")
        rows.append((name.rstrip(), int(own), int(cumulative)))
    top = statement.split()[-1]
    total = next(c for name, _, c in reversed(rows) if name.strip() == top)
    return total / 1e6, rows


def measure(runs: int = RUNS) -> dict[str, Any]:
    # One warm-up each so both read .pyc files, as a Lambda container does.
    _importtime("import boto3")
    _importtime("import app")
    app_times, boto_times = [], []
    heaviest: Counter[str] = Counter()
    for _ in range(runs):  # alternating, so machine load hits both alike
        boto_seconds, boto_rows = _importtime("import boto3")
        boto_times.append(boto_seconds)
        in_boto3 = {name.strip() for name, _, _ in boto_rows}
        seconds, rows = _importtime("import app")
        app_times.append(seconds)
        for name, own, _cumulative in rows:
            if name.strip() not in in_boto3:  # what the app adds on top of boto3
                heaviest[name.strip().split(".")[0]] += own
    app_median, boto_median = statistics.median(app_times), statistics.median(boto_times)
    return {
        "runs": runs,
        "app_median_ms": round(app_median * 1000, 1),
        "boto3_median_ms": round(boto_median * 1000, 1),
        "ratio": round(app_median / boto_median, 2),
        "target_ratio": 1.5,
        "app_ms": [round(t * 1000, 1) for t in app_times],
        "boto3_ms": [round(t * 1000, 1) for t in boto_times],
        "added_by_app_ms": {name: round(us / runs / 1000, 1)
                                for name, us in heaviest.most_common(12)},
    }


def package_size(build_dir: Path) -> dict[str, Any]:
    """``make package STAGE=dev`` into ``build_dir`` and the zip's size by top-level entry."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FREIGABE_"))}
    env.update({"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
                "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"})
    make = shutil.which("make") or "make"
    subprocess.run([make, "-s", "package", "STAGE=dev", f"BUILD={build_dir}"], cwd=ROOT,
                   env=env, capture_output=True, text=True, timeout=900, check=True)
    path = build_dir / "package" / "deployment.zip"
    return {"zip_bytes": path.stat().st_size, "zip_mb": round(path.stat().st_size / 1e6, 2),
            "target_mb": ZIP_MB, "largest": largest_entries(path)}


def largest_entries(path: Path, top: int = 8) -> dict[str, float]:
    sizes: Counter[str] = Counter()
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            sizes[info.filename.split("/")[0]] += info.compress_size
    return {name: round(size / 1e6, 2) for name, size in sizes.most_common(top)}
