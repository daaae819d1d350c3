"""The tours' webhook events, end to end: every registration event arrives once with the
contract's ``data`` (verified by ``standardwebhooks``), a rolled-back change emits
nothing and the client's retry after a 503 emits one event, an erasure before delivery
leaves no personal data in what goes out, and what an event costs in round trips."""

from __future__ import annotations

from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from chalicelib.clock import parse_iso
from tests.conftest import DEMO, registration_payload
from tests.functional.web.test_dynamodb_throttling import DynamoFaults
from tests.functional.webhooks.support import Receiver, drain, queued, receiver_fixture
from tests.support import links_of as links_of

REGISTRATION_EVENTS = ["registration.created", "registration.unlocked", "registration.denied"]
PROSPECT = {"first_name": "Eva", "last_name": "Muster", "email": "eva@example.org",
            "phone": "+49 171 2345678", "street": "Kastanienallee 1", "zip": "10435",
            "city": "Berlin", "message": "Ist der Balkon nach Süden?"}


@pytest.fixture
def receiver() -> Any:
    yield from receiver_fixture()


def register_hook(http: Any, url: str, events: list[str]) -> dict[str, Any]:
    reply = http.post("/agency/webhooks", {"url": url, "events": events}, token=DEMO)
    assert reply.status == 201, reply.body
    return reply.json


def bodies(receiver: Receiver, secret: str) -> list[dict[str, Any]]:
    return [Webhook(secret).verify(r.body, r.headers) for r in receiver.received]


def test_every_registration_event_arrives_once_with_the_contract_data(
        http: Any, container: Any, make_tour: Any, outbox: Any, receiver: Receiver) -> None:
    hook = register_hook(http, receiver.url, REGISTRATION_EVENTS)
    email_tour = make_tour("email", protection={
        "mode": "email", "required_fields": ["first_name", "last_name"],
        "protected_viewpoints": ["bad"]})
    reply = http.post(f"/tours/{email_tour['tour_id']}/registrations",
                      registration_payload(**PROSPECT))
    assert reply.status == 202, reply.body
    [unlock] = links_of(outbox()[-1], "unlock")
    assert http.form_post(unlock).status == 303
    assert http.form_post(unlock).status == 410  # used: nothing more is emitted

    manual_tour = make_tour("manual")
    approved = http.post(f"/tours/{manual_tour['tour_id']}/registrations",
                         registration_payload(email="max@example.org", first_name="Max"))
    denied = http.post(f"/tours/{manual_tour['tour_id']}/registrations",
                       registration_payload(email="ida@example.org", first_name="Ida"))
    approve_path = f"/agency/registrations/{approved.json['registration_id']}/approve"
    assert http.post(approve_path, token=DEMO).status == 200
    assert http.post(approve_path, token=DEMO).status == 409  # repeated: emits nothing
    [deny] = links_of([m for m in outbox() if "ida@example.org" in m["text"]
                       and "/links/deny/" in m["text"]][-1], "deny")
    assert http.form_post(deny).status == 200
    drain(http, container)

    got = bodies(receiver, hook["secret"])
    assert [b["type"] for b in got] == [
        "registration.created", "registration.unlocked", "registration.created",
        "registration.created", "registration.unlocked", "registration.denied"]
    created = got[0]["data"]
    registrations = http.get(f"/agency/tours/{email_tour['tour_id']}/registrations",
                             token=DEMO).json["registrations"]
    [stored] = registrations
    assert created == {"registration_id": stored["registration_id"],
                       "tour_id": email_tour["tour_id"], "property_id": "prop-1",
                       "status": "pending_email", "created_at": stored["created_at"],
                       "address_id": stored["address_id"], "email_verified": False,
                       **PROSPECT}
    assert got[1]["data"] == {"registration_id": stored["registration_id"],
                              "tour_id": email_tour["tour_id"],
                              "address_id": stored["address_id"],
                              "at": got[1]["data"]["at"]}
    parse_iso(got[1]["data"]["at"])
    manual = {r["registration_id"]: r for r in http.get(
        f"/agency/tours/{manual_tour['tour_id']}/registrations", token=DEMO
    ).json["registrations"]}
    for body, registration_id in ((got[4], approved.json["registration_id"]),
                                  (got[5], denied.json["registration_id"])):
        assert body["data"]["registration_id"] == registration_id
        assert body["data"]["address_id"] == manual[registration_id]["address_id"]
        assert set(body["data"]) == {"registration_id", "tour_id", "address_id", "at"}
    # Fields the prospect did not give are null.
    assert got[2]["data"]["phone"] is None and got[2]["data"]["first_name"] == "Max"
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 6


def test_a_rolled_back_change_emits_nothing_and_the_retry_emits_once(
        http: Any, container: Any, make_tour: Any, receiver: Receiver) -> None:
    hook = register_hook(http, receiver.url, ["registration.created"])
    tour = make_tour("email")
    faults = DynamoFaults(container.dynamodb, "TransactWriteItems", "ThrottlingException")
    faults.remaining = 1
    first = http.post(f"/tours/{tour['tour_id']}/registrations", registration_payload())
    assert first.status == 503
    drain(http, container)
    assert receiver.received == []
    assert http.get(f"/agency/webhooks/{hook['webhook_id']}/deliveries",
                    token=DEMO).json["deliveries"] == []
    again = http.post(f"/tours/{tour['tour_id']}/registrations", registration_payload())
    assert again.status == 202
    drain(http, container)
    [body] = bodies(receiver, hook["secret"])
    assert body["data"]["registration_id"] == again.json["registration_id"]


def test_an_erasure_before_delivery_sends_no_personal_data(
        http: Any, container: Any, clock: Any, make_tour: Any, receiver: Receiver) -> None:
    hook = register_hook(http, receiver.url, ["registration.created"])
    receiver.always = 503
    tour = make_tour("email")
    reply = http.post(f"/tours/{tour['tour_id']}/registrations",
                      registration_payload(**PROSPECT))
    assert reply.status == 202
    drain(http, container)
    [registration] = http.get(f"/agency/tours/{tour['tour_id']}/registrations",
                              token=DEMO).json["registrations"]
    address_id = registration["address_id"]
    [held] = container.webhooks.export_person("demo", address_id)
    assert held["data"]["email"] == "eva@example.org" and held["status"] == "pending"

    assert http.request("DELETE", f"/agency/addresses/{address_id}", token=DEMO).status == 200
    assert container.webhooks.export_person("demo", address_id) == []
    receiver.always = None
    [record] = http.get(f"/agency/webhooks/{hook['webhook_id']}/deliveries",
                        token=DEMO).json["deliveries"]
    clock.set(parse_iso(record["next_attempt_at"]))
    assert http.post("/dev/jobs/webhook-retry", {}).json["delivered"] == 1
    last = bodies(receiver, hook["secret"])[-1]
    assert last["data"]["registration_id"] == registration["registration_id"]
    assert all(last["data"][name] is None for name in PROSPECT)
    for value in PROSPECT.values():
        assert value not in receiver.received[-1].body


class Calls:
    def __init__(self, container: Any) -> None:
        self.names: list[str] = []
        for client in (container.dynamodb, container.sqs, container.kms):
            client.meta.events.register("before-call.*.*", self._record)

    def _record(self, model: Any, **_: Any) -> None:
        self.names.append(f"{model.service_model.service_name}.{model.name}")


def test_round_trips_without_webhooks_and_per_matched_webhook(
        http: Any, container: Any, make_tour: Any, receiver: Receiver) -> None:
    """No webhook: a registration costs exactly what it did (the subscription check rides
    inside its transaction). With a subscriber the same request makes the same DynamoDB
    calls plus one SQS call for all its deliveries, once this container knows the agency."""
    tour = make_tour("email")
    calls = Calls(container)
    assert http.post(f"/tours/{tour['tour_id']}/registrations",
                     registration_payload(email="a@example.org")).status == 202
    without = [c for c in calls.names if not c.startswith("sesv2")]
    assert not [c for c in without if c.startswith(("sqs", "kms"))]
    assert without.count("dynamodb.TransactWriteItems") == 1

    register_hook(http, receiver.url, ["registration.created"])
    register_hook(http, receiver.url + "2", ["registration.created"])
    # The first change after the webhooks exist learns about them (one read, one retry).
    assert http.post(f"/tours/{tour['tour_id']}/registrations",
                     registration_payload(email="b@example.org")).status == 202
    calls.names.clear()
    assert http.post(f"/tours/{tour['tour_id']}/registrations",
                     registration_payload(email="c@example.org")).status == 202
    with_hooks = [c for c in calls.names if not c.startswith("sesv2")]
    assert [c for c in with_hooks if c.startswith("dynamodb")] == [
        c for c in without if c.startswith("dynamodb")]
    assert [c for c in with_hooks if not c.startswith("dynamodb")] == ["sqs.SendMessageBatch"]
    assert len(queued(container)) == 4  # b and c, one delivery per webhook each
