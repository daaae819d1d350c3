"""The embed script and the local demo player page."""

from __future__ import annotations

from tests.conftest import DEMO


def test_embed_script_is_served_cacheable_to_any_origin(http):
    reply = http.get("/embed/v1.js", headers={"Origin": "https://player.example"})
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("application/javascript")
    assert reply.headers["access-control-allow-origin"] == "*"
    assert "max-age" in reply.headers["cache-control"]
    script = reply.text
    assert "window.Freigabe = Freigabe" in script
    for api_name in ("init:", "isProtected:", "requestAccess:"):
        assert api_name in script
    # The form names its inputs after the API fields.
    for field in ("first_name", "last_name", "email", "phone", "street", "zip", "city",
                  "message", "privacy_accepted"):
        assert f'"{field}"' in script or f"{field}:" in script


def test_demo_player_page_for_a_tour_and_404_for_unknown(http, make_tour):
    tour = make_tour("email")
    page = http.get(f"/demo/tours/{tour['tour_id']}")
    assert page.status == 200
    assert f'data-tour-id="{tour["tour_id"]}"' in page.text
    assert '<script src="/embed/v1.js"></script>' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert http.get("/embed/demo-player.js").status == 200

    missing = http.get("/demo/tours/doesnotexist")
    assert missing.status == 404
    assert missing.json["error"]["code"] == "not_found"
    assert http.get("/agency/tours", token=DEMO).status == 200
