"""Structured JSON logs through Powertools for every ``freigabe.*`` logger.

Log lines carry ids, route templates, counts and error codes only: never addresses,
names, tokens or raw paths (link paths contain secrets)."""

from __future__ import annotations

import logging
import os
import threading

_done = False
_lock = threading.Lock()


def configure_logging() -> None:
    global _done
    if _done:
        return
    with _lock:
        if _done:
            return
        from aws_lambda_powertools import Logger

        # Service name differs from the Chalice app name: equal names print every line twice.
        powertools = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "freigabe-api"))
        root = logging.getLogger("freigabe")
        root.handlers = list(powertools.handlers)
        root.setLevel(powertools.log_level)
        root.propagate = False
        _done = True
