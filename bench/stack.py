"""The code under test in-process, as the functional tests run it: moto started like the
local stack (tables from infra/, same serialisation lock), the app's Container with a
fixed clock and the call counter on its DynamoDB and SES clients, Chalice's test client."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from typing import Any

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ENVIRONMENT = {
    "FREIGABE_STAGE": "local",
    "FREIGABE_TABLE_PREFIX": "bench",
    "FREIGABE_PUBLIC_BASE_URL": "http://freigabe.bench",
    "FREIGABE_MAIL_SENDER": "Freigabe <noreply@freigabe.bench>",
    "FREIGABE_REGION": "eu-central-1",
    "AWS_DEFAULT_REGION": "eu-central-1",
}
DEMO, QA = "demo-agency-token", "demo-qa-token"


class ScanIssued(AssertionError):
    pass


def _forbid_scan(**_: Any) -> None:
    # The same guard as tests/conftest.py: no request or job path may Scan.
    raise ScanIssued("Scan issued in a request or job path")


class BenchStack:
    """One moto world. ``close()`` stops it; use one per measurement family."""

    def __init__(self) -> None:
        # First: importing the test configuration sets the test suite's environment.
        from tests.conftest import Http

        # Restored on close: the smoke test runs inside a pytest process with its own.
        self._saved_env = {key: os.environ.get(key) for key in ENVIRONMENT}
        os.environ.update(ENVIRONMENT)
        from chalice.test import Client

        import app as application
        from bench import motofast
        from bench.counting import AwsCounter
        from chalicelib.clock import FixedClock
        from chalicelib.config import Settings
        from chalicelib.wiring import Container, install
        from devstack.environment import prepare_aws, seed_demo, start_mock

        self.app = application.app
        self.settings = Settings.from_env()
        self.mock = start_mock()
        prepare_aws(self.settings)
        self.clock = FixedClock(START)
        self.container = Container(self.settings, clock=self.clock)
        self.container.dynamodb.meta.events.register("before-call.dynamodb.Scan", _forbid_scan)
        self.counter = AwsCounter()
        self.counter.hook(self.container.dynamodb)
        self.counter.hook(self.container.ses)
        motofast.install()
        install(self.container)
        seed_demo(self.container)
        self._client_cm = Client(self.app, stage_name="local")
        # The functional tests' client wrapper (JSON bodies, bearer tokens, form posts).
        self.http = Http(self._client_cm.__enter__())
        self.request = self.http.request
        self.form_post = self.http.form_post
        self._install = install

    def close(self) -> None:
        from bench import motofast

        self._client_cm.__exit__(None, None, None)
        self._install(None)
        self.mock.stop()
        motofast.uninstall()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def outbox(self) -> list[dict[str, Any]]:
        from chalicelib.devtools import read_outbox

        return read_outbox(self.settings.region)

    def last_link(self, purpose: str) -> str:
        """The newest mailed link of ``purpose`` as a path."""
        pattern = re.compile(rf"http://freigabe\.bench(/links/{purpose}/[A-Za-z0-9_-]+)")
        for message in reversed(self.outbox()):
            found = pattern.findall(message["text"])
            if found:
                return found[-1]
        raise LookupError(f"no {purpose} link in the outbox")
