"""The gate's privacy link falls back to the agency profile's privacy URL; the tour item
carries a copy of it, so GET /tours/{id}/protection stays one read (issue 7's target) and
a profile change reaches every tour of the agency (Query of its tours index, no Scan)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from devstack.environment import DEMO_PROFILES
from tests.conftest import DEMO, OTHER


@pytest.fixture
def calls(container: Any) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(model: Any, **_kwargs: Any) -> None:
        seen.append(model.name)

    events = container.dynamodb.meta.events
    events.register("before-call.dynamodb", record)
    yield seen
    events.unregister("before-call.dynamodb", record)


def _protection(http: Any, tour_id: str) -> dict[str, Any]:
    reply = http.get(f"/tours/{tour_id}/protection")
    assert reply.status == 200, reply.body
    return reply.json


def test_protection_shows_the_agency_url_in_one_read_and_follows_profile_changes(
        http, make_tour, calls):
    own = make_tour("email", privacy_url="https://demo-makler.de/rundgang-datenschutz")
    tours = [make_tour("email"), make_tour("manual")]
    others = make_tour("email", token=OTHER)
    calls.clear()
    assert _protection(http, tours[0]["tour_id"])["privacy_url"] == \
        DEMO_PROFILES["demo"]["privacy_url"]
    assert calls == ["GetItem"]

    changed = http.put("/agency/profile", {"privacy_url": "https://demo-makler.de/neu"},
                       token=DEMO)
    assert changed.status == 200, changed.body
    assert "Scan" not in calls
    for tour in tours:
        calls.clear()
        assert _protection(http, tour["tour_id"])["privacy_url"] == "https://demo-makler.de/neu"
        assert calls == ["GetItem"]
    # A tour's own URL wins; another agency's tours keep their agency's.
    assert _protection(http, own["tour_id"])["privacy_url"] == \
        "https://demo-makler.de/rundgang-datenschutz"
    assert _protection(http, others["tour_id"])["privacy_url"] == \
        DEMO_PROFILES["other"]["privacy_url"]
    # The copy is the tour item's, not part of the agency's tour view.
    detail = http.get(f"/agency/tours/{tours[0]['tour_id']}", token=DEMO).json
    assert "agency_privacy_url" not in detail and detail["privacy_url"] is None


def test_a_tour_saved_again_takes_the_current_profile_url(http, make_tour, container):
    tour = make_tour("email")
    assert http.put("/agency/profile", {"privacy_url": "https://demo-makler.de/v2"},
                    token=DEMO).status == 200
    stored = container.tours.repo.get_tour(tour["tour_id"])
    assert stored["agency_privacy_url"] == "https://demo-makler.de/v2"
    fresh = make_tour("manual")
    assert _protection(http, fresh["tour_id"])["privacy_url"] == "https://demo-makler.de/v2"
