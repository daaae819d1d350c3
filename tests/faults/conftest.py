"""Settings for the fault tests: every eligible review is sampled for re-verification, so
the review sweep (and the re-verification link) has work whenever a scenario needs it."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.config import Settings
from tests.faults.scenarios import World
from tests.faults.worlds import DynamoFaults


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env().model_copy(update={"review_reverify_share_per_year": 1.0})


@pytest.fixture
def world(http: Any, outbox: Any, clock: Any, container: Any) -> World:
    return World(http, outbox, clock, container)


@pytest.fixture
def faults(container: Any) -> DynamoFaults:
    return DynamoFaults(container.dynamodb)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The figures for docs/reliability.md: faults injected by kind (only in the process
    that ran the tests, so with ``-n`` each worker keeps its own and nothing is printed)."""
    import sys

    counted: dict[str, int] = {}
    for name in ("test_write_faults", "test_mail_faults", "test_jobs"):
        module = sys.modules.get(f"tests.faults.{name}")
        for kind, number in (getattr(module, "FIGURES", None) or {}).items():
            counted[kind] = counted.get(kind, 0) + number
    if counted:
        terminalreporter.write_sep("-", "faults injected")
        for kind, number in sorted(counted.items()):
            terminalreporter.write_line(f"{kind}: {number}")
