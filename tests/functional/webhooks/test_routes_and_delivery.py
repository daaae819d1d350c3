"""Webhooks (issue 16) through the HTTP surface: the routes, signed deliveries verified by
the ``standardwebhooks`` package against a real receiver on 127.0.0.1, the SQS path run by
the sender function's own handler, retries through job ``webhook-retry`` on the
application clock, idempotent attempts, rotation, and the address events."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from chalicelib.clock import parse_iso
from tests.conftest import DEMO, OTHER
from tests.functional.privacy.support import create_address, delete, patch
from tests.functional.webhooks.support import Receiver, drain, queued, receiver_fixture, run_sender


@pytest.fixture
def receiver() -> Any:
    yield from receiver_fixture()


def register(http: Any, url: str, events: list[str], token: str = DEMO) -> dict[str, Any]:
    reply = http.post("/agency/webhooks", {"url": url, "events": events}, token=token)
    assert reply.status == 201, reply.body
    return reply.json


def deliveries(http: Any, webhook_id: str) -> list[dict[str, Any]]:
    reply = http.get(f"/agency/webhooks/{webhook_id}/deliveries", token=DEMO)
    assert reply.status == 200, reply.body
    return reply.json["deliveries"]


def job(http: Any) -> dict[str, Any]:
    reply = http.post("/dev/jobs/webhook-retry", {})
    assert reply.status == 200, reply.body
    return reply.json


def verified(receiver: Receiver, secret: str) -> list[dict[str, Any]]:
    return [Webhook(secret).verify(r.body, r.headers) for r in receiver.received]


def test_register_list_delete_and_the_secret_shown_once(http: Any, receiver: Receiver) -> None:
    created = register(http, receiver.url, ["address.deleted", "address.deleted",
                                            "registration.created"])
    assert created["events"] == ["address.deleted", "registration.created"]
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]+={0,2}", created["secret"])
    assert len(base64.b64decode(created["secret"][6:])) >= 24
    listed = http.get("/agency/webhooks", token=DEMO).json["webhooks"]
    assert [w["webhook_id"] for w in listed] == [created["webhook_id"]]
    assert all("secret" not in w for w in listed)
    assert created["secret"][6:] not in http.get("/agency/webhooks", token=DEMO).text
    # Another agency sees nothing of it.
    assert http.get("/agency/webhooks", token=OTHER).json == {"webhooks": []}
    wid = created["webhook_id"]
    for method, path in (("DELETE", ""), ("POST", "/ping"), ("POST", "/rotate-secret"),
                         ("GET", "/deliveries")):
        assert http.request(method, f"/agency/webhooks/{wid}{path}", token=OTHER).status == 404
    assert http.request("DELETE", f"/agency/webhooks/{wid}", token=DEMO).status == 200
    assert http.request("DELETE", f"/agency/webhooks/{wid}", token=DEMO).status == 404
    assert http.get("/agency/webhooks", token=DEMO).json == {"webhooks": []}


@pytest.mark.parametrize("body, field", [
    ({"url": "http://example.org/hook", "events": ["ping"]}, "url"),
    ({"url": "http://example.org/hook", "events": ["address.deleted"]}, "url"),
    ({"url": "https://crm.example/hook", "events": []}, "events"),
    ({"url": "https://crm.example/hook", "events": ["address.everything"]}, "events"),
    ({"url": "https://user:pw@crm.example/hook", "events": ["address.deleted"]}, "url"),
    ({"url": "ftp://crm.example/hook", "events": ["address.deleted"]}, "url"),
    ({"url": "https://crm.example/hook\r\nX: y", "events": ["address.deleted"]}, "url"),
])
def test_bad_registrations_are_refused_and_store_nothing(http: Any, body: dict[str, Any],
                                                         field: str) -> None:
    reply = http.post("/agency/webhooks", body, token=DEMO)
    assert reply.status == 422, reply.body
    assert field in reply.json["error"]["fields"]
    assert http.get("/agency/webhooks", token=DEMO).json == {"webhooks": []}


def test_address_events_arrive_signed_once_with_the_contract_data(
        http: Any, container: Any, receiver: Receiver) -> None:
    hook = register(http, receiver.url, ["address.deletion_requested",
                                         "address.store_until_changed", "address.deleted"])
    address = create_address(http, last_name="Muster", email="eva@example.org")
    aid = address["address_id"]
    assert patch(http, aid, {"store_until": "2030-12-31",
                             "store_until_reason": "Steuerrecht"}).status == 200
    # The same request again changes nothing and emits nothing.
    assert patch(http, aid, {"store_until": "2030-12-31",
                             "store_until_reason": "Steuerrecht"}).status == 200
    assert patch(http, aid, {"gdpr_status": "deletion_requested"}).status == 200
    assert patch(http, aid, {"store_until": None}).status == 200
    assert delete(http, aid).status == 200
    drain(http, container)
    bodies = verified(receiver, hook["secret"])
    assert [b["type"] for b in bodies] == [
        "address.store_until_changed", "address.deletion_requested",
        "address.store_until_changed", "address.deleted"]
    first, requested, cleared, deleted = (b["data"] for b in bodies)
    assert first == {"address_id": aid, "external_id": None, "store_until": "2030-12-31",
                     "reason": "Steuerrecht", "manual": True}
    assert cleared == {"address_id": aid, "external_id": None, "store_until": None,
                       "reason": None, "manual": False}
    assert set(requested) == set(deleted) == {"address_id", "external_id", "at"}
    assert deleted["address_id"] == aid
    assert all(b["timestamp"] == "2026-11-23T09:00:00.000Z" for b in bodies)
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 4
    assert all(d["status"] == "delivered" and d["attempts"] == 1
               and d["last_status_code"] == 200 for d in deliveries(http, hook["webhook_id"]))
    # Only the subscribed types: a webhook for another type got nothing.


def test_unsubscribed_types_and_other_agencies_get_nothing(http: Any, container: Any,
                                                           receiver: Receiver) -> None:
    register(http, receiver.url, ["address.deleted"], token=OTHER)
    mine = register(http, receiver.url, ["address.consent_given"])
    aid = create_address(http, last_name="Muster")["address_id"]
    assert patch(http, aid, {"gdpr_status": "deletion_requested"}).status == 200
    assert delete(http, aid).status == 200
    assert queued(container) == []
    assert deliveries(http, mine["webhook_id"]) == []
    assert receiver.received == []


def test_a_ping_arrives_and_the_same_message_twice_makes_one_attempt(
        http: Any, container: Any, receiver: Receiver) -> None:
    hook = register(http, receiver.url, ["address.deleted"])
    reply = http.post(f"/agency/webhooks/{hook['webhook_id']}/ping", token=DEMO)
    assert reply.status == 202 and reply.json["status"] == "pending"
    messages = queued(container)
    assert len(messages) == 1
    run_sender(http, messages + messages)
    [body] = verified(receiver, hook["secret"])
    assert body == {"type": "ping", "timestamp": "2026-11-23T09:00:00.000Z", "data": {}}
    [record] = deliveries(http, hook["webhook_id"])
    assert (record["status"], record["attempts"], record["type"]) == ("delivered", 1, "ping")
    assert record["delivery_id"] == reply.json["delivery_id"]


def test_a_receiver_down_gets_the_event_later_with_the_same_id(
        http: Any, container: Any, clock: Any, receiver: Receiver, emf: Any) -> None:
    hook = register(http, receiver.url, ["address.deleted"])
    receiver.fail_next(503, 500)
    assert delete(http, create_address(http, last_name="Muster")["address_id"]).status == 200
    drain(http, container)
    [record] = deliveries(http, hook["webhook_id"])
    assert (record["status"], record["attempts"], record["last_status_code"]) == (
        "pending", 1, 503)
    assert parse_iso(record["next_attempt_at"]) == clock.now() + timedelta(minutes=1)
    assert job(http)["due"] == 0  # not due yet
    clock.advance(minutes=1, seconds=1)
    assert job(http)["retrying"] == 1
    [record] = deliveries(http, hook["webhook_id"])
    assert parse_iso(record["next_attempt_at"]) == clock.now() + timedelta(minutes=5)
    clock.advance(minutes=5)
    assert job(http)["delivered"] == 1
    assert len(receiver.received) == 3
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert len(verified(receiver, hook["secret"])) == 3
    [record] = deliveries(http, hook["webhook_id"])
    assert (record["status"], record["attempts"], record["next_attempt_at"]) == (
        "delivered", 3, None)
    # The SQS retries that were queued meanwhile find nothing left to do.
    run_sender(http, [m for m in queued(container)])
    assert len(receiver.received) == 3
    # What the failure-rate alarm watches (infra/build_template.py).
    assert emf.total("WebhookAttemptFailed") == 2 and emf.total("WebhookDelivered") == 1


def test_a_receiver_that_never_answers_2xx_ends_failed_then_retry_by_hand(
        http: Any, container: Any, clock: Any, receiver: Receiver) -> None:
    hook = register(http, receiver.url, ["address.deleted"])
    receiver.always = 500
    started = clock.now()
    assert delete(http, create_address(http, last_name="Muster")["address_id"]).status == 200
    drain(http, container)
    while True:
        [record] = deliveries(http, hook["webhook_id"])
        if record["status"] != "pending":
            break
        clock.set(parse_iso(record["next_attempt_at"]))
        job(http)
    assert record["status"] == "failed" and record["next_attempt_at"] is None
    assert record["attempts"] >= 8 and len(receiver.received) == record["attempts"]
    assert clock.now() - started >= timedelta(hours=24)
    wid, did = hook["webhook_id"], record["delivery_id"]
    receiver.always = None
    retry = http.post(f"/agency/webhooks/{wid}/deliveries/{did}/retry", token=DEMO)
    assert retry.status == 202, retry.body
    assert http.post(f"/agency/webhooks/{wid}/deliveries/{did}/retry", token=DEMO).status == 409
    drain(http, container)
    [record] = deliveries(http, wid)
    assert record["status"] == "delivered"
    assert http.post(f"/agency/webhooks/{wid}/deliveries/{did}/retry", token=DEMO).status == 409
    assert http.post(f"/agency/webhooks/{wid}/deliveries/nope/retry", token=DEMO).status == 404


def test_a_failed_delivery_past_30_days_is_gone(http: Any, container: Any, clock: Any,
                                               receiver: Receiver) -> None:
    hook = register(http, receiver.url, ["address.deleted"])
    receiver.always = 500
    assert delete(http, create_address(http, last_name="Muster")["address_id"]).status == 200
    drain(http, container)
    while (record := deliveries(http, hook["webhook_id"])[0])["status"] == "pending":
        clock.set(parse_iso(record["next_attempt_at"]))
        job(http)
    clock.advance(days=30)
    reply = http.post(f"/agency/webhooks/{hook['webhook_id']}/deliveries/"
                      f"{record['delivery_id']}/retry", token=DEMO)
    assert reply.status == 410, reply.body


def test_the_sender_crashing_after_the_post_delivers_again_with_the_same_id(
        http: Any, container: Any, clock: Any, receiver: Receiver, monkeypatch: Any) -> None:
    hook = register(http, receiver.url, ["address.deleted"])
    assert delete(http, create_address(http, last_name="Muster")["address_id"]).status == 200
    repo = container.webhook_repo
    original = repo.finish

    def crash(*args: Any, **kwargs: Any) -> bool:
        raise RuntimeError("the Lambda died after the POST")

    monkeypatch.setattr(repo, "finish", crash)
    with pytest.raises(RuntimeError):
        drain(http, container)
    monkeypatch.setattr(repo, "finish", original)
    assert len(receiver.received) == 1
    [record] = deliveries(http, hook["webhook_id"])
    assert record["status"] == "pending"
    assert job(http)["delivered"] == 0  # the crashed attempt's claim still holds
    clock.advance(seconds=61)
    assert job(http)["delivered"] == 1
    assert [r.headers["webhook-id"] for r in receiver.received] == [
        receiver.received[0].headers["webhook-id"]] * 2
    assert deliveries(http, hook["webhook_id"])[0]["status"] == "delivered"


def test_rotation_signs_with_both_secrets_for_24_hours(http: Any, container: Any, clock: Any,
                                                      receiver: Receiver) -> None:
    hook = register(http, receiver.url, ["address.deleted"])
    wid, old = hook["webhook_id"], hook["secret"]
    rotated = http.post(f"/agency/webhooks/{wid}/rotate-secret", token=DEMO)
    assert rotated.status == 200, rotated.body
    new = rotated.json["secret"]
    assert new != old and new.startswith("whsec_")
    assert http.post(f"/agency/webhooks/{wid}/ping", token=DEMO).status == 202
    drain(http, container)
    [during] = receiver.received
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(during.body, during.headers)
    Webhook(new).verify(during.body, during.headers)
    clock.advance(hours=24, seconds=1)
    assert http.post(f"/agency/webhooks/{wid}/ping", token=DEMO).status == 202
    drain(http, container)
    after = receiver.received[1]
    Webhook(new).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after.body, after.headers)


def test_a_private_address_is_refused_when_deployed(http: Any, container: Any,
                                                    receiver: Receiver) -> None:
    """The local stack allows 127.0.0.1 (contract); a deployed sender refuses it (and every
    other non-public address: tests/unit/test_webhook_transport.py)."""
    from chalicelib.webhooks.transport import Transport

    container.webhook_sender.transport = Transport(allow_loopback=False)
    hook = register(http, receiver.url, ["address.deleted"])
    assert delete(http, create_address(http, last_name="Muster")["address_id"]).status == 200
    drain(http, container)
    assert receiver.received == []
    [record] = deliveries(http, hook["webhook_id"])
    assert record["status"] == "pending" and record["last_status_code"] is None
    assert record["last_error"] == "url_refused"


def test_a_deleted_webhook_gets_nothing_more(http: Any, container: Any,
                                             receiver: Receiver) -> None:
    hook = register(http, receiver.url, ["address.deleted"])
    assert delete(http, create_address(http, last_name="Muster")["address_id"]).status == 200
    assert http.request("DELETE", f"/agency/webhooks/{hook['webhook_id']}",
                        token=DEMO).status == 200
    drain(http, container)
    assert receiver.received == []
    assert delete(http, create_address(http, last_name="Other")["address_id"]).status == 200
    assert queued(container) == []


def test_deliveries_page_newest_first(http: Any, container: Any, clock: Any,
                                      receiver: Receiver) -> None:
    hook = register(http, receiver.url, ["address.deleted"])
    wid = hook["webhook_id"]
    ids = []
    for _ in range(3):
        ids.append(http.post(f"/agency/webhooks/{wid}/ping", token=DEMO).json["delivery_id"])
        clock.advance(seconds=1)
    first = http.get(f"/agency/webhooks/{wid}/deliveries?limit=2", token=DEMO).json
    assert [d["delivery_id"] for d in first["deliveries"]] == ids[::-1][:2]
    rest = http.get(f"/agency/webhooks/{wid}/deliveries?limit=2&cursor={first['next_cursor']}",
                    token=DEMO).json
    assert [d["delivery_id"] for d in rest["deliveries"]] == ids[:1]
    assert http.get(f"/agency/webhooks/{wid}/deliveries?cursor=bm9wZQ", token=DEMO).status == 422
