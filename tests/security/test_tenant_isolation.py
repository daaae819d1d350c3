"""Tenant isolation, generated over the route table (issue 8, section 5): every agency
route, called with the other agency's token and the ids of ``demo``'s records (in the path
and, where a route takes ids in its body, there too), answers 404 for a foreign id, and no
response body carries any of ``demo``'s data (ids, names, email addresses, phone
numbers, texts). Afterwards ``demo``'s records are unchanged and nobody was mailed."""

from __future__ import annotations

import re
from typing import Any

import pytest

import app as application
from chalicelib.auth import roles
from tests.conftest import DEMO, OTHER, QA
from tests.faults.scenarios import World
from tests.support import all_items

# Where a route takes ids of records in its body, the body names demo's.
BODIES = {
    ("POST", "/agency/addresses/bulk-delete"): lambda ids: {"address_ids": [ids["address_id"]]},
    ("POST", "/agency/gdpr/consent-requests"): lambda ids: {"address_ids": [ids["address_id"]]},
    ("POST", "/agency/properties/{property_id}/relations"):
        lambda ids: {"address_id": ids["address_id"], "role": "owner"},
    ("POST", "/agency/addresses/{address_id}/activities"):
        lambda ids: {"type": "inquiry", "property_id": ids["property_id"]},
}
# Routes without a record id act on the caller's own data: not 404, but still nothing of
# demo's in the answer.
OWN_DATA_STATUSES = {200, 201, 404, 409, 422}


@pytest.fixture
def demo(world: World) -> dict[str, Any]:
    """One record of every kind for ``demo``, and the strings that identify them."""
    tour = world.tour("manual", title="Geheimes Penthouse Demo")
    registration = world.register(tour, first_name="Gisela", last_name="Geheimnis",
                                  email="gisela@example.org", phone="+49 171 5550123")
    address_id = world.address(first_name="Hannelore", last_name="Heimlich",
                               email="hannelore@example.org", phone="+49 171 5550456",
                               city="Geheimstadt")
    property_id = world.property()
    review_id = world.confirmed_review(email="rita@example.org", reviewer_name="Rita R.")
    report_id = world.report(review_id)
    [api_key] = world.container.agency_repo.list_api_keys("demo")
    webhook = world.ok(world.http.post("/agency/webhooks", {
        "url": "https://crm.example/hook", "events": ["address.deleted"]}, token=DEMO), 201)
    ping = world.ok(world.http.post(f"/agency/webhooks/{webhook['webhook_id']}/ping",
                                    token=DEMO), 202)
    lead_address = world.container.tours.repo.get_registration(
        registration["registration_id"])["address_id"]
    [inquiry] = world.container.addresses.activities("demo", lead_address)
    access_request = world.ok(world.http.post("/agency/gdpr/access-requests", {
        "address_id": address_id}, token=DEMO), 201)
    ids = {"tour_id": tour["tour_id"], "registration_id": registration["registration_id"],
           "address_id": address_id, "property_id": property_id, "review_id": review_id,
           "report_id": report_id, "api_key_id": api_key["token_id"],
           "webhook_id": webhook["webhook_id"], "delivery_id": ping["delivery_id"],
           # Users and keys are closed to API keys before any lookup (403): no person needed.
           "user_id": "kein-benutzer", "viewpoint_id": "wohnzimmer",
           "activity_id": inquiry["activity_id"],
           "request_id": access_request["request_id"]}
    secrets = set(ids.values()) | {
        "Geheimes Penthouse", "Gisela", "Geheimnis", "gisela@example.org", "5550123",
        "Hannelore", "Heimlich", "hannelore@example.org", "5550456", "Geheimstadt",
        "rita@example.org", "Rita R.", "dana@demo-makler.de", "Dana Demo",
        registration["viewer_token"].split(".", 1)[1]}
    return {"ids": ids, "secrets": secrets}


def agency_routes() -> list[tuple[str, str]]:
    return sorted((method, path) for path, methods in application.app.routes.items()
                  if path.startswith("/agency/") for method in methods)


def fill(path: str, ids: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        assert match.group(1) in ids, f"no demo record for {{{match.group(1)}}} in {path}"
        return ids[match.group(1)]
    return re.sub(r"\{(\w+)\}", one, path)


def items_about(region: str, ids: dict[str, str]) -> list[str]:
    return [text for text in (repr(i) for items in all_items(region).values() for i in items)
            if any(v in text for v in ids.values())]


def leaks(body: bytes, secrets: set[str]) -> list[str]:
    text = body.decode("utf-8", "replace")
    return sorted(s for s in secrets if s in text)


def test_every_agency_route_with_the_other_agencys_token_reveals_nothing(world, demo, container):
    ids, secrets = demo["ids"], demo["secrets"]
    region = container.settings.region
    before, mails_before = items_about(region, ids), len(world.outbox())
    checked = 0
    for method, path in agency_routes():
        body = BODIES.get((method, path), lambda _ids: {})(ids) \
            if method in ("POST", "PUT", "PATCH") else None
        reply = world.http.request(method, fill(path, ids), json_body=body, token=OTHER)
        case = f"{method} {path}"
        assert reply.status < 500, (case, reply.body[:300])
        # An id the caller sent may be echoed back (``refused: [{address_id, reason}]``);
        # anything else of demo's may not.
        sent = {v for v in ids.values() if v in repr(body)}
        assert leaks(reply.body, secrets - sent) == [], (case, reply.body[:500])
        if not roles.allowed(method, path, "api_key"):
            assert reply.status == 403, (case, reply.status, reply.body[:300])
        elif "{" in path:
            assert reply.status == 404, (case, reply.status, reply.body[:300])
        else:
            assert reply.status in OWN_DATA_STATUSES, (case, reply.status, reply.body[:300])
        checked += 1
    assert checked >= 30
    # Every item about a record of demo's is as it was (the other agency may have created
    # records of its own), and nobody was mailed.
    assert items_about(region, ids) == before
    assert len(world.outbox()) == mails_before
    # demo's records are exactly as they were.
    for path in ("/agency/tours/{tour_id}", "/agency/addresses/{address_id}",
                 "/agency/addresses/{address_id}/preview", "/agency/properties/{property_id}",
                 "/agency/tours/{tour_id}/registrations"):
        assert world.http.get(fill(path, ids), token=DEMO).status == 200, path
    [listed] = world.http.get(fill("/agency/tours/{tour_id}/registrations", ids),
                              token=DEMO).json["registrations"]
    assert listed["status"] == "pending_approval"
    activities = world.http.get(fill("/agency/addresses/{address_id}/preview", ids),
                                token=DEMO).json["activities"]
    assert activities == []


def test_the_other_agencys_public_and_qa_views_do_not_mix_tenants(world, demo):
    secrets = demo["secrets"]
    for path in ("/agencies/other/reviews", "/agency/reviews", "/agency/tours",
                 "/agency/addresses", "/agency/gdpr/widgets/consent-assistant"):
        reply = world.http.get(path, token=OTHER if path.startswith("/agency") else None)
        assert reply.status == 200, path
        assert leaks(reply.body, secrets) == [], path
    # The QA team sees the review but never as an agency: its token is refused there.
    assert world.http.get("/agency/reviews", token=QA).status == 401
