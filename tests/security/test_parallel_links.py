"""Single use under concurrency (issue 8, section 5), against the real local stack: 20
parallel POSTs of one unlock link, and 10 + 10 parallel POSTs of a manual release's
"Zugang gewähren" and "Zugang verweigern" links. Exactly one POST wins; every other one
answers 410; the registration changes once and the prospect gets exactly one mail."""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Any

import pytest

from tests.conftest import DEMO, registration_payload, tour_payload
from tests.live_stack import Stack, local_stack

PARALLEL = 20


@pytest.fixture(scope="module")
def stack() -> Any:
    with local_stack() as run:
        yield run.stack


def link(stack: Stack, purpose: str, to: str) -> str:
    for message in reversed(stack.call("GET", "/dev/outbox").json["messages"]):
        if to in message["to"]:
            found = re.findall(rf"http://127\.0\.0\.1:\d+/links/{purpose}/[A-Za-z0-9_-]+",
                               message["text"])
            if found:
                return found[-1]
    raise AssertionError(f"no {purpose} link for {to}")


def post_in_parallel(stack: Stack, urls: list[str]) -> list[int]:
    barrier = threading.Barrier(len(urls))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def post(url: str) -> None:
        try:
            barrier.wait()
            statuses.append(stack.call("POST", url, form="confirm=1").status)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=post, args=(u,)) for u in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return statuses



def test_one_unlock_link_posted_20_times_at_once_unlocks_once(stack):
    tour = stack.call("POST", "/agency/tours", json_body=tour_payload("email"), token=DEMO).json
    registered = stack.call("POST", f"/tours/{tour['tour_id']}/registrations",
                            json_body=registration_payload(email="race@example.org")).json
    url = link(stack, "unlock", "race@example.org")

    statuses = Counter(post_in_parallel(stack, [url] * PARALLEL))
    assert statuses == {303: 1, 410: PARALLEL - 1}, statuses
    access = stack.call("GET", f"/tours/{tour['tour_id']}/access",
                        headers={"X-Viewer-Token": registered["viewer_token"]}).json
    assert access["status"] == "unlocked"
    stats = stack.call("GET", f"/agency/tours/{tour['tour_id']}/stats", token=DEMO).json
    assert stats["unlocked"] == 1 and stats["pending_email"] == 0
    assert len(stack.outbox("race@example.org")) == 1  # the unlock mail, nothing more


def test_approve_and_deny_posted_10_times_each_at_once_decide_once(stack):
    tour = stack.call("POST", "/agency/tours", json_body=tour_payload("manual"), token=DEMO).json
    stack.call("POST", f"/tours/{tour['tour_id']}/registrations",
               json_body=registration_payload(email="decide@example.org"))
    approve = link(stack, "approve", "dana@demo-makler.de")
    deny = link(stack, "deny", "dana@demo-makler.de")

    statuses = post_in_parallel(stack, [approve, deny] * (PARALLEL // 2))
    assert Counter(statuses) == {200: 1, 410: PARALLEL - 1}, Counter(statuses)
    [listed] = stack.call("GET", f"/agency/tours/{tour['tour_id']}/registrations",
                          token=DEMO).json["registrations"]
    assert listed["status"] in ("unlocked", "denied")
    # The waiting mail and exactly one decision mail.
    assert len(stack.outbox("decide@example.org")) == 2
    for url in (approve, deny):
        assert stack.call("POST", url, form="confirm=1").status == 410
