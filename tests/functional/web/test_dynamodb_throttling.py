"""DynamoDB throttling on the write paths answers 503 with Retry-After, never 500, and
leaves nothing half-done; the retried request then succeeds once."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from tests.conftest import DEMO, registration_payload
from tests.support import links_of


class DynamoFaults:
    """Answers the named DynamoDB operation with a throttling error while ``remaining`` > 0.
    ``before-call`` fires once per API call, after botocore's own retries would have run."""

    def __init__(self, client: Any, operation: str, code: str) -> None:
        self.remaining = 0
        self.code = code
        client.meta.events.register(f"before-call.dynamodb.{operation}", self._hook)

    def _hook(self, **_: Any) -> Any:
        if self.remaining <= 0:
            return None
        self.remaining -= 1
        parsed = {"Error": {"Code": self.code, "Message": "injected"},
                  "ResponseMetadata": {"HTTPStatusCode": 400}}
        return AWSResponse("https://dynamodb.eu-central-1.amazonaws.com", 400, {}, None), parsed


@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException", "ThrottlingException",
                                  "RequestLimitExceeded"])
def test_throttled_registration_is_503_with_retry_after_and_stores_nothing(
        http, make_tour, outbox, container, code):
    tour = make_tour("email")
    faults = DynamoFaults(container.dynamodb, "TransactWriteItems", code)
    faults.remaining = 1

    reply = http.post(f"/tours/{tour['tour_id']}/registrations", registration_payload())
    assert reply.status == 503
    assert reply.json["error"]["code"] == "temporarily_unavailable"
    assert int(reply.headers["retry-after"]) >= 1
    assert outbox() == []
    listed = http.get(f"/agency/tours/{tour['tour_id']}/registrations", token=DEMO).json
    assert listed["registrations"] == []

    again = http.post(f"/tours/{tour['tour_id']}/registrations", registration_payload())
    assert again.status == 202
    assert len(outbox()) == 1
    stats = http.get(f"/agency/tours/{tour['tour_id']}/stats", token=DEMO).json
    assert stats["registrations"] == 1 and stats["pending_email"] == 1


def test_throttled_read_is_503_not_500(http, make_tour, container):
    tour = make_tour("email")
    faults = DynamoFaults(container.dynamodb, "GetItem", "ProvisionedThroughputExceededException")
    faults.remaining = 1
    reply = http.get(f"/tours/{tour['tour_id']}/protection")
    assert reply.status == 503
    assert "retry-after" in reply.headers


def test_throttled_link_post_is_503_and_the_link_still_works(http, make_tour, outbox, container):
    tour = make_tour("email")
    registered = http.post(f"/tours/{tour['tour_id']}/registrations", registration_payload()).json
    [link] = links_of(outbox()[0], "unlock")
    faults = DynamoFaults(container.dynamodb, "TransactWriteItems", "ThrottlingException")
    faults.remaining = 1

    failed = http.form_post(link)
    assert failed.status == 503
    assert "retry-after" in failed.headers
    access = http.get(f"/tours/{tour['tour_id']}/access",
                      headers={"X-Viewer-Token": registered["viewer_token"]}).json
    assert access["status"] == "pending_email"

    assert http.form_post(link).status == 303
    assert http.form_post(link).status == 410


def test_throttled_api_decision_is_503_and_can_be_repeated(http, make_tour, outbox, container):
    tour = make_tour("manual")
    registered = http.post(f"/tours/{tour['tour_id']}/registrations", registration_payload()).json
    faults = DynamoFaults(container.dynamodb, "TransactWriteItems", "ThrottlingException")
    faults.remaining = 1
    path = f"/agency/registrations/{registered['registration_id']}/approve"

    assert http.post(path, token=DEMO).status == 503
    before = len(outbox())
    assert http.post(path, token=DEMO).status == 200
    assert len(outbox()) == before + 1
    assert http.post(path, token=DEMO).status == 409
