"""Shared fixtures: moto started like the local stack (same tables from infra/, same
serialisation lock; but plain moto, without the local stack's speed patches in
devstack/fastmoto.py, so the tests see moto's own behaviour), a container with a
controllable clock, and an HTTP client."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

# Configuration is read lazily, but set it before the app is imported all the same.
os.environ.update({
    "FREIGABE_STAGE": "local",
    "FREIGABE_TABLE_PREFIX": "test",
    "FREIGABE_PUBLIC_BASE_URL": "http://freigabe.test",
    "FREIGABE_MAIL_SENDER": "Freigabe <noreply@freigabe.test>",
    "FREIGABE_REGION": "eu-central-1",
    "FREIGABE_MEDIA_BUCKET": "test-media",
    "AWS_DEFAULT_REGION": "eu-central-1",
})

from chalice.test import Client

import app as application
from chalicelib.clock import FixedClock
from chalicelib.config import Settings
from chalicelib.logs import configure_logging
from chalicelib.wiring import Container, install
from devstack.environment import prepare_aws, seed_demo, start_mock
from infra.policies import FUNCTIONS
from tests import fixture_costs
from tests.iam_audit import Recorder, current_function, violations

# Constant costs of the test doubles once per process, not once per test (why: its docstring).
fixture_costs.install()

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
DEMO = "demo-agency-token"
OTHER = "other-agency-token"
QA = "demo-qa-token"


def _attributed(function: str, handler: Any, *, only_from_api: bool = False) -> Any:
    """Runs ``handler`` as Lambda function ``function`` for the IAM audit. Jobs run through
    ``/dev/jobs`` stand in for EventBridge; run from the ops function they stay in ops."""
    def run(*args: Any, **kwargs: Any) -> Any:
        if only_from_api and current_function.get() != "api_handler":
            return handler(*args, **kwargs)
        token = current_function.set(function)
        try:
            return handler(*args, **kwargs)
        finally:
            current_function.reset(token)
    return run


for _name in [n for n in application.app.handler_map if n in FUNCTIONS and n != "api_handler"]:
    application.app.handler_map[_name] = _attributed(_name, application.app.handler_map[_name])
for _job in list(application.JOBS):
    application.JOBS[_job] = _attributed(_job.replace("-", "_"), application.JOBS[_job],
                                         only_from_api=True)


# Personal data and secrets that must never reach a log line: email addresses, phone
# numbers, IP addresses (v4 and v6), the seeded tokens and anything that looks like a link
# or viewer token.
_PII = re.compile(
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]+"
    r"|\+?\d[\d /-]{7,}\d"
    r"|\b(?:\d{1,3}\.){3}\d{1,3}\b"
    r"|(?i:\b(?:[0-9a-f]{0,4}:){3,7}[0-9a-f]{1,4}\b|::ffff:[0-9a-f.:]+)"
    r"|demo-agency-token|other-agency-token|demo-qa-token"
    r"|\b[a-z2-7]{26}\.[A-Za-z0-9_-]{20,}"
    r"|/links/[a-z-]+/[A-Za-z0-9_-]{16,}")


class LogAudit(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        standard = logging.LogRecord("", 0, "", 0, "", None, None).__dict__
        fields = {k: v for k, v in record.__dict__.items() if k not in standard}
        text = f"{record.getMessage()} {fields!r}"
        # Dates and timestamps look like long digit runs to the phone pattern: drop them.
        text = re.sub(r"\d{4}-\d{2}-\d{2}(?:[T ][\d:.,]+(?:Z|[+-]\d{2}:?\d{2})?)?", "", text)
        for match in _PII.finditer(text):
            self.leaks.append(f"{record.name}: {match.group(0)!r} in {record.getMessage()!r}")


class EmfCapture:
    """The container's metrics sink in tests: keeps every EMF blob the code flushes
    (chalicelib/metrics.py) and, like LogAudit, notes personal data or secrets in them."""

    def __init__(self) -> None:
        self.blobs: list[dict[str, Any]] = []
        self.leaks: list[str] = []

    def __call__(self, blob: dict[str, Any]) -> None:
        self.blobs.append(blob)
        # The EMF timestamp is a long digit run that the phone pattern would take.
        scanned = {**blob, "_aws": {k: v for k, v in blob["_aws"].items() if k != "Timestamp"}}
        self.leaks.extend(m.group(0) for m in _PII.finditer(json.dumps(scanned)))

    def total(self, name: str, **dimensions: str) -> float:
        """The sum of ``name`` over the blobs that carry these dimension values."""
        return sum(sum(blob[name]) for blob in self.blobs if name in blob
                   and all(blob.get(k) == v for k, v in dimensions.items()))

    def dimensions(self, name: str) -> list[list[str]]:
        return [sorted(blob["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0])
                for blob in self.blobs if name in blob]


class ScanForbidden(AssertionError):
    pass


def _forbid_scan(**_: Any) -> None:
    raise ScanForbidden("Scan issued in a request or job path")


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def aws(settings: Settings) -> Iterator[None]:
    mock = start_mock()
    try:
        prepare_aws(settings)
        yield
    finally:
        mock.stop()


@pytest.fixture
def container(aws: None, settings: Settings, clock: FixedClock) -> Iterator[Container]:
    container = Container(settings, clock=clock)
    emf = EmfCapture()
    container.metrics.sink = emf
    container.dynamodb.meta.events.register("before-call.dynamodb.Scan", _forbid_scan)
    # Every AWS call the code makes must be allowed by the deployed IAM policies.
    recorder = Recorder()
    recorder.hook(container.dynamodb)
    recorder.hook(container.ses)
    recorder.hook(container.s3)
    recorder.hook(container.sqs)
    recorder.hook(container.kms)
    recorder.hook(container.cognito)
    configure_logging()
    audit = LogAudit()
    logging.getLogger("freigabe").addHandler(audit)
    install(container)
    # The user pool's people cost ~25 calls: seeded where a test asks (fixture ``people``).
    seed_demo(container, people=False)
    try:
        yield container
    finally:
        logging.getLogger("freigabe").removeHandler(audit)
    install(None)
    assert not audit.leaks, "personal data or a secret in the logs:\n" + "\n".join(audit.leaks)
    assert not emf.leaks, "personal data or a secret in the metrics:\n" + "\n".join(emf.leaks)
    problems = violations(recorder.calls, settings.table_prefix,
                          settings.mail_sender.rsplit("@", 1)[-1].rstrip(">"))
    assert not problems, "IAM policy does not allow:\n" + "\n".join(problems)


@pytest.fixture
def people(container: Container) -> dict[str, str]:
    """The contract's seeded people (devstack DEMO_USERS) in the pool: email → user id."""
    from devstack.environment import seed_people

    seed_people(container)
    ids = {u["email"]: u["user_id"] for a in ("demo", "other")
           for u in container.staff.list(a)["users"]}
    ids["qa@freigabe.example"] = container.users.by_email("qa@freigabe.example")["user_id"]
    return ids


@pytest.fixture
def emf(container: Container) -> EmfCapture:
    return container.metrics.sink


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class Http:
    """``chalice.test.Client`` with JSON and bearer-token conveniences."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def request(self, method: str, path: str, *, json_body: Any = None, body: bytes | str | None = None,
                token: str | None = None, headers: dict[str, str] | None = None) -> Reply:
        sent = {"Content-Type": "application/json"}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        sent.update(headers or {})
        if json_body is not None:
            body = json.dumps(json_body)
        response = self.client.http.request(method, path, headers=sent, body=body or b"")
        return Reply(response.status_code, {k.lower(): v for k, v in response.headers.items()},
                     response.body if isinstance(response.body, bytes) else
                     str(response.body or "").encode())

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, json_body: Any = None, **kw: Any) -> Reply:
        return self.request("POST", path, json_body=json_body, **kw)

    def put(self, path: str, json_body: Any = None, **kw: Any) -> Reply:
        return self.request("PUT", path, json_body=json_body, **kw)

    def head(self, path: str, **kw: Any) -> Reply:
        return self.request("HEAD", path, **kw)

    def form_post(self, path: str, data: str = "confirm=1") -> Reply:
        return self.request("POST", path, body=data,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})


@pytest.fixture
def http(container: Container) -> Iterator[Http]:
    with Client(application.app, stage_name="local") as client:
        yield Http(client)


@pytest.fixture
def outbox(container: Container) -> Any:
    from chalicelib.devtools import read_outbox

    return lambda: read_outbox(container.settings.region)


def tour_payload(mode: str = "email", **overrides: Any) -> dict[str, Any]:
    payload = {
        "title": "Altbauwohnung Prenzlauer Berg",
        "tour_url": "https://touren.example/altbau",
        "property_id": "prop-1",
        "protection": {"mode": mode, "required_fields": ["first_name", "last_name"],
                       "protected_viewpoints": ["wohnzimmer", "bad"]},
        "contact": {"name": "Dana Demo", "company": "Demo Makler GmbH",
                    "email": "dana@demo-makler.de", "phone": "+49 30 1234567"},
    }
    payload.update(overrides)
    return payload


def owner_fields(n: int = 1) -> dict[str, str]:
    """What the ops ``create_agency`` event needs besides the agency (contract v2)."""
    return {"owner_email": f"inhaber{n}@owner.example", "owner_name": "Ina Inhaber",
            "privacy_url": "https://owner.example/datenschutz"}


def registration_payload(**overrides: Any) -> dict[str, Any]:
    payload = {"first_name": "Eva", "last_name": "Muster", "email": "eva@example.org",
               "privacy_accepted": True}
    payload.update(overrides)
    return payload


@pytest.fixture
def make_tour(http: Http) -> Any:
    def make(mode: str = "email", token: str = DEMO, **overrides: Any) -> dict[str, Any]:
        reply = http.post("/agency/tours", tour_payload(mode, **overrides), token=token)
        assert reply.status == 201, reply.body
        return reply.json

    return make

