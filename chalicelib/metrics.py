"""CloudWatch metrics as Embedded Metric Format log lines (no API call, no extra IAM).

The alarm "nightly job did not succeed" (infra/build_template.py) watches
``freigabe/JobSucceeded`` with the dimensions ``service`` and ``job``."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

NAMESPACE = "freigabe"


def emit(name: str, value: float = 1, unit: str = "Count", **dimensions: str) -> None:
    dims = {"service": os.environ.get("POWERTOOLS_SERVICE_NAME", "freigabe-api"), **dimensions}
    record: dict[str, Any] = {
        "_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [{
            "Namespace": NAMESPACE, "Dimensions": [sorted(dims)],
            "Metrics": [{"Name": name, "Unit": unit}]}]},
        **dims, name: value,
    }
    sys.stdout.write(json.dumps(record) + "\n")
