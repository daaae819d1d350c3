"""The agency dashboard /dashboard/ in Chromium against the real local stack: sign-in,
tours with leads (approve, CSV export), reviews (comment, "Problem melden"), addresses (new
address with the API's field errors, activities, contact and store-until edits, the printable
consent record in its own tab) and the GDPR worklists (consent mails, deletion after a
confirmation), accessibility basics."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from devstack.environment import DEMO_PASSWORD
from tests.conftest import DEMO
from tests.live_stack import Running, Stack

TOKEN_KEY = "freigabe.agency.id"
OWNER_EMAIL = "inhaber@demo-makler.de"


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _email(prefix: str = "lead") -> str:
    return f"{_unique(prefix)}@example.org"


def _settled(page: Any) -> None:
    """Waits until a view is rendered: the router moves the focus to its heading last."""
    # Locators, not wait_for_function: the page's CSP forbids the eval that one needs.
    page.locator("#main:not([aria-busy]) #page-title:focus").wait_for()


def _sign_in(page: Any, live: Running, path: str = "/dashboard/", *, settle: bool = True,
             email: str = OWNER_EMAIL, password: str = DEMO_PASSWORD) -> None:
    page.goto(live.stack.base + path)
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("navigation", name="Bereiche").wait_for()
    if settle:
        _settled(page)


def _go(page: Any, live: Running, hash_route: str) -> None:
    """Loads a hash route afresh in the signed-in tab (sessionStorage survives reloads)."""
    page.goto(f"{live.stack.base}/dashboard/{hash_route}")
    page.reload()
    _settled(page)


def _tour(stack: Stack, mode: str = "manual") -> dict[str, Any]:
    created = stack.call("POST", "/agency/tours", token=DEMO, json_body={
        "title": _unique("Rundgang"), "tour_url": "https://touren.example/altbau",
        "protection": {"mode": mode, "required_fields": ["first_name", "last_name", "phone"],
                       "protected_viewpoints": ["wohnzimmer"]},
        "contact": {"name": "Dana Demo", "company": "Demo Makler GmbH",
                    "email": "dana@demo-makler.de", "phone": "+49 30 1234567"}})
    assert created.status == 201, created.body
    return created.json


def _register(stack: Stack, tour_id: str, email: str, first_name: str = "Max",
              last_name: str = "Kunde") -> dict[str, Any]:
    answer = stack.call("POST", f"/tours/{tour_id}/registrations", json_body={
        "first_name": first_name, "last_name": last_name, "phone": "+49 170 1234567",
        "email": email, "privacy_accepted": True})
    assert answer.status == 202, answer.body
    return answer.json


def _focus_top(page: Any) -> None:
    """Moves the keyboard's starting point to the top of the page (the next Tab reaches the
    skip link), as after a fresh load."""
    page.evaluate("""() => { document.body.tabIndex = -1; document.body.focus();
                             document.body.removeAttribute('tabindex'); }""")


# -- sign-in ------------------------------------------------------------------------------

def test_sign_in_refuses_a_wrong_password_and_keeps_the_session_across_reloads(
        live: Running, page: Any, shot: Any, assert_accessible: Any,
        assert_focus_visible: Any) -> None:
    page.goto(live.stack.base + "/dashboard/")
    email, password = page.get_by_label("E-Mail-Adresse"), page.get_by_label("Passwort", exact=True)
    # The sign-in form takes the focus; every input is labelled and the focus is visible.
    assert page.evaluate("document.activeElement.name") == "email"
    # Nothing of the app before sign-in: neither the menu nor "Abmelden".
    assert not page.get_by_role("navigation", name="Bereiche").is_visible()
    assert not page.get_by_role("button", name="Abmelden").is_visible()
    assert_accessible(page)
    shot(page, "dashboard-sign-in")

    email.fill(OWNER_EMAIL)
    password.fill("Falsches-Passwort-1!")
    password.press("Enter")
    page.get_by_role("alert").filter(has_text="E-Mail-Adresse oder Passwort ist falsch.").wait_for()
    assert password.get_attribute("aria-invalid") == "true"
    assert page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") is None

    password.fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("heading", name="Rundgänge", level=2).wait_for()
    assert page.get_by_text("Ines Inhaber · Inhaber").is_visible()
    assert page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')").startswith("eyJ")
    # Never a cookie: nothing the browser would send by itself.
    assert page.context.cookies() == []
    _settled(page)
    _focus_top(page)
    links = page.get_by_role("navigation", name="Bereiche").get_by_role("link").count()
    focused = assert_focus_visible(page, tabs=links + 2)
    assert "Zum Inhalt springen" in focused[0] and "Abmelden" in focused[-1]

    # An id token gone bad: the refresh token continues the session without a sign-in.
    page.evaluate(f"sessionStorage.setItem('{TOKEN_KEY}', 'abgelaufen')")
    page.get_by_role("link", name="Bewertungen").click()
    page.get_by_role("heading", name="Bewertungen", level=2).wait_for()
    assert page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')").startswith("eyJ")
    # A new tab of the same browser continues the session too.
    second = page.context.new_page()
    second.goto(live.stack.base + "/dashboard/#/addresses")
    second.get_by_role("navigation", name="Bereiche").wait_for()
    second.close()
    # A fresh browser profile is signed out.
    other = page.context.browser.new_context(locale="de-DE")
    try:
        fresh = other.new_page()
        fresh.goto(live.stack.base + "/dashboard/")
        fresh.get_by_label("E-Mail-Adresse").wait_for()
    finally:
        other.close()


# -- tours ----------------------------------------------------------------------------------

def test_create_a_tour_with_field_errors_shown_in_german(
        live: Running, page: Any, shot: Any, assert_accessible: Any) -> None:
    _sign_in(page, live)
    page.get_by_role("link", name="Neuer Rundgang").click()
    page.get_by_role("heading", name="Neuer Rundgang").wait_for()
    assert_accessible(page)
    title = _unique("Dachgeschoss")
    page.get_by_label("Titel").fill(title)
    page.get_by_label("Rundgang-URL").fill("https://touren.example/dg")
    page.get_by_label("Schutz", exact=True).select_option("manual")
    page.get_by_role("checkbox", name="Telefon").check()
    page.get_by_label("Geschützte Standpunkte (einer pro Zeile)").fill("wohnzimmer\nbad")
    page.get_by_label("Name des Ansprechpartners").fill("Dana Demo")
    page.get_by_label("Firma").fill("Demo Makler GmbH")
    page.get_by_label("E-Mail des Ansprechpartners").fill("keine-mail")
    page.get_by_label("Telefon des Ansprechpartners").fill("+49 30 1234567")
    page.get_by_role("button", name="Rundgang anlegen").click()

    # The API's 422 is shown with the German reason next to the field's label.
    alert = page.get_by_role("alert")
    alert.filter(has_text="E-Mail des Ansprechpartners").wait_for()
    assert page.locator("[name='contact.email']").get_attribute("aria-invalid") == "true"
    shot(page, "dashboard-tour-form")

    page.locator("[name='contact.email']").fill("dana@demo-makler.de")
    page.get_by_role("button", name="Rundgang anlegen").click()
    page.get_by_role("heading", name=title, level=2).wait_for()
    tour_id = page.evaluate("location.hash").split("/")[-1]
    stored = live.stack.call("GET", f"/agency/tours/{tour_id}", token=DEMO).json
    assert stored["title"] == title
    assert stored["protection"] == {
        "mode": "manual", "required_fields": ["first_name", "last_name", "email", "phone"],
        "protected_viewpoints": ["wohnzimmer", "bad"]}
    assert stored["contact"]["email"] == "dana@demo-makler.de"

    # Editing: switch to E-Mail-Freigabe.
    page.get_by_role("link", name="Einstellungen bearbeiten").click()
    page.get_by_label("Schutz", exact=True).select_option("email")
    page.get_by_role("button", name="Speichern").click()
    page.get_by_role("heading", name=title, level=2).wait_for()
    page.get_by_text("E-Mail-Freigabe").wait_for()
    assert live.stack.call("GET", f"/agency/tours/{tour_id}",
                           token=DEMO).json["protection"]["mode"] == "email"


def test_manual_registration_is_approved_from_the_dashboard_and_exported_as_csv(
        live: Running, page: Any, shot: Any, assert_accessible: Any,
        tmp_path: Path) -> None:
    stack = live.stack
    tour = _tour(stack, "manual")
    email = _email("max")
    registration = _register(stack, tour["tour_id"], email)
    assert registration["status"] == "pending_approval"
    # A second lead whose name a spreadsheet would run as a formula, and markup.
    _register(stack, tour["tour_id"], _email("formel"), first_name="=HYPERLINK(1)",
              last_name="<img src=x>")

    # Straight into the tour by its deep link: sign-in first, then the tour itself.
    _sign_in(page, live, f"/dashboard/#/tours/{tour['tour_id']}")
    page.get_by_role("heading", name=tour["title"], level=2).wait_for()
    row = page.locator(f"tr[data-registration-id='{registration['registration_id']}']")
    assert "Wartet auf Freigabe" in row.inner_text()
    assert page.locator("[data-stat=pending_approval] strong").inner_text() == "2"
    # Data is text, never markup.
    page.get_by_role("cell", name="=HYPERLINK(1) <img src=x>", exact=True).wait_for()
    assert page.locator("#main img").count() == 0
    assert_accessible(page)
    shot(page, "dashboard-tour-leads")

    row.get_by_role("button", name="Zugang gewähren für Max Kunde").click()
    page.get_by_role("status").filter(has_text="Zugang gewährt").wait_for()
    row = page.locator(f"tr[data-registration-id='{registration['registration_id']}']")
    assert "Freigeschaltet" in row.inner_text()
    assert row.get_by_role("button").count() == 0
    assert page.locator("[data-stat=unlocked] strong").inner_text() == "1"
    # The prospect's mail with the way into the tour is in the outbox.
    granted = stack.outbox(email)
    assert granted and "touren.example/altbau" in granted[-1]["text"]
    assert stack.call("POST", f"/agency/registrations/{registration['registration_id']}/deny",
                      token=DEMO).status == 409

    # Denying asks first (the prospect is mailed); the dialog's confirm button decides.
    page.get_by_role("button", name="Zugang verweigern für =HYPERLINK(1) <img src=x>").click()
    page.get_by_role("dialog", name="Zugang verweigern?").get_by_role(
        "button", name="Zugang verweigern").click()
    page.get_by_role("status").filter(has_text="Zugang verweigert").wait_for()
    assert page.locator("[data-stat=denied] strong").inner_text() == "1"
    assert page.locator("#main button", has_text="Zugang gewähren").count() == 0

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Leads als CSV exportieren").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    path = tmp_path / "leads.csv"
    download.save_as(path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0][:4] == ["Registrierungs-ID", "Status", "Eingang", "Vorname"]
    max_row = next(row for row in rows if email in row)
    assert "Freigeschaltet" in max_row and max_row[3:5] == ["Max", "Kunde"]
    assert "'+49 170 1234567" in max_row  # a leading + would start a formula, too
    assert any(row[3:5] == ["'=HYPERLINK(1)", "<img src=x>"] and "Abgelehnt" in row
               for row in rows)
    assert not any(cell.startswith("=") for row in rows for cell in row)


# -- reviews ----------------------------------------------------------------------------------

def _published_review(stack: Stack, title: str) -> str:
    email = _email("bewertung")
    submitted = stack.call("POST", "/agencies/demo/reviews", json_body={
        "rating": 4, "title": title, "reviewer_name": "Eva M.", "email": email,
        "text": f"Schnelle Rückmeldungen und eine realistische Preiseinschätzung ({title})."})
    assert submitted.status == 202, submitted.body
    confirmed = stack.call("POST", stack.mail_link("review-confirm", email), form="confirm=1")
    assert confirmed.status == 200 and "veröffentlicht" in confirmed.text
    return str(submitted.json["review_id"])


def test_comment_on_a_review_and_report_a_problem(
        live: Running, page: Any, shot: Any, assert_accessible: Any) -> None:
    stack = live.stack
    title = _unique("Gute Beratung")
    review_id = _published_review(stack, title)

    # The agency's mail links to /dashboard/?review=<id>: that review gets the focus.
    _sign_in(page, live, f"/dashboard/?review={review_id}", settle=False)
    card = page.locator(f"article[data-review-id='{review_id}']")
    card.wait_for()
    page.locator(f"article[data-review-id='{review_id}']:focus").wait_for()
    assert "Veröffentlicht" in card.inner_text()
    assert_accessible(page)

    comment = "Vielen Dank für Ihr Vertrauen! <b>fett</b>"
    card.get_by_label("Ihr öffentlicher Kommentar").fill(comment)
    card.get_by_role("button", name="Kommentar speichern").click()
    card.get_by_role("status").filter(has_text="Kommentar wurde gespeichert").wait_for()
    public = stack.call("GET", "/agencies/demo/reviews").json["reviews"]
    assert next(r for r in public if r["review_id"] == review_id)["comment"]["text"] == comment
    shot(page, "dashboard-reviews")

    # "Problem melden": too short a reason is refused with the API's German message.
    card.get_by_text("Problem melden").click()
    card.get_by_label("Grund der Meldung").select_option("false_facts")
    card.get_by_label("Begründung (mindestens 10 Zeichen)").fill("falsch")
    card.get_by_role("button", name="Meldung absenden").click()
    card.get_by_role("alert").filter(has_text="Begründung").wait_for()
    card.get_by_label("Begründung (mindestens 10 Zeichen)").fill(
        "Die Preiseinschätzung stammte nicht von uns.")
    card.get_by_role("button", name="Meldung absenden").click()
    card.get_by_role("status").filter(has_text="Meldung ist eingegangen").wait_for()
    assert "Gemeldet" in card.inner_text()
    mine = stack.call("GET", "/agency/reviews", token=DEMO).json["reviews"]
    assert next(r for r in mine if r["review_id"] == review_id)["status"] == "reported"

    # Reloaded, the comment shows as stored text (never as markup).
    page.reload()
    card = page.locator(f"article[data-review-id='{review_id}']")
    assert card.get_by_label("Ihr öffentlicher Kommentar").input_value() == comment
    assert card.locator("b").count() == 0


# -- addresses and GDPR ---------------------------------------------------------------------

def _address(stack: Stack, last_name: str, email: str, **patch: Any) -> str:
    created = stack.call("POST", "/agency/addresses", token=DEMO, json_body={
        "salutation": "Frau", "first_name": "Eva", "last_name": last_name, "email": email,
        "city": "Berlin", "zip": "10435"})
    assert created.status == 201, created.body
    address_id = str(created.json["address_id"])
    if patch:
        patched = stack.call("PATCH", f"/agency/addresses/{address_id}", token=DEMO,
                             json_body=patch)
        assert patched.status == 200, patched.body
    return address_id


def _in_two_weeks() -> str:
    return (datetime.now(UTC) + timedelta(days=14)).date().isoformat()


def test_consent_mails_from_the_worklist_with_multi_select(
        live: Running, page: Any, shot: Any, assert_accessible: Any) -> None:
    stack = live.stack
    people = {_unique("Muster"): _email("einwilligung") for _ in range(2)}
    ids = {name: _address(stack, name, email, store_until=_in_two_weeks(),
                          store_until_reason="Steuerrecht") for name, email in people.items()}
    _sign_in(page, live)
    page.get_by_role("link", name="DSGVO").click()
    worklist = page.locator("[data-worklist=consent-assistant]")
    worklist.locator("table").wait_for()
    assert_accessible(page)
    consent = worklist.get_by_role("button", name="Einwilligung anfragen")
    assert consent.is_disabled()  # nothing selected yet
    for name in people:
        worklist.get_by_label(f"Auswählen: Eva {name}").check()
    assert "2 ausgewählt" in worklist.inner_text()
    shot(page, "dashboard-gdpr-worklists")
    consent.click()
    worklist = page.locator("[data-worklist=consent-assistant]")
    worklist.get_by_role("status").filter(has_text="Einwilligungs-Mail gesendet").wait_for()

    for name, email in people.items():
        mails = stack.outbox(email)
        assert len(mails) == 1 and "Speicherung zustimmen" in mails[0]["text"]
        # Asked: no longer in the assistant's list (not again within 14 days). The status
        # shows before the list is reloaded, so wait for the row to go (fails on timeout).
        worklist.locator(f"tr[data-address-id='{ids[name]}']").wait_for(state="detached")


def test_delete_from_the_worklist_only_after_confirming(
        live: Running, page: Any, assert_accessible: Any) -> None:
    stack = live.stack
    name, email = _unique("Loeschung"), _email("loeschung")
    address_id = _address(stack, name, email, gdpr_status="deletion_requested")
    _sign_in(page, live, "/dashboard/#/gdpr")
    worklist = page.locator("[data-worklist=deletion-requested]")
    row = worklist.locator(f"tr[data-address-id='{address_id}']")
    row.get_by_label(f"Auswählen: Eva {name}").check()
    worklist.get_by_role("button", name="Löschen").click()

    dialog = page.get_by_role("dialog", name="1 Adresse endgültig löschen?")
    dialog.wait_for()
    # The dialog is modal and starts on the harmless button; Escape cancels.
    assert page.evaluate("document.activeElement.textContent") == "Abbrechen"
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")
    assert stack.call("GET", f"/agency/addresses/{address_id}", token=DEMO).status == 200

    worklist.get_by_role("button", name="Löschen").click()
    page.get_by_role("dialog").get_by_role("button", name="Endgültig löschen").click()
    page.locator("[data-worklist=deletion-requested]").get_by_role("status").filter(
        has_text="1 Adresse gelöscht").wait_for()
    assert stack.call("GET", f"/agency/addresses/{address_id}", token=DEMO).status == 404
    assert page.locator(f"tr[data-address-id='{address_id}']").count() == 0


def test_search_an_address_and_open_its_preview_with_activities(
        live: Running, page: Any, shot: Any, assert_accessible: Any) -> None:
    stack = live.stack
    tour = _tour(stack, "manual")
    email = _email("suche")
    registration = _register(stack, tour["tour_id"], email)
    # Issue 19: an unverified lead lands with its email only; the agency's approval
    # verifies it and fills the address's empty name from the registration.
    approved = stack.call("POST", f"/agency/registrations/{registration['registration_id']}"
                                  "/approve", token=DEMO)
    assert approved.status == 200, approved.body
    _sign_in(page, live, "/dashboard/#/addresses")
    page.get_by_role("search").get_by_label("Adresse suchen").fill(email)
    page.get_by_role("button", name="Suchen").click()
    # The shared stack holds other tests' "Max Kunde" (the address book shows them until
    # the answer comes): the search result is this address, found by its email.
    found = page.get_by_role("table", name="Suchergebnis").get_by_role("row").filter(
        has_text=email)
    found.get_by_role("link", name="Max Kunde").click()
    page.get_by_role("heading", name="Max Kunde", level=2).wait_for()
    activities = page.get_by_role("region", name="Aktivitäten")
    assert "Anfrage" in activities.inner_text()
    assert email in page.get_by_role("region", name="Kontakt").inner_text()
    assert_accessible(page)
    shot(page, "dashboard-address-preview")

    # A manual store-until date with one of the offered reasons.
    page.get_by_label("Speichern-Bis-Datum (manuell)").fill("2031-12-31")
    page.get_by_label("Speichern-Bis-Grund").select_option("Steuerrecht")
    page.get_by_role("button", name="DSGVO-Angaben speichern").click()
    page.get_by_role("status").filter(has_text="gespeichert").wait_for()
    address_id = page.evaluate("location.hash").split("/")[-1]
    stored = stack.call("GET", f"/agency/addresses/{address_id}", token=DEMO).json
    assert (stored["store_until"], stored["store_until_reason"], stored["store_until_manual"]) \
        == ("2031-12-31", "Steuerrecht", True)


def test_gdpr_settings_are_saved_and_bad_values_explained(
        live: Running, page: Any, assert_accessible: Any) -> None:
    stack = live.stack
    before = stack.call("GET", "/agency/gdpr/settings", token=DEMO).json
    _sign_in(page, live, "/dashboard/#/gdpr")
    form = page.locator("form").filter(has=page.get_by_role("heading", name="DSGVO-Einstellungen"))
    try:
        form.get_by_label("Aufbewahrung nach Archivierung (Tage)").fill("0")
        form.get_by_role("button", name="Einstellungen speichern").click()
        form.get_by_role("alert").filter(has_text="Aufbewahrung in Tagen").wait_for()
        form.get_by_label("Aufbewahrung nach Archivierung (Tage)").fill("90")
        form.get_by_role("button", name="Einstellungen speichern").click()
        form.get_by_role("status").filter(has_text="gespeichert").wait_for()
        assert stack.call("GET", "/agency/gdpr/settings",
                          token=DEMO).json["retention_days"] == 90
    finally:
        stack.call("PUT", "/agency/gdpr/settings", token=DEMO,
                   json_body={"retention_days": before["retention_days"]})


@pytest.mark.parametrize("route", ["#/tours", "#/reviews", "#/addresses", "#/gdpr"])
def test_every_section_is_labelled_and_keyboard_reachable(
        live: Running, page: Any, assert_accessible: Any,
        assert_focus_visible: Callable[..., list[str]], route: str) -> None:
    _sign_in(page, live)
    _go(page, live, route)
    assert_accessible(page)
    # The navigation marks the current section.
    current = page.locator("nav a[aria-current=page]")
    assert current.count() == 1 and current.get_attribute("href") == route
    # From the top: skip link, four sections, "Abmelden", then the section's own controls.
    in_main = page.locator("#main a[href], #main button:not([disabled]), #main input, "
                           "#main select, #main textarea, #main summary").count()
    _focus_top(page)
    focused = assert_focus_visible(page, tabs=6 + min(in_main, 4))
    assert "Zum Inhalt springen" in focused[0]


def test_csv_cells_are_safe_for_german_excel(live: Running, page: Any) -> None:
    """The export's cell rules, run in the page's own module (csv.js) in Chromium."""
    page.goto(live.stack.base + "/dashboard/")
    cases = ["=1+1", "+49 30 1", "-2", "@SUM(A1)", "\tx", "\rx", "a;b", 'Sie sagte "ja"',
             "Zeile\nzwei", " eingerückt", "Müller", "", None, 42]
    cells, text = page.evaluate("""async (cases) => {
        const m = await import('/dashboard/csv.js');
        return [cases.map(m.csvCell), m.toCsv(['a', 'b'], [['=x', 'y']])];
    }""", cases)
    assert cells == ['"\'=1+1"', '"\'+49 30 1"', '"\'-2"', '"\'@SUM(A1)"', '"\'\tx"', '"\'\rx"',
                     '"a;b"', '"Sie sagte ""ja"""', '"Zeile\nzwei"', '" eingerückt"', '"Müller"',
                     '""', '""', '"42"']
    assert text == '\ufeff"a";"b"\r\n"\'=x";"y"\r\n'


# -- address book by hand: new address, activities, contact edit, printable record -----------

def _fresh_address(stack: Stack, prefix: str) -> tuple[str, str, str]:
    """A new address "Eva <prefix>-…" with its own e-mail: (last name, e-mail, address id)."""
    name, email = _unique(prefix), _email(prefix.lower())
    return name, email, _address(stack, name, email)


def _field_error(page: Any, name: str) -> Any:
    """The German reason shown under the input ``name`` (tied to it by aria-describedby)."""
    described = page.locator(f"#main [name='{name}']").get_attribute("aria-describedby") or ""
    notes = [page.locator(f"#{note_id}.field-error") for note_id in described.split()]
    shown = [note for note in notes if note.count()]
    assert len(shown) == 1, f"{name}: no field error in aria-describedby={described!r}"
    return shown[0]


def test_new_address_through_the_form_with_the_api_reasons_next_to_the_fields(
        live: Running, page: Any, shot: Any, assert_accessible: Any,
        assert_focus_visible: Callable[..., list[str]]) -> None:
    stack = live.stack
    last_name, email = _unique("Neumann"), _email("neu")
    # What the API itself answers for the same bad input: the page must show exactly that.
    refused = stack.call("POST", "/agency/addresses", token=DEMO, json_body={
        "last_name": last_name, "email": "keine-mail", "zip": "1!"})
    assert refused.status == 422
    reasons = refused.json["error"]["fields"]
    assert set(reasons) == {"email", "zip"}

    _sign_in(page, live, "/dashboard/#/addresses")
    page.get_by_role("link", name="Neue Adresse").click()
    page.get_by_role("heading", name="Neue Adresse", level=2).wait_for()
    _settled(page)
    assert_accessible(page)
    form = page.locator("#main form")
    form.get_by_label("Anrede").select_option("Frau")
    typed = {"Vorname": "Eva", "Nachname": last_name, "E-Mail": "keine-mail",
             "Telefon": "+49 30 555123", "Straße und Hausnummer": "Kastanienallee 1",
             "PLZ": "1!", "Ort": "Berlin", "Speichern-Bis-Datum (manuell)": "2032-06-30"}
    for label, value in typed.items():
        form.get_by_label(label, exact=True).fill(value)
    form.get_by_label("Speichern-Bis-Grund").select_option("Provisionssicherung")
    form.get_by_role("button", name="Adresse anlegen").click()

    # Each reason under its own field, the summary in the alert, focus on the first bad field.
    page.get_by_role("alert").filter(has_text="E-Mail: " + reasons["email"]).wait_for()
    for name in ("email", "zip"):
        assert page.locator(f"#main [name='{name}']").get_attribute("aria-invalid") == "true"
        note = _field_error(page, name)
        assert note.inner_text() == reasons[name]
        # Next to the field: inside the same labelled wrapper as the input.
        assert note.locator("xpath=..").locator(f"[name='{name}']").count() == 1
    assert page.evaluate("document.activeElement.name") == "email"
    assert page.locator("#main [name='first_name']").get_attribute("aria-invalid") is None
    shot(page, "dashboard-address-form")
    assert stack.call("GET", f"/agency/addresses?email={email}", token=DEMO).json[
        "addresses"] == []

    # Corrected by keyboard alone: type into the focused field, Tab on, Enter submits.
    page.keyboard.press("Control+A")
    page.keyboard.type(email)
    page.locator("#main [name='zip']").fill("10435")
    page.locator("#main [name='zip']").press("Enter")
    page.get_by_role("heading", name=f"Eva {last_name}", level=2).wait_for()
    page.get_by_role("status").filter(has_text="Die Adresse wurde angelegt.").wait_for()
    address_id = page.evaluate("location.hash").split("/")[-1]
    stored = stack.call("GET", f"/agency/addresses/{address_id}", token=DEMO).json
    assert {k: stored[k] for k in ("salutation", "first_name", "last_name", "email", "phone",
                                    "street", "zip", "city", "company", "user_id")} == {
        "salutation": "Frau", "first_name": "Eva", "last_name": last_name, "email": email,
        "phone": "+49 30 555123", "street": "Kastanienallee 1", "zip": "10435",
        "city": "Berlin", "company": None, "user_id": None}
    assert (stored["store_until"], stored["store_until_reason"], stored["store_until_manual"],
            stored["gdpr_status"]) == ("2032-06-30", "Provisionssicherung", True, "none")
    # The error marks are gone with the form; the opened address is keyboard-reachable.
    assert page.locator("#main .field-error").count() == 0
    _focus_top(page)
    assert "Zum Inhalt springen" in assert_focus_visible(page, tabs=8)[0]

    # The same e-mail a second time: the API's 409 (it names no field) is shown at "E-Mail".
    _go(page, live, "#/addresses/new")
    page.get_by_label("Nachname").fill(_unique("Doppelt"))
    page.get_by_label("E-Mail").fill(email.upper())
    page.get_by_role("button", name="Adresse anlegen").click()
    taken = "Für diese E-Mail-Adresse gibt es bereits eine Adresse."
    page.get_by_role("alert").filter(has_text=taken).wait_for()
    assert _field_error(page, "email").inner_text() == taken
    assert page.evaluate("document.activeElement.name") == "email"


def test_activity_contact_edit_and_store_until_on_an_opened_address(
        live: Running, page: Any, assert_accessible: Any) -> None:
    stack = live.stack
    name, email, address_id = _fresh_address(stack, "Aktiv")
    prop = stack.call("POST", "/agency/properties", token=DEMO,
                      json_body={"title": _unique("Objekt")})
    assert prop.status == 201, prop.body
    property_id = prop.json["property_id"]

    _sign_in(page, live, f"/dashboard/#/addresses/{address_id}")
    page.get_by_role("heading", name=f"Eva {name}", level=2).wait_for()
    assert_accessible(page)
    activity = page.locator("form").filter(
        has=page.get_by_role("heading", name="Aktivität hinzufügen"))

    # A property id the API refuses: its reason under "Objekt-ID", nothing stored.
    activity.get_by_label("Art der Aktivität").select_option("appointment")
    activity.get_by_label("Objekt-ID (optional)").fill("kein gültiges Objekt")
    activity.get_by_label("Notiz (optional)").fill("Besichtigung mit Partner")
    activity.get_by_role("button", name="Aktivität speichern").click()
    activity.get_by_role("alert").filter(has_text="Objekt-ID").wait_for()
    assert "Zeichen" in _field_error(page, "property_id").inner_text()
    assert page.evaluate("document.activeElement.name") == "property_id"
    preview = stack.call("GET", f"/agency/addresses/{address_id}/preview", token=DEMO).json
    assert preview["activities"] == []

    activity.get_by_label("Objekt-ID (optional)").fill(property_id)
    activity.get_by_role("button", name="Aktivität speichern").click()
    page.get_by_role("status").filter(has_text="Die Aktivität wurde gespeichert.").wait_for()
    shown = page.get_by_role("region", name="Aktivitäten").locator("ol.activities li").first
    assert "Besichtigung" in shown.inner_text() and property_id in shown.inner_text()
    assert "Besichtigung mit Partner" in shown.inner_text()
    stored = stack.call("GET", f"/agency/addresses/{address_id}/preview", token=DEMO).json
    assert [(a["type"], a["property_id"], a["note"]) for a in stored["activities"]] == [
        ("appointment", property_id, "Besichtigung mit Partner")]
    assert stored["interest_properties"] == [property_id]

    def save(button: str, done: str) -> dict[str, Any]:
        """Clicks ``button``, waits for the page's confirmation, returns the stored address."""
        page.get_by_role("button", name=button, exact=True).click()
        page.get_by_role("status").filter(has_text=done).wait_for()
        return dict(stack.call("GET", f"/agency/addresses/{address_id}", token=DEMO).json)

    # Contact data: only what changed is sent; the unchanged e-mail stays as it was.
    page.get_by_role("link", name="Kontaktdaten bearbeiten").click()
    page.get_by_role("heading", name=f"Kontaktdaten bearbeiten: Eva {name}").wait_for()
    assert_accessible(page)
    assert page.get_by_label("E-Mail").input_value() == email
    page.get_by_label("Telefon").fill("+49 40 987654")
    page.get_by_label("Ort").fill("Hamburg")
    page.get_by_label("PLZ").fill("20095")
    stored = save("Speichern", "Die Kontaktdaten wurden gespeichert.")
    assert "Hamburg" in page.get_by_role("region", name="Kontakt").inner_text()
    assert (stored["phone"], stored["zip"], stored["city"], stored["email"]) == (
        "+49 40 987654", "20095", "Hamburg", email)

    # Store-until: set by hand, then back to automatic; a phoned deletion request.
    page.get_by_label("Speichern-Bis-Datum (manuell)").fill("2030-01-31")
    page.get_by_label("Speichern-Bis-Grund").select_option("Geldwäschegesetz")
    stored = save("DSGVO-Angaben speichern", "DSGVO-Angaben wurden gespeichert")
    assert "31.01.2030" in page.get_by_role("region", name="DSGVO").inner_text()
    assert (stored["store_until"], stored["store_until_reason"], stored["store_until_manual"]) \
        == ("2030-01-31", "Geldwäschegesetz", True)
    stored = save("Speichern-Bis-Datum automatisch bestimmen", "DSGVO-Angaben wurden gespeichert")
    assert (stored["store_until"], stored["store_until_manual"]) == (None, False)

    page.get_by_label("DSGVO-Status").select_option("deletion_requested")
    stored = save("DSGVO-Angaben speichern", "DSGVO-Angaben wurden gespeichert")
    assert stored["gdpr_status"] == "deletion_requested"
    assert "Löschung beantragt" in page.get_by_role(
        "region", name="Einwilligungsnachweise").inner_text()
    # "Speicherung zugestimmt" is not on offer: it only comes from the person's own link.
    assert page.get_by_label("DSGVO-Status").locator("option[value=consented]").count() == 0


def test_printable_consent_record_opens_in_its_own_tab(
        live: Running, page: Any, shot: Any) -> None:
    stack = live.stack
    name, email, address_id = _fresh_address(stack, "Nachweis")
    asked = stack.call("POST", "/agency/gdpr/consent-requests", token=DEMO,
                       json_body={"address_ids": [address_id]})
    assert asked.json["sent"] == [address_id], asked.body
    agreed = stack.call("POST", stack.mail_link("consent", email), form="confirm=1")
    assert agreed.status == 200, agreed.body
    # The printable record wants the bearer token: a plain link would only get a 401.
    printable = f"/agency/addresses/{address_id}/consent-records?format=html"
    assert stack.call("GET", printable).status == 401

    _sign_in(page, live, f"/dashboard/#/addresses/{address_id}")
    records = page.get_by_role("region", name="Einwilligungsnachweise")
    assert "Speicherung zugestimmt" in records.inner_text()
    button = records.get_by_role("button", name="Einwilligungsnachweis öffnen (Druckansicht)")
    # The new tab's own console (the page fixture watches the dashboard's): a style the
    # inherited CSP refused would be logged there.
    problems: list[str] = []
    page.context.on("console", lambda msg: problems.append(msg.text)
                    if msg.type == "error" and msg.page is not page else None)
    with page.expect_popup() as opened:
        button.focus()
        page.keyboard.press("Enter")
    tab = opened.value
    tab.get_by_role("heading", name="Einwilligungsnachweis (DSGVO)", level=1).wait_for()
    body = tab.locator("body").inner_text()
    assert f"Eva {name}" in body and email in body
    assert "Speicherung zugestimmt" in body and "Bestätigungsseite (Double-Opt-in)" in body
    # The server's page, as the server rendered it (same record ids), styled by its own CSS.
    record_ids = [r["record_id"] for r in stack.call(
        "GET", f"/agency/addresses/{address_id}/consent-records", token=DEMO).json["records"]]
    assert record_ids and all(record_id in body for record_id in record_ids)
    assert tab.title().startswith("Einwilligungsnachweis")
    assert tab.evaluate("getComputedStyle(document.querySelector('main')).maxWidth") == "900px"
    assert tab.evaluate("getComputedStyle(document.body).marginTop") == "0px"
    # The token never lands in the tab's address, and nothing in it can run.
    assert DEMO not in tab.url
    assert tab.locator("script").count() == 0
    shot(tab, "dashboard-consent-record")
    tab.close()
    assert not problems, problems
