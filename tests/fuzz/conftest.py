"""The fuzzers' target: the real local stack, started once per module and seeded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fuzz.support import Target, seed
from tests.live_stack import local_stack


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    with local_stack() as run:
        found = Target(run)
        seed(found)
        yield found
        # Whatever the fuzzer did, the server must still be up and answering.
        assert run.process.poll() is None, run.log()
        assert run.stack.call("GET", "/health").status == 200

