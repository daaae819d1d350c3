"""Helpers for the fault tests: a fresh moto world inside one test (so a clean run and a
faulted run of the same scenario can be compared), reproducible ids, a normalised view of
every table, and injectors for DynamoDB and SES faults (botocore event hooks on the app's
own clients, so the code under test is unchanged)."""

from __future__ import annotations

import json
import random
import re
import secrets
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from moto.core.base_backend import BackendDict
from moto.moto_api._internal import mock_random

from tests.conftest import START
from tests.support import all_items

WRITE_OPERATIONS = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems",
                    "BatchWriteItem")
THROTTLE_CODES = ("ProvisionedThroughputExceededException", "ThrottlingException",
                  "RequestLimitExceeded")


# -- reproducible randomness -----------------------------------------------------------------

_seeded: list[tuple[random.Random, int]] = []


@contextmanager
def seeded_randomness(seed: int = 8) -> Iterator[random.Random]:
    """Every id, token and sample slot the app draws comes from ``secrets``; drawn from a
    seeded generator instead (re-seeded by ``fresh_world``), two runs of the same story
    produce the same tables."""
    rng = random.Random(seed)  # noqa: S311 - reproducible ids in tests, on purpose
    _seeded.append((rng, seed))
    patch = pytest.MonkeyPatch()
    patch.setattr(secrets, "token_bytes", lambda n=32: rng.randbytes(n))
    patch.setattr(secrets, "token_urlsafe",
                  lambda n=32: __import__("base64").urlsafe_b64encode(rng.randbytes(n))
                  .rstrip(b"=").decode("ascii"))
    patch.setattr(secrets, "randbelow", lambda n: rng.randrange(n))
    # The counter shard of a tour's statistics is picked with ``random``.
    shards = random.Random(seed + 1)  # noqa: S311 - as above
    patch.setattr("chalicelib.tours.repository.random", shards)
    _seeded.append((shards, seed + 1))
    try:
        yield rng
    finally:
        patch.undo()
        del _seeded[-2:]


# -- a fresh world inside the same test ---------------------------------------------------------

# The container's parts that hold the user pool's id (chalicelib/wiring.py).
POOL_BOUND = ("user_pool", "people", "sessions", "staff", "password_reset", "authenticator",
              "auth_throttle")


def fresh_world(container: Any, clock: Any) -> None:
    """Empties every moto backend and prepares it as the ``container`` fixture does: the
    tables, the verified sender, the demo agencies and tokens, the clock at START."""
    from devstack.environment import prepare_aws, seed_demo

    for rng, seed in _seeded:
        rng.seed(seed)
    if _seeded:
        # moto draws the user pool's ids and its users' subs from its own generator.
        mock_random.seed(_seeded[0][1])
    BackendDict.reset()
    prepare_aws(container.settings)
    # The reset user pool comes back under a new id: forget what the container built on
    # the old one (found by the local stage's lookup by name on next use).
    for name in POOL_BOUND:
        container.__dict__.pop(name, None)
    clock.set(START)
    seed_demo(container)


# -- the tables as data --------------------------------------------------------------------------



_RANDOM_PARTS = [
    (re.compile(r"[0-9a-f]{64}"), "<hash>"),           # SHA-256 of tokens and keyed hashes
    # new_id(); also after the \x01 that joins an address's search order (JSON: \u0001).
    (re.compile(r"(?:(?<![A-Za-z0-9])|(?<=\\u0001))[a-z2-7]{26}(?![a-z0-9])"), "<id>"),
    (re.compile(r"[0-9a-f]{16}"), "<hex>"),
    # Shards and sample slots: drawn at random or derived from a random id.
    (re.compile(r"#\d{1,3}(?=[\"#])"), "#<n>"),
    (re.compile(r"\"sample_slot\": \d+"), "\"sample_slot\": <n>"),
    # Webhooks: KMS ciphertexts of random secrets, event ids derived from random ids.
    (re.compile(r"\"sealed\": \"[A-Za-z0-9+/=]+\""), "\"sealed\": <sealed>"),
    (re.compile(r"evt_[a-z2-7]{32}"), "evt_<id>"),
    # Accounts: the user pool's subs (uuid4, not seeded), API key ids and their shown prefix.
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"(?<![A-Za-z0-9])(?=[a-z]*[2-7])[a-z2-7]{16}(?![a-z0-9])"), "<key-id>"),
    (re.compile(r"\"prefix\": \"fg_[^\"]*\""), "\"prefix\": <prefix>"),
    # A sign-out everywhere is stamped in real seconds (tokens' iat are real time too).
    (re.compile(r"\"signed_out_at\": \d+"), "\"signed_out_at\": <now>"),
    # A re-entry mail is named by a prefix of its random link's hash.
    (re.compile(r"-reentry-[0-9a-f]{12}"), "-reentry-<hex>"),
]


def _normal(value: Any) -> str:
    text = str(value)
    for pattern, placeholder in _RANDOM_PARTS:
        text = pattern.sub(placeholder, text)
    return text


def shape(region: str) -> Counter[tuple[str, ...]]:
    """What is stored, without the random parts (ids, token hashes, counter shards): per
    item its table and its normalised content. Two runs that did the same thing have the
    same shape."""
    counted: Counter[tuple[str, ...]] = Counter()
    for table, items in all_items(region).items():
        for item in items:
            item.pop("provider_id", None)  # SES's (moto's) message id
            counted[(table, _normal(json.dumps(item, default=sorted, sort_keys=True,
                                               ensure_ascii=False)))] += 1
    return counted


# -- DynamoDB faults -------------------------------------------------------------------------------

def _error(code: str, status: int = 400, **extra: Any) -> tuple[AWSResponse, dict[str, Any]]:
    parsed = {"Error": {"Code": code, "Message": f"injected {code}"},
              "ResponseMetadata": {"HTTPStatusCode": status}, **extra}
    return AWSResponse("https://dynamodb.eu-central-1.amazonaws.com", status, {}, None), parsed


class DynamoFaults:
    """Answers chosen DynamoDB write calls with an error instead of performing them.

    ``before-call`` fires once per API call (botocore's own retries are inside it), so an
    injected throttle is one the SDK already gave up on. ``fail_at`` numbers the write
    calls from 1; ``fail_all`` fails every write while it is set.
    """

    def __init__(self, client: Any) -> None:
        self.code = THROTTLE_CODES[0]
        self.fail_all = False
        self.fail_at: int | None = None
        self.writes = 0
        self.injected = 0
        self.operations: list[str] = []
        self._sizes: list[int] = []
        client.meta.events.register("before-parameter-build.dynamodb.TransactWriteItems",
                                    self._size)
        for operation in WRITE_OPERATIONS:
            client.meta.events.register(f"before-call.dynamodb.{operation}", self._hook)

    def _size(self, params: dict[str, Any], **_: Any) -> None:
        self._sizes.append(len(params.get("TransactItems") or ()))

    def reset(self) -> None:
        self.fail_all = False
        self.fail_at = None
        self.writes = 0
        self.operations.clear()

    def _hook(self, model: Any, **_: Any) -> Any:
        self.writes += 1
        self.operations.append(model.name)
        if not (self.fail_all or self.fail_at == self.writes):
            return None
        self.injected += 1
        if self.code == "TransactionConflict":
            if model.name != "TransactWriteItems":
                return _error(THROTTLE_CODES[0])  # single writes know no conflicts: throttle
            size = self._sizes[-1] if self._sizes else 1
            reasons = [{"Code": "TransactionConflict", "Message": "injected"}] + \
                [{"Code": "None"}] * (size - 1)
            return _error("TransactionCanceledException", CancellationReasons=reasons)
        return _error(self.code)


class Killed(BaseException):
    """The Lambda's process dies (a timeout, an OOM): nothing in the code may catch it."""


class KillAfterCommits:
    """Kills the process right after the n-th committed write call of a job."""

    def __init__(self, client: Any) -> None:
        self.countdown: int | None = None
        self.commits = 0
        for operation in WRITE_OPERATIONS:
            client.meta.events.register(f"after-call.dynamodb.{operation}", self._after)

    def _after(self, http_response: Any = None, parsed: Any = None, **_: Any) -> None:
        if isinstance(parsed, dict) and parsed.get("Error"):
            return
        self.commits += 1
        if self.countdown is None:
            return
        self.countdown -= 1
        if self.countdown == 0:
            self.countdown = None
            raise Killed(f"killed after write {self.commits}")


# -- SES faults --------------------------------------------------------------------------------

SES_ERRORS = {"TooManyRequestsException": 429, "LimitExceededException": 400,
              "SendingPausedException": 400, "InternalFailure": 500,
              "MessageRejected": 400}


class SesFaults:
    """Answers ``sesv2:SendEmail`` with an error while ``fail_all`` is set or for the next
    ``planned`` codes; counts attempts and injected faults by code."""

    def __init__(self, client: Any) -> None:
        self.fail_all: str | None = None
        self.planned: list[str | None] = []
        self.attempts = 0
        self.injected: Counter[str] = Counter()
        client.meta.events.register("before-call.sesv2.SendEmail", self._hook)

    def _hook(self, **_: Any) -> Any:
        self.attempts += 1
        code = self.planned.pop(0) if self.planned else self.fail_all
        if code is None:
            return None
        self.injected[code] += 1
        status = SES_ERRORS.get(code, 400)
        parsed = {"Error": {"Code": code, "Message": f"injected {code}"},
                  "ResponseMetadata": {"HTTPStatusCode": status}}
        return AWSResponse("https://email.eu-central-1.amazonaws.com", status, {}, None), parsed
