"""The reviews' webhook events: ``review.published`` when a review goes online and
``review.hidden`` when QA takes it offline, once each with the contract's ``data``; a
reviewer erased (ops ``erase_person``) before delivery: the title is not sent."""

from __future__ import annotations

from typing import Any

import pytest
from chalice.test import Client
from standardwebhooks.webhooks import Webhook

import app as application
from chalicelib.clock import parse_iso
from tests.conftest import DEMO, QA
from tests.functional.reviews.support import submit_and_confirm
from tests.functional.webhooks.support import Receiver, drain, receiver_fixture

REASON = "Diese Person war nie Kundin bei uns, wir haben keinen Vorgang."


@pytest.fixture
def receiver() -> Any:
    yield from receiver_fixture()


def hook(http: Any, url: str) -> dict[str, Any]:
    reply = http.post("/agency/webhooks", {"url": url, "events": [
        "review.published", "review.hidden"]}, token=DEMO)
    assert reply.status == 201, reply.body
    return reply.json


def test_published_then_hidden_once_each(http: Any, container: Any, outbox: Any,
                                         receiver: Receiver) -> None:
    created = hook(http, receiver.url)
    review = submit_and_confirm(http, outbox, title="Sehr gute Beratung", rating=4)
    assert review["status"] == "published"
    reported = http.post(f"/agency/reviews/{review['review_id']}/reports",
                         {"category": "not_a_customer", "reason": REASON}, token=DEMO)
    assert reported.status == 201, reported.body  # reported stays public: no event
    resolved = http.post(f"/qa/reports/{reported.json['report_id']}/resolve",
                         {"outcome": "block", "reason": "Kein Kundenkontakt belegt."}, token=QA)
    assert resolved.status == 200, resolved.body
    drain(http, container)
    got = [Webhook(created["secret"]).verify(r.body, r.headers) for r in receiver.received]
    assert [b["type"] for b in got] == ["review.published", "review.hidden"]
    published, hidden = got[0]["data"], got[1]["data"]
    assert published == {"review_id": review["review_id"], "status": "published",
                         "rating": 4, "title": "Sehr gute Beratung", "at": published["at"]}
    assert hidden["review_id"] == review["review_id"] and hidden["status"] == "blocked"
    assert set(hidden) == {"review_id", "status", "rating", "title", "at"}
    parse_iso(published["at"])
    parse_iso(hidden["at"])


def test_an_erased_reviewer_s_title_is_not_sent(http: Any, container: Any, clock: Any,
                                                 outbox: Any, receiver: Receiver) -> None:
    created = hook(http, receiver.url)
    receiver.always = 503
    review = submit_and_confirm(http, outbox, email="rita@example.org",
                                title="Rita sagt danke")
    drain(http, container)
    with Client(application.app, stage_name="local") as client:
        erased = client.lambda_.invoke("ops", {"action": "erase_person", "agency_id": "demo",
                                               "email": "rita@example.org"}).payload
    assert erased["reviews_deleted"] == [review["review_id"]], erased
    receiver.always = None
    drain(http, container)  # the hidden event of the erasure
    clock.advance(minutes=2)
    assert http.post("/dev/jobs/webhook-retry", {}).status == 200
    got = [Webhook(created["secret"]).verify(r.body, r.headers) for r in receiver.received]
    sent = [b for b in got if b["type"] == "review.published"]
    assert sent and all(b["data"]["title"] is None for b in sent[1:])
    assert sent[-1]["data"]["review_id"] == review["review_id"]
    assert "Rita sagt danke" not in receiver.received[-1].body
    hidden = [b for b in got if b["type"] == "review.hidden"]
    assert len(hidden) == 1 and hidden[0]["data"]["title"] is None
