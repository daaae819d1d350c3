"""A real 360° player with the embed: Pannellum 2.5.7 from npm (examples/pannellum, installed
by `make examples`) on a page of its own, WebGL in headless Chromium. The protected room's
panorama lives only in the private bucket and reaches the player through Freigabe.mediaUrl."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import DEFAULT_TIMEOUT_MS
from tests.browser.players import (
    example_site,
    make_player_tour,
    panorama,
    upload_media,
    webgl_chromium,
)
from tests.conftest import DEMO
from tests.live_stack import Running

_EXPECTED = re.compile(r"Failed to load resource: the server responded with a status of 4\d\d")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, webgl_chromium(playwright) as browser:
        yield browser


@pytest.fixture(scope="module")
def pictures(chromium: Any) -> dict[str, bytes]:
    context = chromium.new_context()
    try:
        page = context.new_page()
        return {"eingang": panorama(page, "EINGANG", "#1d4ed8"),
                "wohnzimmer": panorama(page, "WOHNZIMMER", "#b45309")}
    finally:
        context.close()


@pytest.fixture(scope="module")
def site(pictures: dict[str, bytes]) -> Iterator[str]:
    with example_site("pannellum", {"/eingang.jpg": pictures["eingang"]}) as url:
        yield url


@pytest.fixture
def tab(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(locale="de-DE", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text)
            if m.type == "error" and not _EXPECTED.search(m.text) else None)
    page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500
            else None)
    try:
        yield page
    finally:
        context.close()
    assert not problems, "browser reported problems:\n" + "\n".join(problems)


@pytest.fixture
def tour(live: Running, site: str, pictures: dict[str, bytes]) -> str:
    tour_id = make_player_tour(live.stack, site, ["wohnzimmer"])
    upload_media(live.stack, tour_id, "wohnzimmer", pictures["wohnzimmer"])
    return tour_id


def _open(tab: Any, site: str, live: Running, tour_id: str) -> None:
    tab.goto(f"{site}/index.html?api={live.stack.base}&tour={tour_id}")
    tab.locator("body[data-loaded=eingang]").wait_for()
    tab.locator("#status").filter(has_text="Status:").wait_for()


def _hotspot(tab: Any) -> Any:
    return tab.locator(".pnlm-hotspot.geschuetzt")


def test_protected_hotspot_unlock_by_mail_lands_on_the_asked_room(
        live: Running, tab: Any, site: str, tour: str, mail_link: Any, shot: Any) -> None:
    stack = live.stack
    media_requests: list[str] = []
    tab.on("request", lambda r: media_requests.append(r.url) if "X-Amz-Signature" in r.url
           else None)
    _open(tab, site, live, tour)
    # A real WebGL panorama is on screen (not Pannellum's "no WebGL" error).
    assert tab.locator(".pnlm-render-container canvas").count() == 1
    assert tab.locator(".pnlm-error-msg:visible").count() == 0

    _hotspot(tab).click()
    dialog = tab.locator("#panorama .fg-dialog")
    dialog.wait_for()
    # The consent boxes: privacy with the tour's privacy_url (never "#"), statistics unchecked.
    assert dialog.get_by_role("link", name="Datenschutzerklärung").get_attribute("href") == \
        "https://demo-makler.example/datenschutz"
    assert not dialog.locator("[name=viewing_stats_accepted]").is_checked()
    email = f"pano-{uuid.uuid4().hex[:8]}@example.org"
    dialog.locator("[name=first_name]").fill("Eva")
    dialog.locator("[name=email]").fill(email)
    dialog.locator("[name=privacy_accepted]").check()
    dialog.locator("[name=viewing_stats_accepted]").check()
    shot(tab, "pannellum-registration")
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
    shot(tab, "pannellum-unlocked-room")

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


def test_the_dialog_opens_inside_the_fullscreen_player(
        live: Running, tab: Any, site: str, tour: str, shot: Any) -> None:
    _open(tab, site, live, tour)
    tab.locator(".pnlm-fullscreen-toggle-button").click()
    tab.wait_for_function("() => document.fullscreenElement && "
                          "document.fullscreenElement.id === 'panorama'")
    _hotspot(tab).click()
    tab.locator(".fg-dialog").wait_for()
    assert tab.evaluate("() => document.fullscreenElement.contains("
                        "document.querySelector('.fg-dialog'))")
    shot(tab, "pannellum-fullscreen-dialog")
    tab.keyboard.press("Escape")  # closes the dialog (cancel), the room stays closed
    assert tab.locator("body").get_attribute("data-scene") is None


def test_a_failing_gate_keeps_the_protected_room_closed_on_a_phone(
        live: Running, chromium: Any, site: str, tour: str) -> None:
    # The agency narrowed the tour to another player: this origin gets 404, init fails.
    stack = live.stack
    current = stack.call("GET", f"/agency/tours/{tour}", token=DEMO).json
    settings = {k: current[k] for k in ("title", "tour_url", "protection", "contact",
                                         "privacy_url")}
    narrowed = stack.call("PUT", f"/agency/tours/{tour}", token=DEMO,
                          json_body={**settings, "allowed_origins": ["https://anderer.example"]})
    assert narrowed.status == 200, narrowed.body
    context = chromium.new_context(locale="de-DE", viewport={"width": 390, "height": 844},
                                   is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(f"{site}/index.html?api={stack.base}&tour={tour}")
        page.locator("body[data-loaded=eingang]").wait_for()
        page.locator("#status").filter(has_text="Freigabe nicht erreichbar").wait_for()
        _hotspot(page).tap()
        page.get_by_role("heading", name="Bereich derzeit nicht verfügbar").wait_for()
        page.locator("#status").filter(has_text="Zugang: unavailable").wait_for()
        box = page.locator(".fg-dialog").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert page.locator("body").get_attribute("data-scene") is None
    finally:
        context.close()
