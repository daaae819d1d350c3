"""The dashboard's GDPR duties in Chromium against the local stack: the controller details
(profile settings), the address search as you type with the GDPR state, and the worklists
paged with their total and a selection across pages."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.browser.test_dashboard import _go, _sign_in
from tests.conftest import DEMO
from tests.live_stack import Running


def _unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def test_profile_settings_edit_the_controller_details(live: Running, page: Any, shot: Any,
                                                      assert_accessible: Any) -> None:
    stack = live.stack
    _sign_in(page, live)
    _go(page, live, "#/gdpr")
    form = page.locator("form").filter(has=page.get_by_role(
        "heading", name="Verantwortlicher (Hinweispflicht nach Art. 13 DSGVO)"))
    form.wait_for()
    assert form.get_by_label("Firma (vollständiger Name)").input_value() == "Demo Makler GmbH"
    assert "Vollständig" in form.locator("[data-profile-state]").inner_text()
    form.get_by_label("Datenschutzerklärung (https://…)").fill("http://unsicher.example/ds")
    form.get_by_role("button", name="Angaben speichern").click()
    form.get_by_role("alert").wait_for()
    assert stack.call("GET", "/agency/profile", token=DEMO).json["privacy_url"] \
        == "https://demo-makler.de/datenschutz"                   # 422: nothing changed
    phone = "+49 30 " + str(uuid.uuid4().int % 10_000_000).zfill(7)
    form.get_by_label("Datenschutzerklärung (https://…)").fill("https://demo-makler.de/datenschutz")
    form.get_by_label("Telefon (optional)").fill(phone)
    form.get_by_role("button", name="Angaben speichern").click()
    form.get_by_role("status").filter(has_text="Verantwortlichen wurden gespeichert").wait_for()
    assert stack.call("GET", "/agency/profile", token=DEMO).json["phone"] == phone
    assert_accessible(page)
    shot(page, "dashboard-gdpr-profile")


def test_address_search_as_you_type(live: Running, page: Any, shot: Any) -> None:
    stack = live.stack
    family = _unique("Müller")
    folded = family.replace("ü", "ue")
    for first in ("Jürgen", "Anna"):
        reply = stack.call("POST", "/agency/addresses", token=DEMO, json_body={
            "first_name": first, "last_name": family, "city": "Berlin",
            "email": f"{_unique('s')}@example.org"})
        assert reply.status == 201, reply.body
    _sign_in(page, live)
    _go(page, live, "#/addresses")
    page.get_by_label("Adresse suchen").fill(folded[:10].lower())   # "muellerxx": ü as ue
    results = page.locator("table").filter(has=page.locator("caption", has_text="Suchergebnis"))
    results.wait_for()
    rows = results.locator("tbody tr")
    assert rows.count() == 2
    assert "Keine Angabe" in results.inner_text()                     # the GDPR state shown
    page.get_by_label("Adresse suchen").fill(folded.lower() + " jue")
    page.locator("tbody tr", has_text="Anna").wait_for(state="detached")
    assert results.locator("tbody tr").count() == 1
    shot(page, "dashboard-address-search")


def test_worklist_pages_with_total_and_selection_across_pages(live: Running, page: Any,
                                                              shot: Any) -> None:
    stack = live.stack
    # Late in the 28-day window: sorted after the other tests' addresses (they stay on page 1).
    soon = (datetime.now(UTC) + timedelta(days=27)).date().isoformat()
    total_before = stack.call("GET", "/agency/gdpr/widgets/consent-assistant",
                              token=DEMO).json["total"]
    for _ in range(52):
        reply = stack.call("POST", "/agency/addresses", token=DEMO, json_body={
            "last_name": _unique("Liste"), "email": f"{_unique('w')}@example.org",
            "store_until": soon})
        assert reply.status == 201
    total = total_before + 52
    _sign_in(page, live)
    _go(page, live, "#/gdpr")
    section = page.locator("[data-worklist=consent-assistant]")
    section.get_by_role("heading", name=f"DSGVO – Einverständnis-Assistent ({total})").wait_for()
    assert section.get_by_role("button", name="Löschen").count() == 0   # future dates only
    assert page.locator("[data-worklist=deletion-requested]").get_by_role(
        "button", name="Einwilligung anfragen").count() == 0
    assert f"50 von {total} angezeigt" in section.inner_text()
    section.get_by_label("Alle auswählen").check()
    section.get_by_role("button", name="Weitere laden").click()
    section.locator("[data-shown]").filter(has_text=f"{min(total, 100)} von {total}").wait_for()
    # the selection spans the pages: what is loaded later is selected too
    assert f"{min(total, 100)} ausgewählt" in section.inner_text()
    shot(page, "dashboard-gdpr-worklists-paged")


def test_properties_created_archived_and_related_in_the_dashboard(live: Running, page: Any,
                                                                  shot: Any) -> None:
    stack = live.stack
    title = _unique("Altbau ")
    lead = stack.call("POST", "/agency/addresses", token=DEMO, json_body={
        "first_name": "Ida", "last_name": _unique("Interessent"),
        "email": f"{_unique('p')}@example.org"}).json
    owner_name = _unique("Eigner")
    stack.call("POST", "/agency/addresses", token=DEMO, json_body={
        "first_name": "Otto", "last_name": owner_name, "email": f"{_unique('o')}@example.org"})
    _sign_in(page, live)
    _go(page, live, "#/properties")
    page.get_by_label("Titel").fill(title)
    page.get_by_role("button", name="Immobilie anlegen").click()
    row = page.locator("tr", has_text=title)
    row.wait_for()
    property_id = row.get_attribute("data-property-id")
    # the lead's interest, entered through the API; the owner picked from the address book
    assert stack.call("POST", f"/agency/addresses/{lead['address_id']}/activities", token=DEMO,
                      json_body={"type": "inquiry", "property_id": property_id}).status == 201
    row.get_by_role("button", name="Beziehung eintragen").click()
    relation = page.get_by_role("form", name=f"Beziehung zu {title}")
    relation.get_by_label("Rolle").select_option("owner")
    relation.get_by_label("Adresse suchen").fill(owner_name.lower())
    relation.locator("option", has_text=owner_name).wait_for(state="attached")
    relation.get_by_role("button", name="Eintragen").click()
    page.get_by_role("status").filter(has_text="Eigentümer eingetragen").wait_for()
    shot(page, "dashboard-properties")
    page.locator("tr", has_text=title).get_by_role("button", name="Archivieren").click()
    done = page.get_by_role("status").filter(has_text="archiviert")
    done.wait_for()
    assert "Speichern-Bis-Datum gesetzt für 1 Adresse." in done.inner_text()
    assert page.locator("tr", has_text=title).get_by_text("archiviert").count() >= 1
    stored = stack.call("GET", f"/agency/addresses/{lead['address_id']}", token=DEMO).json
    assert stored["store_until"] and stored["store_until_reason"] == "Objekt archiviert"
