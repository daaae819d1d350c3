"""What every real 360° player with the embed must do, in Chromium with WebGL: each
test_player_<name>.py module names its ``PLAYER`` (players.py) and runs ``PlayerScenarios``
as a test class of its own. The protected room's panorama lives only in the private bucket
and reaches the player through ``Freigabe.mediaUrl``."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from tests.browser.players import Player
from tests.conftest import DEMO
from tests.live_stack import Running


def open_tour(tab: Any, site: str, live: Running, tour_id: str) -> None:
    tab.goto(f"{site}/index.html?api={live.stack.base}&tour={tour_id}")
    tab.locator("body[data-loaded=eingang]").wait_for()
    tab.locator("#status").filter(has_text="Status:").wait_for()


def unlock_by_mail_lands_on_the_asked_room(player: Player, live: Running, tab: Any, site: str,
                                           tour: str, mail_link: Any, shot: Any) -> None:
    stack = live.stack
    media_requests: list[str] = []
    tab.on("request", lambda r: media_requests.append(r.url) if "X-Amz-Signature" in r.url
           else None)
    open_tour(tab, site, live, tour)
    # A real WebGL panorama is on screen (not the player's "no WebGL" error).
    assert tab.locator(player.canvas).count() == 1
    assert player.error is None or tab.locator(player.error).count() == 0

    tab.locator(player.hotspot).click()
    dialog = tab.locator("#panorama .fg-dialog")
    dialog.wait_for()
    # The consent boxes: privacy with the tour's privacy_url (never "#"), statistics unchecked.
    assert dialog.get_by_role("link", name="Datenschutzerklärung").get_attribute("href") == \
        "https://demo-makler.example/datenschutz"
    assert not dialog.locator("[name=viewing_stats_accepted]").is_checked()
    email = f"{player.name}-{uuid.uuid4().hex[:8]}@example.org"
    dialog.locator("[name=first_name]").fill("Eva")
    dialog.locator("[name=email]").fill(email)
    dialog.locator("[name=privacy_accepted]").check()
    dialog.locator("[name=viewing_stats_accepted]").check()
    shot(tab, f"{player.name}-registration")
    dialog.get_by_role("button", name="Zugang anfordern").click()
    tab.get_by_role("heading", name="Bitte prüfen Sie Ihr E-Mail-Postfach").wait_for()
    assert tab.locator("body").get_attribute("data-scene") is None  # still outside

    tab.goto(mail_link("unlock", email))
    tab.get_by_role("button", name="Rundgang freischalten").click()
    tab.wait_for_url(re.compile(re.escape(site)))
    # Back in the player, straight in the room asked for, its picture from the bucket.
    tab.locator("body[data-loaded=wohnzimmer]").wait_for(timeout=20_000)
    assert "ansicht=" not in tab.url and "freigabe=" not in tab.url
    assert "Status: unlocked" in tab.locator("#status").inner_text()
    [picture] = [u for u in media_requests if "/media/" in urlsplit(u).path]
    assert urlsplit(picture).netloc != urlsplit(stack.base).netloc
    shot(tab, f"{player.name}-unlocked-room")

    # Without the signature the bucket refuses the object; without a token the API does.
    bare = picture.split("?", 1)[0]
    assert tab.evaluate("(u) => fetch(u).then(r => r.status)", bare) == 403
    assert tab.evaluate("""([base, tour]) => fetch(`${base}/tours/${tour}/viewpoints/wohnzimmer/media`)
        .then(r => r.json().then(b => [r.status, b.error.code]))""", [stack.base, tour]) == \
        [401, "not_unlocked"]

    # Leaving the page sends the viewing beacon; with the consent it reaches the lead.
    token = tab.evaluate("(id) => localStorage.getItem('freigabe:' + id)", tour)
    tab.goto("about:blank")
    registration_id = token.split(".")[0]
    viewing: dict[str, Any] = {}
    for _ in range(50):
        viewing = stack.call("GET", f"/agency/registrations/{registration_id}",
                             token=DEMO).json["viewing"]
        if any(v["viewpoint_id"] == "wohnzimmer" for v in viewing["viewpoints"]):
            break
        time.sleep(0.2)
    assert viewing["accepted"] is True and viewing["visits"] >= 2
    assert {v["viewpoint_id"] for v in viewing["viewpoints"]} >= {"eingang", "wohnzimmer"}
    funnel = stack.call("GET", f"/agency/tours/{tour}/stats", token=DEMO).json["funnel"]
    assert funnel["tour_views"] >= 2 and funnel["form_opened"] >= 1
    assert funnel["registrations"] == 1 and funnel["unlocked"] == 1


def dialog_opens_inside_the_fullscreen_player(player: Player, live: Running, tab: Any,
                                              site: str, tour: str, shot: Any) -> None:
    open_tour(tab, site, live, tour)
    tab.locator(player.fullscreen).click()
    tab.wait_for_function("() => document.fullscreenElement && "
                          "document.fullscreenElement.id === 'panorama'")
    tab.locator(player.hotspot).click()
    tab.locator(".fg-dialog").wait_for()
    assert tab.evaluate("() => document.fullscreenElement.contains("
                        "document.querySelector('.fg-dialog'))")
    # On top of the player's own layers: what is under the dialog's centre is the dialog.
    assert tab.evaluate("""() => { const box = document.querySelector('.fg-dialog').getBoundingClientRect();
        const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
        return !!hit && !!hit.closest('.fg-dialog'); }""")
    shot(tab, f"{player.name}-fullscreen-dialog")
    tab.keyboard.press("Escape")  # closes the dialog (cancel), the room stays closed
    tab.locator(".fg-dialog").wait_for(state="detached")
    assert tab.locator("body").get_attribute("data-scene") is None


def failing_gate_keeps_the_protected_room_closed_on_a_phone(
        player: Player, live: Running, browser: Any, site: str, tour: str) -> None:
    # The agency narrowed the tour to another player: this origin gets 404, init fails.
    stack = live.stack
    current = stack.call("GET", f"/agency/tours/{tour}", token=DEMO).json
    settings = {k: current[k] for k in ("title", "tour_url", "protection", "contact",
                                         "privacy_url")}
    narrowed = stack.call("PUT", f"/agency/tours/{tour}", token=DEMO,
                          json_body={**settings, "allowed_origins": ["https://anderer.example"]})
    assert narrowed.status == 200, narrowed.body
    context = browser.new_context(locale="de-DE", viewport={"width": 390, "height": 844},
                                  is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(f"{site}/index.html?api={stack.base}&tour={tour}")
        page.locator("body[data-loaded=eingang]").wait_for()
        page.locator("#status").filter(has_text="Freigabe nicht erreichbar").wait_for()
        page.locator(player.hotspot).tap()
        page.get_by_role("heading", name="Bereich derzeit nicht verfügbar").wait_for()
        page.locator("#status").filter(has_text="Zugang: unavailable").wait_for()
        box = page.locator(".fg-dialog").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert page.locator("body").get_attribute("data-scene") is None
    finally:
        context.close()


class PlayerScenarios:
    """The tests, for a subclass named ``Test<Player>`` with ``player`` set (and ``PLAYER``
    at module level for the module-scoped fixtures)."""

    player: Player

    def test_protected_hotspot_unlock_by_mail_lands_on_the_asked_room(
            self, live: Running, player_tab: Any, player_site: str, player_tour: str,
            mail_link: Any, shot: Any) -> None:
        unlock_by_mail_lands_on_the_asked_room(self.player, live, player_tab, player_site,
                                               player_tour, mail_link, shot)

    def test_the_dialog_opens_inside_the_fullscreen_player(
            self, live: Running, player_tab: Any, player_site: str, player_tour: str,
            shot: Any) -> None:
        dialog_opens_inside_the_fullscreen_player(self.player, live, player_tab, player_site,
                                                  player_tour, shot)

    def test_a_failing_gate_keeps_the_protected_room_closed_on_a_phone(
            self, live: Running, webgl_browser: Any, player_site: str, player_tour: str) -> None:
        failing_gate_keeps_the_protected_room_closed_on_a_phone(
            self.player, live, webgl_browser, player_site, player_tour)
