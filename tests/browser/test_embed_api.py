"""The embed's v2 API in Chromium on a player page of another origin: fail closed (with and
without fallbackProtected), requestAccess waiting for a pending init, the reject reasons,
events and forget (contract v2, "/embed/v1.js additions")."""

from __future__ import annotations

import uuid
from typing import Any

from tests.browser.test_embed import _make_tour, player_origin  # noqa: F401 - fixture
from tests.live_stack import Running


def test_a_failed_init_keeps_protected_viewpoints_closed(
        live: Running, page: Any, player_origin: str) -> None:  # noqa: F811
    page.goto(f"{player_origin}/rundgang")
    result = page.evaluate("""async () => {
        const failed = await Freigabe.init({tourId: 'gibt-es-nicht'}).then(() => 'ok', () => 'failed');
        return {failed, any: Freigabe.isProtected('flur')};
    }""")
    assert result == {"failed": "failed", "any": True}
    outcome = page.evaluate("""async () => {
        await Freigabe.init({tourId: 'gibt-es-nicht', fallbackProtected: ['wohnzimmer']}).catch(() => null);
        const free = await Freigabe.requestAccess('flur').then(() => 'open', (e) => e.reason);
        const closed = await Freigabe.requestAccess('wohnzimmer').then(() => 'open', (e) => e.reason);
        const media = await Freigabe.mediaUrl('wohnzimmer').then(() => 'url', (e) => e.reason);
        return {free, closed, media, flur: Freigabe.isProtected('flur'),
                wohnzimmer: Freigabe.isProtected('wohnzimmer')};
    }""")
    assert outcome == {"free": "open", "closed": "unavailable", "media": "unavailable",
                       "flur": False, "wohnzimmer": True}
    page.get_by_role("heading", name="Bereich derzeit nicht verfügbar").wait_for()


def test_request_access_waits_for_init_and_events_follow_the_flow(
        live: Running, page: Any, player_origin: str) -> None:  # noqa: F811
    tour_id = _make_tour(live.stack, "email", [])
    page.goto(f"{player_origin}/rundgang")
    page.evaluate("""(id) => {
        window.seen = [];
        for (const type of ['statuschange', 'registered', 'unlocked', 'cancel', 'error']) {
          Freigabe.on(type, (detail) => window.seen.push([type, detail.status || null]));
        }
        // Asked before init was even called: waits, then shows the form.
        window.first = Freigabe.requestAccess('wohnzimmer').then(() => 'open', (e) => e.reason);
        Freigabe.init({tourId: id});
    }""", tour_id)
    dialog = page.get_by_role("dialog", name="Registrierung für den Rundgang")
    dialog.wait_for()
    page.keyboard.press("Escape")
    assert page.evaluate("() => window.first") == "cancel"
    page.evaluate("() => { window.second = Freigabe.requestAccess('wohnzimmer'); }")
    dialog.locator("[name=email]").fill(f"api-{uuid.uuid4().hex[:8]}@example.org")
    dialog.get_by_label("Datenschutzerklärung").check()
    dialog.get_by_role("button", name="Zugang anfordern").click()
    page.get_by_role("heading", name="Bitte prüfen Sie Ihr E-Mail-Postfach").wait_for()
    seen = page.evaluate("() => window.seen")
    assert ["cancel", None] in seen
    assert ["statuschange", "pending_email"] in seen and ["registered", "pending_email"] in seen
    # forget drops the token: locked again, and the page hears it.
    status = page.evaluate("""(id) => { Freigabe.forget();
        return [Freigabe.status(), localStorage.getItem('freigabe:' + id)]; }""", tour_id)
    assert status == ["locked", None]
    assert page.evaluate("() => window.seen.at(-1)") == ["statuschange", "locked"]
