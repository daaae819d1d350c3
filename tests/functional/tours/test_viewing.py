"""Viewing statistics (contract v2): POST /tours/{id}/views counted per tour and viewpoint
always, per lead only with viewing_stats_accepted; the funnel and viewpoints in the stats,
the lead's viewing in GET /agency/registrations/{id}; exported and erased with the person."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

import app as application
from bench.counting import AwsCounter
from tests.conftest import DEMO, OTHER
from tests.support import register


def views(http: Any, tour_id: str, events: list[dict[str, Any]], token: str | None = None,
          *, beacon: bool = False, headers: dict[str, str] | None = None) -> Any:
    body: dict[str, Any] = {"events": events}
    if token and beacon:
        body["viewer_token"] = token
    sent = dict(headers or {})
    if token and not beacon:
        sent["X-Viewer-Token"] = token
    if beacon:  # what navigator.sendBeacon sends for a string
        sent["Content-Type"] = "text/plain;charset=UTF-8"
    return http.request("POST", f"/tours/{tour_id}/views", body=json.dumps(body), headers=sent)


def test_anonymous_views_make_the_funnel_and_viewpoint_totals(http: Any, make_tour: Any) -> None:
    tour = make_tour("email")
    tour_id = tour["tour_id"]
    sent = views(http, tour_id, [
        {"type": "tour_view"}, {"type": "viewpoint_view", "viewpoint_id": "flur", "seconds": 12},
        {"type": "viewpoint_view", "viewpoint_id": "flur", "seconds": 3},
        {"type": "form_opened"},
        {"type": "viewpoint_view", "viewpoint_id": "wohnzimmer", "seconds": 40}])
    assert sent.status == 202, sent.body
    assert sent.headers["access-control-allow-origin"] == "*"
    assert views(http, tour_id, [{"type": "tour_view"}], beacon=True).status == 202
    register(http, tour_id, email="eva@example.org")
    stats = http.get(f"/agency/tours/{tour_id}/stats", token=DEMO).json
    assert stats["registrations"] == 1  # v1 counts stay
    assert stats["funnel"] == {"tour_views": 2, "form_opened": 1, "registrations": 1,
                               "unlocked": 0}
    assert stats["viewpoints"] == [
        {"viewpoint_id": "flur", "views": 2, "seconds": 15},
        {"viewpoint_id": "wohnzimmer", "views": 1, "seconds": 40}]


def test_per_lead_viewing_only_with_consent(http: Any, make_tour: Any, outbox: Any) -> None:
    tour = make_tour("email")
    tour_id = tour["tour_id"]
    yes = register(http, tour_id, email="ja@example.org", viewing_stats_accepted=True)
    no = register(http, tour_id, email="nein@example.org")
    for who in (yes, no):
        assert views(http, tour_id, [
            {"type": "tour_view"},
            {"type": "viewpoint_view", "viewpoint_id": "flur", "seconds": 20}],
            who["viewer_token"], beacon=True).status == 202
    assert views(http, tour_id, [
        {"type": "tour_view"}, {"type": "viewpoint_view", "viewpoint_id": "bad", "seconds": 5},
        {"type": "viewpoint_view", "viewpoint_id": "flur", "seconds": 1}],
        yes["viewer_token"]).status == 202

    lead = http.get(f"/agency/registrations/{yes['registration_id']}", token=DEMO)
    assert lead.status == 200, lead.body
    viewing = lead.json["viewing"]
    assert viewing["accepted"] is True and viewing["visits"] == 2 and viewing["seconds"] == 26
    assert viewing["last_seen_at"] is not None
    assert viewing["viewpoints"] == [{"viewpoint_id": "flur", "views": 2, "seconds": 21},
                                     {"viewpoint_id": "bad", "views": 1, "seconds": 5}]
    # The timeline: newest visit first.
    assert [v["seconds"] for v in viewing["timeline"]] == [6, 20]
    assert lead.json["email"] == "ja@example.org"

    other = http.get(f"/agency/registrations/{no['registration_id']}", token=DEMO).json
    assert other["viewing"] == {"accepted": False, "visits": 0, "seconds": 0,
                                "last_seen_at": None, "viewpoints": [], "timeline": []}
    # Anonymous counters have everyone.
    stats = http.get(f"/agency/tours/{tour_id}/stats", token=DEMO).json
    assert stats["funnel"]["tour_views"] == 3
    # Another agency sees nothing.
    assert http.get(f"/agency/registrations/{yes['registration_id']}", token=OTHER).status == 404


def test_a_forged_or_foreign_token_counts_only_anonymously(http: Any, make_tour: Any) -> None:
    tour = make_tour("email")
    yes = register(http, tour["tour_id"], email="ja@example.org", viewing_stats_accepted=True)
    registration_id, secret = yes["viewer_token"].split(".")
    forged = f"{registration_id}.{'A' * len(secret)}"
    assert views(http, tour["tour_id"], [{"type": "tour_view"}], forged).json["per_lead"] is False
    other = make_tour("email")
    assert views(http, other["tour_id"], [{"type": "tour_view"}],
                 yes["viewer_token"]).json["per_lead"] is False
    lead = http.get(f"/agency/registrations/{registration_id}", token=DEMO).json
    assert lead["viewing"]["visits"] == 0


@pytest.mark.parametrize("events", [
    [],
    [{"type": "tour_view"}] * 51,
    [{"type": "scroll"}],
    [{"type": "viewpoint_view"}],
    [{"type": "viewpoint_view", "viewpoint_id": "flur", "seconds": 3601}],
    [{"type": "viewpoint_view", "viewpoint_id": "flur", "seconds": -1}],
    [{"type": "viewpoint_view", "viewpoint_id": "bad id", "seconds": 1}],
    "nope",
])
def test_bad_batches_are_refused_and_count_nothing(http: Any, make_tour: Any,
                                                   events: Any) -> None:
    tour = make_tour("email")
    answer = http.post(f"/tours/{tour['tour_id']}/views", {"events": events})
    assert answer.status == 422, answer.body
    stats = http.get(f"/agency/tours/{tour['tour_id']}/stats", token=DEMO).json
    assert stats["funnel"]["tour_views"] == 0 and stats["viewpoints"] == []


def test_unknown_tour_wins_over_a_bad_body(http: Any) -> None:
    assert http.post("/tours/nope/views", {"events": "x"}).status == 404
    assert http.request("POST", "/tours/nope/views", body="{").status == 404


def test_a_batch_costs_one_read_and_at_most_two_writes(http: Any, make_tour: Any,
                                                       container: Any) -> None:
    tour = make_tour("email")
    yes = register(http, tour["tour_id"], email="ja@example.org", viewing_stats_accepted=True)
    events = [{"type": "viewpoint_view", "viewpoint_id": f"vp{n % 10}", "seconds": 2}
              for n in range(49)] + [{"type": "tour_view"}]
    counter = AwsCounter()
    counter.hook(container.dynamodb)
    for _ in range(2):  # first: new viewpoint ids (registry in a transaction); then known
        with counter.measure() as work:
            assert views(http, tour["tour_id"], events, yes["viewer_token"]).status == 202
        assert work.reads == 1, work.as_dict()
        assert work.writes + work.transactions <= 2, work.as_dict()
    assert work.transactions == 0
    lead = http.get(f"/agency/registrations/{yes['registration_id']}", token=DEMO).json
    assert lead["viewing"]["seconds"] == 2 * 49 * 2


def test_at_most_500_viewpoint_ids_per_tour(http: Any, make_tour: Any, container: Any) -> None:
    container.viewing.max_viewpoint_ids = 2
    tour = make_tour("off")
    assert views(http, tour["tour_id"], [
        {"type": "viewpoint_view", "viewpoint_id": f"vp{n}", "seconds": 1}
        for n in range(4)]).json["accepted"] == 2
    assert views(http, tour["tour_id"], [
        {"type": "viewpoint_view", "viewpoint_id": "vp9", "seconds": 1},
        {"type": "viewpoint_view", "viewpoint_id": "vp0", "seconds": 1}]).json["accepted"] == 1
    stats = http.get(f"/agency/tours/{tour['tour_id']}/stats", token=DEMO).json
    assert [v["viewpoint_id"] for v in stats["viewpoints"]] == ["vp0", "vp1"]


def test_the_narrowed_tour_refuses_foreign_pages(http: Any, make_tour: Any) -> None:
    tour = make_tour("email", allowed_origins=["https://player.example"])
    assert views(http, tour["tour_id"], [{"type": "tour_view"}],
                 headers={"Origin": "https://fremd.example"}).status == 404
    ok = views(http, tour["tour_id"], [{"type": "tour_view"}],
               headers={"Origin": "https://player.example"})
    assert ok.status == 202 and ok.headers["access-control-allow-origin"] == "https://player.example"


def test_viewing_is_exported_and_erased_with_the_person(http: Any, make_tour: Any,
                                                        outbox: Any) -> None:
    tour = make_tour("email")
    yes = register(http, tour["tour_id"], email="eva@example.org", viewing_stats_accepted=True)
    assert views(http, tour["tour_id"], [
        {"type": "tour_view"}, {"type": "viewpoint_view", "viewpoint_id": "flur",
                                "seconds": 9}], yes["viewer_token"]).status == 202
    with Client(application.app, stage_name="local") as client:
        def ops(event: dict[str, Any]) -> Any:
            return client.lambda_.invoke("ops", event).payload
        exported = ops({"action": "export_person", "agency_id": "demo",
                        "email": "eva@example.org"})
        [registration] = exported["registrations"]
        assert registration["viewing"]["viewpoints"] == [
            {"viewpoint_id": "flur", "views": 1, "seconds": 9}]
        assert len(registration["viewing"]["timeline"]) == 1
        assert ops({"action": "erase_person", "agency_id": "demo",
                    "email": "eva@example.org"})["ok"] is True
    assert http.get(f"/agency/registrations/{yes['registration_id']}", token=DEMO).status == 404
