"""Webhooks (issue 16): what an event costs. A tour registration (its event
``registration.created`` carries personal data, so each delivery also writes its erasure
index item) with no webhook, then with 1 and 3 subscribed webhooks: the first request after
the webhooks appeared (it learns the subscription) and a warm one; and one sender attempt
(claim, webhook read, KMS, outcome, retry message)."""

from __future__ import annotations

from typing import Any

from bench.counting import Work
from bench.stack import DEMO, BenchStack

DEAD_RECEIVER = "http://127.0.0.1:9/hook"  # connection refused: every attempt fails


def _row(work: Work) -> dict[str, Any]:
    return {**work.as_dict(), "sqs": sum(n for op, n in work.calls.items()
                                         if op.startswith("sqs:SendMessage")),
            "kms": sum(n for op, n in work.calls.items() if op in ("kms:Decrypt",
                                                                  "kms:Encrypt"))}


def measure(stack: BenchStack) -> dict[str, Any]:
    # The counter names every non-DynamoDB call "<service>:<operation>" (bench/counting.py).
    stack.counter.hook(stack.container.sqs)
    stack.counter.hook(stack.container.kms)
    from tests.conftest import tour_payload  # the functional tests' tour

    created = stack.request("POST", "/agency/tours", token=DEMO, json_body=tour_payload("email"))
    assert created.status == 201, created.body
    tour = created.json["tour_id"]
    serial = iter(range(1_000_000))

    def register() -> dict[str, Any]:
        with stack.counter.measure() as work:
            reply = stack.request("POST", f"/tours/{tour}/registrations", json_body={
                "first_name": "Eva", "last_name": "Bench",
                "email": f"bench{next(serial)}@example.org",
                "privacy_accepted": True})
        assert reply.status == 202, reply.body
        return _row(work)

    results: dict[str, Any] = {"no_webhooks": register()}
    total = 0
    for count in (1, 3):
        while total < count:
            created = stack.request("POST", "/agency/webhooks", token=DEMO, json_body={
                "url": DEAD_RECEIVER, "events": ["registration.created"]})
            assert created.status == 201, created.body
            total += 1
        results[f"{count}_webhooks"] = {"first": register(), "warm": register()}
    queue = stack.container.webhook_queue
    message = stack.container.sqs.receive_message(QueueUrl=queue.url,
                                                  MaxNumberOfMessages=1)["Messages"][0]
    import json

    body = json.loads(message["Body"])
    from chalicelib.webhooks.sender import SendReport

    with stack.counter.measure() as work:
        stack.container.webhook_sender.attempt(body["webhook_id"], body["delivery_id"],
                                               SendReport())
    results["sender_attempt"] = _row(work)
    return results
