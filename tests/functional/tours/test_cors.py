"""CORS of the public tour routes: any origin by default (contract), narrowed to the agency's
players' origins when the tour lists ``allowed_origins`` (issue 6)."""

from __future__ import annotations

from typing import Any

from tests.conftest import DEMO, registration_payload, tour_payload

PLAYER = "https://player.example"
OTHER_PLAYER = "https://touren.example:8443"
FOREIGN = "https://fremd.example"


def _public_calls(http: Any, tour_id: str, origin: str | None) -> dict[str, Any]:
    headers = {"Origin": origin} if origin else {}
    return {
        "protection": http.get(f"/tours/{tour_id}/protection", headers=headers),
        "access": http.get(f"/tours/{tour_id}/access", headers=headers),
        "registration": http.post(f"/tours/{tour_id}/registrations",
                                  registration_payload(email=f"x{len(headers)}@example.org"),
                                  headers=headers),
    }


def test_default_tour_answers_any_origin_with_a_star(http: Any, make_tour: Any) -> None:
    tour = make_tour("email")
    assert tour["allowed_origins"] == []
    answers = _public_calls(http, tour["tour_id"], FOREIGN)
    assert [a.status for a in answers.values()] == [200, 200, 202]
    for answer in answers.values():
        assert answer.headers["access-control-allow-origin"] == "*"
        assert "X-Viewer-Token" in answer.headers["access-control-allow-headers"]


def test_narrowed_tour_answers_its_players_with_their_origin(http: Any, make_tour: Any) -> None:
    tour = make_tour("email", allowed_origins=[PLAYER, OTHER_PLAYER])
    for origin in (PLAYER, OTHER_PLAYER):
        answers = _public_calls(http, tour["tour_id"], origin)
        assert [a.status for a in answers.values()] == [200, 200, 202], origin
        for answer in answers.values():
            assert answer.headers["access-control-allow-origin"] == origin
            assert answer.headers["vary"] == "Origin"
            # Chalice's other CORS headers stay (the player still sends X-Viewer-Token).
            assert "X-Viewer-Token" in answer.headers["access-control-allow-headers"]
    assert answers["registration"].json["status"] == "pending_email"


def test_narrowed_tour_refuses_other_origins_before_any_write(
        http: Any, make_tour: Any, outbox: Any) -> None:
    tour = make_tour("email", allowed_origins=[PLAYER])
    before = len(outbox())
    answers = _public_calls(http, tour["tour_id"], FOREIGN)
    # Like an unknown tour: a foreign page learns nothing, and nothing is registered or mailed.
    for answer in answers.values():
        assert answer.status == 404
        assert answer.json["error"]["code"] == "not_found"
        assert answer.headers["access-control-allow-origin"] != FOREIGN
    assert len(outbox()) == before
    stats = http.get(f"/agency/tours/{tour['tour_id']}/stats", token=DEMO).json
    assert stats["registrations"] == 0
    # A browser's opaque origin ("null": sandboxed frames, files) is foreign too.
    assert _public_calls(http, tour["tour_id"], "null")["protection"].status == 404


def test_narrowed_tour_still_serves_non_browser_clients_and_its_own_stack(
        http: Any, make_tour: Any, settings: Any) -> None:
    tour = make_tour("email", allowed_origins=[PLAYER])
    # No Origin header: not a cross-origin browser request (server-side players, curl).
    answers = _public_calls(http, tour["tour_id"], None)
    assert [a.status for a in answers.values()] == [200, 200, 202]
    assert answers["protection"].headers["access-control-allow-origin"] == PLAYER
    # The stack's own pages (the demo player) keep working.
    own = settings.public_base_url.rstrip("/")
    protection = http.get(f"/tours/{tour['tour_id']}/protection", headers={"Origin": own})
    assert protection.status == 200
    assert protection.headers["access-control-allow-origin"] == own


def test_allowed_origins_are_validated_normalized_and_replaceable(
        http: Any, make_tour: Any) -> None:
    bad = http.post("/agency/tours", tour_payload(allowed_origins=[
        "https://player.example/pfad", "ftp://player.example", "player.example", 17]), token=DEMO)
    assert bad.status == 422
    fields = bad.json["error"]["fields"]
    assert set(fields) == {f"allowed_origins.{i}" for i in range(4)}
    assert "ohne Pfad" in fields["allowed_origins.0"]
    tour = make_tour("email", allowed_origins=["HTTPS://Player.Example:443", PLAYER,
                                               "http://127.0.0.1:8080"])
    assert tour["allowed_origins"] == [PLAYER, "http://127.0.0.1:8080"]
    # A normalized entry matches what the browser sends.
    answer = http.get(f"/tours/{tour['tour_id']}/protection", headers={"Origin": PLAYER})
    assert answer.headers["access-control-allow-origin"] == PLAYER

    # PUT replaces the tour: without the list the tour is open to every origin again.
    replaced = http.put(f"/agency/tours/{tour['tour_id']}", tour_payload(), token=DEMO)
    assert replaced.status == 200 and replaced.json["allowed_origins"] == []
    answer = http.get(f"/tours/{tour['tour_id']}/protection", headers={"Origin": FOREIGN})
    assert answer.status == 200 and answer.headers["access-control-allow-origin"] == "*"
    too_many = http.put(f"/agency/tours/{tour['tour_id']}", tour_payload(
        allowed_origins=[f"https://p{i}.example" for i in range(21)]), token=DEMO)
    assert too_many.status == 422
