"""The personal-data registry's boundary between agency and platform (issue 13): an
agency's erasure and export reach only agency-controlled holders; reviews and report
answers only through the operator's paths."""

from __future__ import annotations

from typing import Any

from chalicelib import ops
from chalicelib.personal_data import Subject
from tests.conftest import DEMO
from tests.faults.scenarios import World

EMAIL = "eva@example.org"


def _world(http: Any, outbox: Any, clock: Any, container: Any) -> World:
    return World(http, outbox, clock, container)


def test_an_agency_deleting_an_address_with_a_reviewers_email_leaves_the_review(
        http, outbox, clock, container):
    world = _world(http, outbox, clock, container)
    review_id = world.confirmed_review(email=EMAIL)
    before = container.reviews.repo.get_review(review_id)
    address_id = world.address(email=EMAIL)
    reply = http.request("DELETE", f"/agency/addresses/{address_id}", token=DEMO)
    assert reply.status == 200, reply.body
    after = container.reviews.repo.get_review(review_id)
    assert after == before  # not deleted, not scrubbed, not touched
    assert after["email"] == EMAIL
    erased = reply.json["tombstone"]["erased"]
    assert erased["registrations"] == 0
    assert "reviews" not in erased


def test_the_agency_side_of_the_registry_never_shows_who_wrote_a_review(
        http, outbox, clock, container):
    world = _world(http, outbox, clock, container)
    world.confirmed_review(email=EMAIL)
    world.register(world.tour("email"), email=EMAIL)
    registry = container.person_data
    agency_side = registry.locate(Subject("demo", EMAIL), registry.agency())
    exported = registry.export(agency_side)
    assert exported["address"]["email"] == EMAIL
    assert len(exported["registrations"]) == 1
    assert "reviews" not in exported and "review_report_answers" not in exported
    # The operator's export has both.
    answer = ops.handle({"action": "export_person", "agency_id": "demo", "email": EMAIL},
                        container)
    assert answer["ok"] and len(answer["reviews"]) == 1
    assert len(answer["registrations"]) == 1 and answer["address"]["email"] == EMAIL


def test_the_operators_erasure_goes_through_every_holder(http, outbox, clock, container):
    world = _world(http, outbox, clock, container)
    review_id = world.confirmed_review(email=EMAIL)
    tour = world.tour("email")
    registration = world.register(tour, email=EMAIL)
    answer = ops.handle({"action": "erase_person", "agency_id": "demo", "email": EMAIL},
                        container)
    assert answer["ok"], answer
    assert answer["reviews_deleted"] == [review_id]
    assert answer["tombstone"]["erased"]["registrations"] == 1
    assert container.tours.repo.get_registration(registration["registration_id"]) is None
    assert container.reviews.repo.get_review(review_id)["status"] == "deleted"
    again = ops.handle({"action": "export_person", "agency_id": "demo", "email": EMAIL},
                       container)
    assert again["error"]["code"] == "not_found"
