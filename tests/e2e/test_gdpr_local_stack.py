"""The contract's "Addresses" section on the real local stack (``python -m devstack``):
an address, a property archived into a store-until date, the consent mail read from
``/dev/outbox`` and confirmed by its link, the worklists, the nightly job through
``/dev/jobs/retention-sweep`` with its digest, and a deletion."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.live_stack import Running, local_stack

AUTH = "demo-agency-token"


@pytest.fixture(scope="module")
def gdpr_stack() -> Iterator[Running]:
    with local_stack() as run:
        yield run


def test_consent_worklists_sweep_and_deletion_on_the_local_stack(gdpr_stack):
    stack = gdpr_stack.stack
    assert stack.call("PUT", "/dev/clock", json_body={"now": "2027-03-01T09:00:00Z"}).status == 200
    try:
        eva = stack.call("POST", "/agency/addresses", token=AUTH, json_body={
            "first_name": "Eva", "last_name": "Lokal", "email": "eva.lokal@example.org"})
        assert eva.status == 201, eva.body
        eva_id = eva.json["address_id"]
        prop = stack.call("POST", "/agency/properties", token=AUTH, json_body={"title": "Altbau"})
        assert prop.status == 201
        activity = stack.call("POST", f"/agency/addresses/{eva_id}/activities", token=AUTH,
                              json_body={"type": "expose_sent",
                                         "property_id": prop.json["property_id"]})
        assert activity.status == 201
        assert stack.call("PUT", "/agency/gdpr/settings", token=AUTH,
                          json_body={"retention_days": 20}).status == 200
        archived = stack.call("POST", f"/agency/properties/{prop.json['property_id']}/archive",
                              token=AUTH)
        assert archived.json["store_until_set"] == [eva_id]
        assert stack.call("GET", f"/agency/addresses/{eva_id}", token=AUTH).json[
            "store_until"] == "2027-03-21"
        widget = stack.call("GET", "/agency/gdpr/widgets/consent-assistant", token=AUTH).json
        assert [a["address_id"] for a in widget["addresses"]] == [eva_id]

        sent = stack.call("POST", "/agency/gdpr/consent-requests", token=AUTH,
                          json_body={"address_ids": [eva_id]})
        assert sent.json == {"sent": [eva_id], "skipped": []}
        [mail] = [m for m in stack.call("GET", "/dev/outbox").json["messages"]
                  if m["to"] == ["eva.lokal@example.org"]]
        [link] = set(re.findall(rf"{re.escape(stack.base)}/links/consent/[A-Za-z0-9_-]+",
                                mail["text"]))
        assert "Speicherung zustimmen" in stack.call("GET", link).text
        assert stack.call("GET", f"/agency/addresses/{eva_id}", token=AUTH).json[
            "gdpr_status"] == "none"
        assert stack.call("POST", link, form="confirm=1").status == 200
        assert stack.call("GET", f"/agency/addresses/{eva_id}", token=AUTH).json[
            "gdpr_status"] == "consented"
        records = stack.call("GET", f"/agency/addresses/{eva_id}/consent-records",
                             token=AUTH).json["records"]
        assert [r["action"] for r in records] == ["consent"]

        old = stack.call("POST", "/agency/addresses", token=AUTH, json_body={
            "last_name": "Abgelaufen", "store_until": "2027-02-01"}).json["address_id"]
        assert stack.call("PUT", "/agency/gdpr/settings", token=AUTH,
                          json_body={"auto_delete_expired": True}).status == 200
        summary = stack.call("POST", "/dev/jobs/retention-sweep").json
        assert summary["job"] == "retention-sweep" and summary["checkpoint"] is None
        assert summary["deleted"] >= 1 and summary["digests_sent"] >= 1
        assert stack.call("GET", f"/agency/addresses/{old}", token=AUTH).status == 404
        digests = [m for m in stack.call("GET", "/dev/outbox").json["messages"]
                   if m["subject"].startswith("DSGVO-Übersicht")]
        assert digests and digests[-1]["to"] == ["kontakt@demo-makler.de"]
        again = stack.call("POST", "/dev/jobs/retention-sweep").json
        assert (again["deleted"], again["digests_sent"]) == (0, 0)

        refused = stack.call("DELETE", f"/agency/addresses/{eva_id}", token=AUTH)
        assert refused.status == 409 and refused.json["error"]["code"] == "retention_active"
        assert stack.call("PATCH", f"/agency/addresses/{eva_id}", token=AUTH,
                          json_body={"store_until": None}).status == 200
        deleted = stack.call("DELETE", f"/agency/addresses/{eva_id}", token=AUTH)
        assert deleted.status == 200 and deleted.json["tombstone"]["status"] == "complete"
        assert stack.call("GET", "/agency/addresses?email=eva.lokal@example.org",
                          token=AUTH).json["addresses"] == []
    finally:
        stack.call("DELETE", "/dev/clock")
