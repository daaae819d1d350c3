"""v2 tour fields around the gate: the tour's privacy_url (own or the agency profile's),
the registration's viewpoint_id and viewing_stats_accepted, and the viewpoint hand-off
through the mail round trip (``&ansicht=``)."""

from __future__ import annotations

from typing import Any

from tests.conftest import DEMO, registration_payload, tour_payload
from tests.support import links_of


def _register(http: Any, tour_id: str, **extra: Any) -> Any:
    return http.post(f"/tours/{tour_id}/registrations", registration_payload(**extra))


def _mail_to(outbox: Any, address: str) -> dict[str, Any]:
    return next(m for m in reversed(outbox()) if m["to"] == [address])


def test_protection_names_the_tours_own_privacy_url_or_the_agencys(http: Any,
                                                                  make_tour: Any) -> None:
    profile = http.get("/agency/profile", token=DEMO).json
    agency_url = profile.get("privacy_url") or profile["controller"]["privacy_url"]
    own = make_tour("email", privacy_url="https://makler.example/datenschutz-rundgang")
    assert own["privacy_url"] == "https://makler.example/datenschutz-rundgang"
    assert http.get(f"/tours/{own['tour_id']}/protection").json["privacy_url"] == \
        "https://makler.example/datenschutz-rundgang"
    fallback = make_tour("email")
    assert fallback["privacy_url"] is None
    assert http.get(f"/tours/{fallback['tour_id']}/protection").json["privacy_url"] == agency_url


def test_a_protected_tour_needs_a_privacy_url_somewhere(http: Any, container: Any) -> None:
    container.tours.agency_privacy_url = lambda agency_id: None  # an agency without one
    refused = http.post("/agency/tours", tour_payload("email"), token=DEMO)
    assert refused.status == 422
    assert "privacy_url" in refused.json["error"]["fields"]
    assert http.post("/agency/tours", tour_payload("off"), token=DEMO).status == 201
    created = http.post("/agency/tours", tour_payload(
        "manual", privacy_url="https://makler.example/ds"), token=DEMO)
    assert created.status == 201
    bad = http.post("/agency/tours", tour_payload("email", privacy_url="http://makler.example/ds"),
                    token=DEMO)
    assert bad.status == 422 and "privacy_url" in bad.json["error"]["fields"]


def test_a_put_without_privacy_url_keeps_it(http: Any, make_tour: Any) -> None:
    tour = make_tour("email", privacy_url="https://makler.example/ds")
    replaced = http.put(f"/agency/tours/{tour['tour_id']}", tour_payload("email"), token=DEMO)
    assert replaced.status == 200 and replaced.json["privacy_url"] == "https://makler.example/ds"
    cleared = http.put(f"/agency/tours/{tour['tour_id']}",
                       tour_payload("email", privacy_url=None), token=DEMO)
    assert cleared.status == 200 and cleared.json["privacy_url"] is None


def test_the_unlock_redirect_leads_to_the_asked_protected_viewpoint(
        http: Any, make_tour: Any, outbox: Any) -> None:
    tour = make_tour("email")  # protected: wohnzimmer, bad
    reply = _register(http, tour["tour_id"], viewpoint_id="bad", viewing_stats_accepted=True)
    assert reply.status == 202, reply.body
    [link] = links_of(_mail_to(outbox, "eva@example.org"), "unlock")
    posted = http.form_post(link)
    assert posted.status == 303
    location = posted.headers["location"]
    assert location.startswith("https://touren.example/altbau#freigabe=")
    assert location.endswith("&ansicht=bad")
    registrations = http.get(f"/agency/tours/{tour['tour_id']}/registrations", token=DEMO).json
    [registration] = registrations["registrations"]
    assert registration["viewpoint_id"] == "bad"
    assert registration["viewing_stats_accepted"] is True


def test_no_ansicht_for_a_free_or_unknown_viewpoint(http: Any, make_tour: Any,
                                                    outbox: Any) -> None:
    tour = make_tour("email")
    for n, asked in enumerate(("flur", None, 17)):
        email = f"p{n}@example.org"
        extra: dict[str, Any] = {"email": email}
        if asked is not None:
            extra["viewpoint_id"] = asked
        assert _register(http, tour["tour_id"], **extra).status == 202
        [link] = links_of(_mail_to(outbox, email), "unlock")
        location = http.form_post(link).headers["location"]
        assert "#freigabe=" in location and "ansicht" not in location
    registrations = http.get(f"/agency/tours/{tour['tour_id']}/registrations", token=DEMO).json
    assert all(r["viewing_stats_accepted"] is False for r in registrations["registrations"])


def test_viewing_stats_consent_must_be_a_boolean(http: Any, make_tour: Any) -> None:
    tour = make_tour("email")
    reply = _register(http, tour["tour_id"], viewing_stats_accepted="ja")
    assert reply.status == 422
    assert "viewing_stats_accepted" in reply.json["error"]["fields"]


def test_the_approval_mail_leads_to_the_asked_viewpoint(http: Any, make_tour: Any,
                                                        outbox: Any) -> None:
    tour = make_tour("manual")
    assert _register(http, tour["tour_id"], viewpoint_id="wohnzimmer").status == 202
    [approve] = links_of(_mail_to(outbox, "dana@demo-makler.de"), "approve")
    assert http.form_post(approve).status == 200
    granted = _mail_to(outbox, "eva@example.org")
    assert "#freigabe=" in granted["text"] and "&ansicht=wohnzimmer" in granted["text"]
