"""Webhooks on the real local stack (``python -m devstack``): a receiver on 127.0.0.1
registered by the owner gets the first attempt within 5 s of the change without any job
(moto's SQS and the sender's own handler), signed so that ``standardwebhooks`` verifies
it; a receiver that was down gets the event through ``POST /dev/jobs/webhook-retry`` once
the clock has moved, with the same ``webhook-id``."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from standardwebhooks.webhooks import Webhook

from tests.functional.webhooks.support import Receiver, start_receiver
from tests.live_stack import Running, local_stack

AUTH = "demo-agency-token"


@pytest.fixture(scope="module")
def stack() -> Iterator[Running]:
    with local_stack() as run:
        yield run


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = start_receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def wait_for(receiver: Receiver, count: int, seconds: float) -> float:
    started = time.monotonic()
    while len(receiver.received) < count:
        assert time.monotonic() - started < seconds, receiver.received
        time.sleep(0.05)
    return time.monotonic() - started


def test_first_attempt_within_5_seconds_and_retries_through_the_job(
        stack: Running, receiver: Receiver) -> None:
    api = stack.stack
    hook = api.call("POST", "/agency/webhooks", token=AUTH, json_body={
        "url": receiver.url, "events": ["address.deleted", "address.store_until_changed"]})
    assert hook.status == 201, hook.body
    secret, wid = hook.json["secret"], hook.json["webhook_id"]
    address = api.call("POST", "/agency/addresses", token=AUTH,
                       json_body={"last_name": "Lokal", "email": "lokal@example.org"})
    assert api.call("DELETE", f"/agency/addresses/{address.json['address_id']}",
                    token=AUTH).status == 200
    assert wait_for(receiver, 1, 5.0) < 5.0
    [first] = receiver.received
    body = Webhook(secret).verify(first.body, first.headers)
    assert body["type"] == "address.deleted"
    assert body["data"]["address_id"] == address.json["address_id"]

    # Down for the first attempt: the job delivers it once the clock has moved.
    receiver.fail_next(503)
    other = api.call("POST", "/agency/addresses", token=AUTH, json_body={"last_name": "Zwei"})
    assert api.call("PATCH", f"/agency/addresses/{other.json['address_id']}", token=AUTH,
                    json_body={"store_until": "2031-01-31"}).status == 200
    wait_for(receiver, 2, 5.0)
    [pending] = [d for d in api.call("GET", f"/agency/webhooks/{wid}/deliveries",
                                     token=AUTH).json["deliveries"] if d["status"] == "pending"]
    assert pending["last_status_code"] == 503
    try:
        assert api.call("PUT", "/dev/clock",
                        json_body={"now": "2099-01-01T00:00:00Z"}).status == 200
        summary = api.call("POST", "/dev/jobs/webhook-retry").json
        assert summary["job"] == "webhook-retry" and summary["delivered"] == 1
    finally:
        api.call("DELETE", "/dev/clock")
    assert len(receiver.received) == 3
    assert receiver.received[1].headers["webhook-id"] == receiver.received[2].headers[
        "webhook-id"]
    Webhook(secret).verify(receiver.received[2].body, receiver.received[2].headers)
