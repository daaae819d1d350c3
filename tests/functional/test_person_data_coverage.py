"""Every item kind written holds no personal data, or a registered holder claims it
(``chalicelib.personal_data``, docs/architecture.md).

The writes come from every state-changing request of the API (the fault tests' scenario
catalogue: ``test_every_write_route_has_a_scenario`` already fails when a write route or
link purpose has no scenario), the scheduled jobs, and the operator's export/erasure.
Every key a PutItem, UpdateItem, DeleteItem, BatchWriteItem or TransactWriteItems names is
recorded from the botocore request, and every item left in the tables is looked at too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import ops
from chalicelib.config import Settings
from chalicelib.personal_data import Controller, Registry
from tests.faults.scenarios import SCENARIOS, World
from tests.faults.worlds import all_items, fresh_world
from tests.functional.reviews.support import source_ip

LOGICAL_TABLES = ("core", "tours", "addresses", "reviews", "ledger")
JOBS = ("mail-retry", "review-sweep", "retention-sweep")
PUBLIC_IP = "93.184.216.34"


@pytest.fixture
def settings() -> Settings:
    # Every eligible review sampled: the review sweep has re-verification work to write.
    return Settings.from_env().model_copy(update={"review_reverify_share": 1.0})


class Writes:
    """(logical table, pk, sk) of every write the app's DynamoDB client sends."""

    def __init__(self, container: Any) -> None:
        self.names = {container.settings.table(n): n for n in LOGICAL_TABLES}
        self.keys: set[tuple[str, str, str]] = set()
        container.dynamodb.meta.events.register("before-parameter-build.dynamodb",
                                                self._record)

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "TransactWriteItems":
            for op in params.get("TransactItems", []):
                for kind in ("Put", "Update", "Delete"):
                    if kind in op:
                        self._add(op[kind]["TableName"], op[kind].get("Key") or op[kind]["Item"])
        elif model.name in ("PutItem", "UpdateItem", "DeleteItem"):
            self._add(params["TableName"], params.get("Key") or params["Item"])
        elif model.name == "BatchWriteItem":
            for table, requests in params.get("RequestItems", {}).items():
                for request in requests:
                    body = request.get("PutRequest") or request.get("DeleteRequest") or {}
                    self._add(table, body.get("Key") or body["Item"])

    def _add(self, table: str, key: dict[str, Any]) -> None:
        self.keys.add((self.names.get(table, table), _plain(key["pk"]), _plain(key["sk"])))

    def stored(self, region: str) -> None:
        for table, items in all_items(region).items():
            for item in items:
                self.keys.add((self.names.get(table, table), item["pk"], item["sk"]))


def _plain(value: Any) -> str:
    return value["S"] if isinstance(value, dict) else value


@pytest.fixture
def writes(container: Any) -> Iterator[Writes]:
    yield Writes(container)


def _unclaimed(registry: Registry, keys: set[tuple[str, str, str]]) -> list[tuple[str, ...]]:
    """The unclaimed kinds, as (table, pk up to its first '#', sk up to its first '#')."""
    return sorted({(t, _prefix(pk), _prefix(sk)) for t, pk, sk in keys
                   if not registry.claim(t, pk, sk) and not registry.is_neutral(t, pk, sk)})


def _prefix(key: str) -> str:
    head, sep, _ = key.partition("#")
    return head + sep


def test_every_item_kind_written_has_a_holder_or_holds_no_personal_data(
        http: Any, outbox: Any, clock: Any, container: Any, writes: Writes) -> None:
    world = World(http, outbox, clock, container)
    region = container.settings.region
    # From a public address: loopback carries no IP signal, so the IP items would be
    # missing.
    with source_ip(PUBLIC_IP):
        for scenario in SCENARIOS:
            fresh_world(container, clock)
            act = scenario.prepare(world)
            assert act().status == scenario.status, scenario.name
            for job in JOBS:
                clock.advance(days=3)
                world.ok(http.post(f"/dev/jobs/{job}", {}))
            writes.stored(region)

        # The operator's paths write too (idempotency record, the erasure's tombstone),
        # and so does SES feedback (the suppression list).
        fresh_world(container, clock)
        tour = world.tour("manual")
        world.register(tour, email="eva@example.org")
        review_id = world.confirmed_review(email="eva@example.org")
        # A notice (DSA Art. 16) with the notifier's email: its index names the notifier.
        # (The notice route has no fault scenario yet, so it is filed here.)
        world.ok(http.post(f"/agencies/demo/reviews/{review_id}/notices",
                           {"reason": "Diese Bewertung ist unwahr und beleidigend.",
                            "email": "nachbar@example.org", "name": "Nina"}), 202)
        for email in ("eva@example.org", "nachbar@example.org"):
            for action in ("export_person", "erase_person"):
                answer = ops.handle({"action": action, "agency_id": "demo",
                                     "email": email}, container)
                assert answer["ok"], answer
        container.suppressions.suppress("bounced@example.org", "bounce", None, "feedback-1")
        writes.stored(region)

    registry = container.person_data
    assert len(writes.keys) > 100  # the recorder saw the writes (not an empty pass)
    unclaimed = _unclaimed(registry, writes.keys)
    assert unclaimed == [], "\n".join(map(str, unclaimed))
    # Each holder's kinds were seen: no claim is dead.
    # (For the holders these scenarios feed; staff accounts and webhook deliveries need
    # the user pool's people and subscriptions, which the scenarios do not set up.)
    for holder, kind in registry.kinds():
        if holder.name in ("addresses", "tours", "links", "mail", "reviews",
                           "review_invitations"):
            assert any(kind.matches(*k) for k in writes.keys), (holder.name, kind)


def test_a_kind_no_holder_claims_is_found(container: Any) -> None:
    registry = container.person_data
    written = {("core", "PROSPECT#x", "NEW"), ("tours", "REG#r1", "REG"),
               ("core", "TOKEN#h", "TOKEN")}
    assert _unclaimed(registry, written) == [("core", "PROSPECT#", "NEW")]


def test_holders_state_their_controller_and_art30_facts(container: Any) -> None:
    registry = container.person_data
    holders = list(registry)
    assert [h.name for h in holders][:1] == ["addresses"]  # names the others' refs
    for holder in holders:
        assert isinstance(holder.controller, Controller)
        record = holder.record
        assert record.purpose and record.data_categories and record.recipients
        assert record.retention
        assert holder.kinds and all(k.table in LOGICAL_TABLES for k in holder.kinds)
    # Who wrote a review and what they answered is the platform's: never the agency's.
    assert registry.get("reviews").controller is Controller.PLATFORM
    assert "reviews" not in [h.name for h in registry.agency()]
    assert {"addresses", "tours", "links", "mail",
            "review_invitations"} <= {h.name for h in registry.agency()}
