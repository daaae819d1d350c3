"""DynamoDB faults on every state-changing request (issue 8, section 3).

For each scenario of ``scenarios.SCENARIOS`` a clean run in a fresh world gives the
reference: what the request adds to the tables (normalised: key patterns, statuses and
attribute names, without random ids) and which mails go out. Then, each time in a fresh
world again:

- every write of the request throttled, or every transaction cancelled by a conflict:
  the answer is 503 with ``Retry-After`` (never 500), the tables are byte-for-byte as
  before, no mail; the client's retry then does exactly what the clean run did;
- a throttle at the k-th write call only, for every k the clean run makes: the answer
  is 503 with nothing changed, or the success answer; after the client's retries (on 503)
  and the mail job, tables and mails equal the clean run's: nothing lost, nothing twice.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

import app as application
from tests.faults.scenarios import LINK, SCENARIOS, Scenario, World
from tests.faults.worlds import THROTTLE_CODES, DynamoFaults, fresh_world, seeded_randomness, shape
from tests.support import dump

FIGURES: Counter[str] = Counter()


def mail_job(world: World) -> dict[str, Any]:
    return world.ok(world.http.post("/dev/jobs/mail-retry", {}))


def settle(world: World) -> None:
    """What happens after the request without anyone's help: the mail job, run every few
    minutes for a while."""
    for _ in range(4):
        world.clock.advance(minutes=10)
        mail_job(world)


def mails(world: World, since: int) -> Counter[tuple[str, str]]:
    return Counter((",".join(m["to"]), m["subject"]) for m in world.outbox()[since:])


def delta(before: Counter[Any], after: Counter[Any]) -> dict[Any, int]:
    return {k: after[k] - before[k] for k in set(before) | set(after) if after[k] != before[k]}


class Reference:
    def __init__(self, world: World, scenario: Scenario, faults: DynamoFaults) -> None:
        region = world.container.settings.region
        fresh_world(world.container, world.clock)
        act = scenario.prepare(world)
        before, sent_before = shape(region), len(world.outbox())
        faults.reset()
        reply = act()
        assert reply.status == scenario.status, (scenario.name, reply.status, reply.body[:300])
        self.writes = faults.writes
        settle(world)
        self.changes = delta(before, shape(region))
        self.mails = mails(world, sent_before)
        assert self.changes, f"{scenario.name}: the clean run changed nothing"


def explain(got: dict[Any, int], want: dict[Any, int]) -> str:
    """The items in which two table changes differ, in full (pytest truncates them)."""
    lines = []
    for key in sorted(set(got) | set(want), key=str):
        if got.get(key) != want.get(key):
            lines.append(f"{got.get(key, 0):+d} here, {want.get(key, 0):+d} in the clean run: {key}")
    return "\n".join(lines)


def assert_same_changes(got: dict[Any, int], reference: Reference, case: str) -> None:
    assert got == reference.changes, f"{case}:\n{explain(got, reference.changes)}"


def retry_until_answered(act: Any, scenario: Scenario) -> Any:
    for _ in range(3):
        reply = act()
        assert reply.status != 500, (scenario.name, reply.body[:300])
        if reply.status != 503:
            return reply
    raise AssertionError(f"{scenario.name}: still 503 without faults")


def assert_unavailable(reply: Any, scenario: Scenario) -> None:
    assert reply.status == 503, (scenario.name, reply.status, reply.body[:300])
    assert int(reply.headers["retry-after"]) >= 1
    if reply.headers.get("content-type", "").startswith("application/json"):
        assert reply.json["error"]["code"] == "temporarily_unavailable"


# -- every write route is covered --------------------------------------------------------------

def test_every_write_route_has_a_scenario(container):
    covered = {(s.method, s.route) for s in SCENARIOS}
    writes = {(method, path) for path, methods in application.app.routes.items()
              for method in methods
              if method not in ("GET", "HEAD", "OPTIONS") and not path.startswith("/dev/")
              and path != LINK}
    assert writes <= covered, sorted(writes - covered)
    purposes = set(container.links._actions)
    assert {f"/links/{p}/{{token}}" for p in purposes} <= {r for _, r in covered}, purposes


# -- every scenario under every DynamoDB fault ----------------------------------------------------

def whole_request_faulted(world: World, scenario: Scenario, faults: DynamoFaults,
                          reference: Reference, fault: str) -> None:
    """Every write of the request fails: 503, nothing stored, no mail; the client's retry
    then does exactly what the clean run did."""
    region = world.container.settings.region
    fresh_world(world.container, world.clock)
    act = scenario.prepare(world)
    before_dump, before_shape, sent_before = dump(region), shape(region), len(world.outbox())
    faults.reset()
    faults.code = ("TransactionConflict" if fault == "conflict"
                   else THROTTLE_CODES[SCENARIOS.index(scenario) % len(THROTTLE_CODES)])
    faults.fail_all = True
    failed = act()
    faults.fail_all = False
    FIGURES[f"dynamodb {fault} (whole request)"] += 1
    assert_unavailable(failed, scenario)
    assert dump(region) == before_dump, f"{scenario.name}: a refused request left traces"
    assert len(world.outbox()) == sent_before

    again = retry_until_answered(act, scenario)
    assert again.status == scenario.status, (scenario.name, again.status, again.body[:300])
    settle(world)
    assert_same_changes(delta(before_shape, shape(region)), reference, f"{scenario.name} {fault}")
    assert mails(world, sent_before) == reference.mails, scenario.name


def one_write_throttled(world: World, scenario: Scenario, faults: DynamoFaults,
                        reference: Reference, k: int) -> None:
    """Only the k-th write call fails: 503 or the success answer; after the client's
    retries (on 503) and the mail job, tables and mails equal the clean run's."""
    region = world.container.settings.region
    fresh_world(world.container, world.clock)
    act = scenario.prepare(world)
    before_dump, before_shape = dump(region), shape(region)
    sent_before = len(world.outbox())
    faults.reset()
    faults.code = THROTTLE_CODES[k % len(THROTTLE_CODES)]
    faults.fail_at = k
    first = act()
    faults.fail_at = None
    FIGURES["dynamodb throttle (one write)"] += 1
    case = f"{scenario.name}, write {k} of {reference.writes} ({faults.operations})"
    assert first.status in (scenario.status, 503), (case, first.status, first.body[:300])
    if first.status == 503:
        assert_unavailable(first, scenario)
        if dump(region) != before_dump:
            # The main change committed and a later step was throttled: the 503 asks the
            # client to repeat, so repeating must finish the work without doing it twice
            # (a deletion's clean-up, for one). Checked below against the clean run.
            FIGURES["503 after a commit, finished by the retry"] += 1
        again = retry_until_answered(act, scenario)
        assert again.status == scenario.status, (case, again.status, again.body[:300])
    settle(world)
    assert_same_changes(delta(before_shape, shape(region)), reference, case)
    assert mails(world, sent_before) == reference.mails, case


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_dynamodb_faults_lose_nothing_and_duplicate_nothing(world, faults, scenario):
    with seeded_randomness():
        reference = Reference(world, scenario, faults)
        assert reference.writes >= 1
        for fault in ("throttle", "conflict"):
            whole_request_faulted(world, scenario, faults, reference, fault)
        for k in range(1, reference.writes + 1):
            one_write_throttled(world, scenario, faults, reference, k)
