"""The embed script /embed/v1.js in Chromium, on the local demo player /demo/tours/{id}:
registration in both release modes, unlocking through the mailed links, the denied state,
the API's field errors, and the modal's keyboard handling."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.conftest import DEMO
from tests.live_stack import Running, Stack

PROTECTED = ["wohnzimmer", "bad"]


def _make_tour(stack: Stack, mode: str, required: list[str]) -> str:
    """A tour whose ``tour_url`` is the demo player itself, so the unlock redirect lands there."""
    payload: dict[str, Any] = {
        "title": "Altbauwohnung Prenzlauer Berg", "tour_url": "https://touren.example/altbau",
        "protection": {"mode": mode, "required_fields": required,
                       "protected_viewpoints": PROTECTED},
        "contact": {"name": "Dana Demo", "company": "Demo Makler GmbH",
                    "email": "dana@demo-makler.de", "phone": "+49 30 1234567"},
    }
    created = stack.call("POST", "/agency/tours", json_body=payload, token=DEMO)
    assert created.status == 201, created.body
    tour_id = created.json["tour_id"]
    payload["tour_url"] = f"{stack.base}/demo/tours/{tour_id}"
    replaced = stack.call("PUT", f"/agency/tours/{tour_id}", json_body=payload, token=DEMO)
    assert replaced.status == 200, replaced.body
    return tour_id


def _email() -> str:
    return f"interessent-{uuid.uuid4().hex[:10]}@example.org"


def _open_player(page: Any, live: Running, tour_id: str) -> None:
    page.goto(f"{live.stack.base}/demo/tours/{tour_id}")
    page.locator("#state").filter(has_text="Status:").wait_for()


def _open_player_with_paused_clock(page: Any, live: Running, tour_id: str) -> None:
    """The embed polls ``access`` with backoff (3 s first): the page's timers stand still
    until the test moves them with ``page.clock.run_for``."""
    start = datetime.now(UTC)
    page.clock.install(time=start)
    _open_player(page, live, tour_id)
    page.clock.pause_at(start + timedelta(minutes=1))


def _open_form(page: Any) -> Any:
    page.get_by_role("button", name="wohnzimmer").click()
    dialog = page.get_by_role("dialog", name="Registrierung für den Rundgang")
    dialog.wait_for()
    return dialog


def _fill(dialog: Any, values: dict[str, str]) -> None:
    for name, value in values.items():
        dialog.locator(f"[name={name}]").fill(value)
    dialog.get_by_label("Datenschutzerklärung").check()


def _viewer_token(page: Any, tour_id: str) -> str | None:
    return page.evaluate("(id) => localStorage.getItem('freigabe:' + id)", tour_id)


def _access(stack: Stack, tour_id: str, token: str | None) -> str:
    answer = stack.call("GET", f"/tours/{tour_id}/access", headers={"X-Viewer-Token": token or ""})
    assert answer.status == 200, answer.body
    return answer.json["status"]


def test_email_mode_registers_and_the_mailed_link_unlocks_the_player(
        live: Running, page: Any, shot: Any, mail_link: Any, assert_accessible: Any) -> None:
    stack = live.stack
    tour_id = _make_tour(stack, "email", ["first_name", "last_name"])
    email = _email()
    _open_player(page, live, tour_id)
    assert "Status: locked" in page.locator("#state").inner_text()
    # Unprotected viewpoints open at once, without a dialog.
    page.get_by_role("button", name="flur").click()
    assert page.locator("#panel").inner_text() == "flur"
    assert page.get_by_role("dialog").count() == 0

    dialog = _open_form(page)
    assert_accessible(page, ".fg-dialog")
    # The inputs are named after the API fields (contract), message optional.
    names = dialog.locator("input, textarea").evaluate_all("els => els.map(e => e.name)")
    assert names == ["first_name", "last_name", "email", "message", "privacy_accepted",
                     "viewing_stats_accepted"]
    # Viewing statistics per lead are voluntary: the box starts unchecked (contract v2).
    assert not dialog.locator("[name=viewing_stats_accepted]").is_checked()
    _fill(dialog, {"first_name": "Eva", "last_name": "Müller", "email": email})
    shot(page, "embed-registration")
    dialog.get_by_role("button", name="Zugang anfordern").click()
    page.get_by_role("heading", name="Bitte prüfen Sie Ihr E-Mail-Postfach").wait_for()
    shot(page, "embed-check-mail")
    token = _viewer_token(page, tour_id)
    assert token and _access(stack, tour_id, token) == "pending_email"

    # The prospect opens the mailed link in the same browser and presses the button.
    unlock = mail_link("unlock", email)
    page.goto(unlock)
    page.get_by_role("button", name="Rundgang freischalten").click()
    page.wait_for_url(re.compile(rf"/demo/tours/{tour_id}"))
    page.locator("#state").filter(has_text="Status: unlocked").wait_for()
    # The embed took the token from #freigabe=… and removed it from the address bar.
    assert "freigabe=" not in page.url
    landed = _viewer_token(page, tour_id)
    assert landed and landed != token and _access(stack, tour_id, landed) == "unlocked"
    page.get_by_role("button", name="wohnzimmer").click()
    assert page.locator("#panel").inner_text() == "wohnzimmer"
    assert page.get_by_role("dialog").count() == 0
    # The link is used up.
    assert stack.call("POST", unlock).status == 410


def test_manual_mode_waits_and_the_agency_approval_resolves_request_access(
        live: Running, page: Any, browser: Any, shot: Any, mail_link: Any) -> None:
    stack = live.stack
    tour_id = _make_tour(stack, "manual", ["first_name", "last_name", "phone"])
    email = _email()
    _open_player_with_paused_clock(page, live, tour_id)
    dialog = _open_form(page)
    _fill(dialog, {"first_name": "Max", "last_name": "Kunde", "phone": "+49 170 1234567",
                   "email": email})
    dialog.get_by_role("button", name="Zugang anfordern").click()
    page.get_by_role("heading", name="Ihre Anfrage wird geprüft").wait_for()
    shot(page, "embed-waiting-for-agency")

    # The agency decides in its own browser, through the link mailed to the tour's contact.
    approve = mail_link("approve", "dana@demo-makler.de")
    agency = browser.new_page(locale="de-DE")
    try:
        agency.goto(approve)
        assert "Max" in agency.content()
        agency.get_by_role("button", name="Zugang gewähren").click()
        agency.get_by_text("Zugang gewährt").first.wait_for()
    finally:
        agency.close()

    # Still waiting until the next poll; then requestAccess resolves and the viewpoint opens.
    assert page.locator("#panel").inner_text() == "Eingang"
    page.clock.run_for(5_000)
    page.locator("#panel").filter(has_text="wohnzimmer").wait_for()
    assert page.get_by_role("dialog").count() == 0
    assert "Status: unlocked" in page.locator("#state").inner_text()


def test_denied_request_shows_the_denied_state_also_after_reload(
        live: Running, page: Any, shot: Any, mail_link: Any) -> None:
    stack = live.stack
    tour_id = _make_tour(stack, "manual", [])
    email = _email()
    _open_player_with_paused_clock(page, live, tour_id)
    dialog = _open_form(page)
    _fill(dialog, {"email": email})
    dialog.get_by_role("button", name="Zugang anfordern").click()
    page.get_by_role("heading", name="Ihre Anfrage wird geprüft").wait_for()

    deny = mail_link("deny", "dana@demo-makler.de")
    assert stack.call("POST", deny).status == 200
    page.clock.run_for(5_000)
    page.get_by_role("heading", name="Zugang nicht möglich").wait_for()
    shot(page, "embed-denied")
    page.get_by_role("button", name="Schließen").click()
    assert page.locator("#panel").inner_text() == "Eingang"

    # The token stays in localStorage: a reload knows the request was denied.
    page.reload()
    page.locator("#state").filter(has_text="Status: denied").wait_for()
    page.get_by_role("button", name="bad").click()
    page.get_by_role("heading", name="Zugang nicht möglich").wait_for()
    assert page.locator("form").count() == 0


def test_api_field_errors_appear_in_german_next_to_their_inputs(
        live: Running, page: Any, shot: Any, assert_accessible: Any) -> None:
    tour_id = _make_tour(live.stack, "email", ["first_name", "phone"])
    _open_player(page, live, tour_id)
    dialog = _open_form(page)
    dialog.locator("[name=email]").fill("keine-adresse")
    dialog.locator("[name=phone]").fill("abc")
    dialog.get_by_role("button", name="Zugang anfordern").click()

    email = dialog.locator("[name=email]")
    email.and_(page.locator("[aria-invalid=true]")).wait_for()
    described = {}
    for name in ("first_name", "email", "phone", "privacy_accepted"):
        field = dialog.locator(f"[name={name}]")
        assert field.get_attribute("aria-invalid") == "true", name
        # The message is tied to the input (aria-describedby) and sits right after it.
        error_id = field.get_attribute("aria-describedby")
        described[name] = page.locator(f"#{error_id}").inner_text()
    assert described["first_name"] == "Pflichtfeld."
    assert "gültige E-Mail-Adresse" in described["email"]
    assert "gültige Telefonnummer" in described["phone"]
    assert "Datenschutzerklärung" in described["privacy_accepted"]
    # What the prospect typed is kept, and the form is still labelled.
    assert email.input_value() == "keine-adresse"
    assert_accessible(page, ".fg-dialog")
    shot(page, "embed-field-errors")

    # Corrected input goes through.
    email.fill(_email())
    dialog.locator("[name=phone]").fill("+49 30 555 0101")
    dialog.locator("[name=first_name]").fill("Eva")
    dialog.get_by_label("Datenschutzerklärung").check()
    dialog.get_by_role("button", name="Zugang anfordern").click()
    page.get_by_role("heading", name="Bitte prüfen Sie Ihr E-Mail-Postfach").wait_for()


def test_modal_is_keyboard_operable_with_visible_focus(
        live: Running, page: Any, assert_focus_visible: Any) -> None:
    tour_id = _make_tour(live.stack, "email", ["first_name"])
    _open_player(page, live, tour_id)
    opener = page.get_by_role("button", name="bad")
    opener.focus()
    page.keyboard.press("Enter")
    page.get_by_role("dialog").wait_for()
    focused = lambda: page.evaluate("document.activeElement.name || document.activeElement.textContent")  # noqa: E731
    assert focused() == "first_name"  # focus moves into the dialog

    # Tab walks the dialog's controls with a visible focus ring and wraps around inside it.
    order = assert_focus_visible(page, tabs=8)
    assert [re.search(r'name="(\w+)"|>([^<]+)<', tag).group(0) for tag in order[:5]] == [
        'name="email"', 'name="message"', 'name="privacy_accepted"', '>Datenschutzerklärung<',
        'name="viewing_stats_accepted"']
    assert "Zugang anfordern" in order[6] and 'name="first_name"' in order[7]
    page.keyboard.press("Shift+Tab")
    assert focused() == "Zugang anfordern"
    assert page.evaluate("!!document.activeElement.closest('[role=dialog]')")

    # Escape closes the dialog and gives focus back to the viewpoint button.
    page.keyboard.press("Escape")
    assert page.get_by_role("dialog").count() == 0
    assert focused() == "bad"
    assert page.locator("#panel").inner_text() == "Eingang"


@pytest.fixture
def player_origin(live: Running) -> Iterator[str]:
    """A tour player on another origin (its own little HTTP server, also on loopback so
    Chromium's local-network checks treat it like a player next to a public API) that
    includes the embed from the stack: every API call is a real cross-origin request."""
    html = (f'<!doctype html><html lang="de"><head><title>Player</title>'
            f'<script src="{live.stack.base}/embed/v1.js"></script></head><body></body></html>'
            ).encode()

    class Player(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args: Any) -> None:  # keep the test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Player)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _init(page: Any, tour_id: str) -> str:
    return page.evaluate("""(id) => Freigabe.init({tourId: id}).then(
        (info) => info.status, (error) => 'Fehler: ' + error.message)""", tour_id)


def test_cors_from_a_player_on_another_origin_and_its_narrowing(
        live: Running, page: Any, player_origin: str) -> None:
    stack = live.stack
    player = player_origin
    tour_id = _make_tour(stack, "email", [])
    page.goto(f"{player}/rundgang")
    assert _init(page, tour_id) == "locked"
    # Registering is a preflighted JSON POST; the access check sends X-Viewer-Token.
    page.evaluate("() => { Freigabe.requestAccess('wohnzimmer'); }")
    dialog = page.get_by_role("dialog", name="Registrierung für den Rundgang")
    _fill(dialog, {"email": _email()})
    dialog.get_by_role("button", name="Zugang anfordern").click()
    page.get_by_role("heading", name="Bitte prüfen Sie Ihr E-Mail-Postfach").wait_for()
    page.reload()
    assert _init(page, tour_id) == "pending_email"

    # The agency narrows the tour to another player: this origin is refused.
    tour = stack.call("GET", f"/agency/tours/{tour_id}", token=DEMO).json
    settings = {k: tour[k] for k in ("title", "tour_url", "protection", "contact")}

    def narrow(origins: list[str]) -> None:
        answer = stack.call("PUT", f"/agency/tours/{tour_id}", token=DEMO,
                            json_body={**settings, "allowed_origins": origins})
        assert answer.status == 200, answer.body

    narrow(["https://anderer-player.example"])
    page.reload()
    assert _init(page, tour_id) == "Fehler: Rundgang nicht gefunden"
    # Listed: the browser accepts the answers again (Access-Control-Allow-Origin = player).
    narrow([player])
    page.reload()
    assert _init(page, tour_id) == "pending_email"
