"""DELETE /agency/tours/{id} (contract v2): removes the tour, its media and its mail links;
the registrations stay with the addresses."""

from __future__ import annotations

from typing import Any

import boto3

from tests.conftest import DEMO, OTHER, registration_payload
from tests.functional.tours.test_media import JPEG, upload
from tests.support import links_of


def test_deleting_a_tour_removes_media_links_and_counters_but_keeps_leads(
        http: Any, make_tour: Any, outbox: Any, container: Any) -> None:
    tour = make_tour("email")
    tour_id = tour["tour_id"]
    assert upload(http, tour_id, "wohnzimmer", JPEG).status == 200
    # A forgotten upload that never reached complete.
    assert http.put(f"/agency/tours/{tour_id}/viewpoints/bad/media",
                    {"content_type": "image/jpeg", "size": 10}, token=DEMO).status == 200
    reply = http.post(f"/tours/{tour_id}/registrations", registration_payload())
    registration_id = reply.json["registration_id"]
    [link] = links_of(next(m for m in outbox() if m["to"] == ["eva@example.org"]), "unlock")
    assert http.post(f"/tours/{tour_id}/views", {"events": [{"type": "tour_view"}]}).status == 202

    assert http.request("DELETE", f"/agency/tours/{tour_id}", token=OTHER).status == 404
    deleted = http.request("DELETE", f"/agency/tours/{tour_id}", token=DEMO)
    assert deleted.status == 200, deleted.body
    assert deleted.json["deleted"] is True and deleted.json["links"] == 1

    assert http.get(f"/agency/tours/{tour_id}", token=DEMO).status == 404
    assert http.get(f"/tours/{tour_id}/protection").status == 404
    assert http.get(f"/tours/{tour_id}/viewpoints/wohnzimmer/media").status == 404
    assert http.get(link).status == 404  # the mail link is gone
    s3 = boto3.client("s3", region_name=container.settings.region)
    assert s3.list_objects_v2(Bucket=container.settings.media_bucket).get("KeyCount") == 0
    items = container.dynamodb.query(
        TableName=container.settings.table("tours"), KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": f"TOUR#{tour_id}"}})["Items"]
    assert items == []
    # The lead stays: registration and address.
    lead = http.get(f"/agency/registrations/{registration_id}", token=DEMO)
    assert lead.status == 200 and lead.json["email"] == "eva@example.org"
    assert http.get("/agency/addresses?email=eva@example.org", token=DEMO).json["addresses"]
    # Again: nothing left.
    assert http.request("DELETE", f"/agency/tours/{tour_id}", token=DEMO).status == 404
