"""Accounts in Chromium against the local stack: every seeded person signs in and sees
their name and role; an assistant sees no delete button (and the API refuses); an owner
invites a person who signs in from the invitation mail with the temporary password; a
forgotten password is reset with the mailed code; a deep link from a manual-release mail
lands on that lead after sign-in."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from devstack.environment import DEMO_PASSWORD
from tests.conftest import DEMO
from tests.live_stack import Running

TOKEN_KEY = "freigabe.agency.id"


def sign_in(page: Any, live: Running, email: str, password: str = DEMO_PASSWORD,
            path: str = "/dashboard/") -> None:
    page.goto(live.stack.base + path)
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.get_by_role("button", name="Anmelden").click()


def newest_mail(live: Running, to: str) -> dict[str, Any]:
    mails = live.stack.outbox(to)
    assert mails, f"no mail to {to}"
    return mails[-1]


@pytest.mark.parametrize("email,shown", [
    ("inhaber@demo-makler.de", "Ines Inhaber · Inhaber"),
    ("makler@demo-makler.de", "Mark Makler · Makler"),
    ("assistenz@demo-makler.de", "Anna Assistenz · Assistenz"),
    ("inhaber@other-makler.de", "Olaf Other · Inhaber"),
])
def test_every_seeded_person_signs_in(live: Running, page: Any, email: str, shown: str) -> None:
    sign_in(page, live, email)
    page.get_by_role("heading", name="Rundgänge", level=2).wait_for()
    assert page.get_by_text(shown).is_visible()
    team = page.get_by_role("link", name="Team & API-Schlüssel")
    assert team.is_visible() == shown.endswith("Inhaber")


def test_an_assistant_sees_no_delete_button_and_the_api_refuses(live: Running, page: Any,
                                                                shot: Any) -> None:
    created = live.stack.call("POST", "/agency/addresses", token=DEMO, json_body={
        "first_name": "Asta", "last_name": "Assist", "email": f"asta-{uuid.uuid4().hex[:8]}@example.org"})
    assert created.status == 201, created.body
    address_id = created.json["address_id"]
    sign_in(page, live, "assistenz@demo-makler.de", path=f"/dashboard/#/addresses/{address_id}")
    page.get_by_role("heading", name=re.compile("Asta Assist")).wait_for()
    shot(page, "dashboard-assistant-address")
    assert page.get_by_role("button", name="Adresse löschen").count() == 0 or \
        not page.get_by_role("button", name="Adresse löschen").is_visible()
    assert not page.get_by_role("link", name="Kontaktdaten bearbeiten").is_visible()
    # What the assistant may do stays: an activity.
    assert page.get_by_role("button", name=re.compile("Aktivität")).first.is_visible()
    token = page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')")
    refused = live.stack.call("DELETE", f"/agency/addresses/{address_id}", token=token)
    assert refused.status == 403 and refused.json["error"]["code"] == "role_forbidden"
    assert live.stack.call("GET", f"/agency/addresses/{address_id}", token=DEMO).status == 200


def test_the_owner_invites_a_person_who_signs_in_from_the_invitation(
        live: Running, page: Any, browser: Any, shot: Any, assert_accessible: Any) -> None:
    email = f"neu-{uuid.uuid4().hex[:8]}@demo-makler.de"
    sign_in(page, live, "inhaber@demo-makler.de", path="/dashboard/#/team")
    page.get_by_role("heading", name="Team & API-Schlüssel").wait_for()
    assert_accessible(page)
    form = page.locator("form.invite")
    form.get_by_label("Name").fill("Nora Neu")
    form.get_by_label("E-Mail-Adresse").fill(email)
    form.get_by_label("Rolle").select_option("assistant")
    form.get_by_role("button", name="Einladen").click()
    page.get_by_text(f"Die Einladung an {email} ist unterwegs.").wait_for()
    assert page.locator("tr", has_text=email).get_by_text("Eingeladen").is_visible()
    shot(page, "dashboard-team")

    mail = newest_mail(live, email)
    link = re.search(r"http\S+/dashboard/", mail["text"]).group(0)
    temporary = re.search(r"Vorläufiges Passwort:\s+(\S+)", mail["text"]).group(1)
    context = browser.new_context(locale="de-DE")
    try:
        invited = context.new_page()
        invited.goto(link)
        invited.get_by_label("E-Mail-Adresse").fill(email)
        invited.get_by_label("Passwort", exact=True).fill(temporary)
        invited.get_by_role("button", name="Anmelden").click()
        invited.get_by_role("heading", name="Eigenes Passwort festlegen").wait_for()
        invited.get_by_label("Neues Passwort", exact=True).fill("Noras-Passwort-2026!")
        invited.get_by_label("Neues Passwort wiederholen").fill("Noras-Passwort-2026?")
        invited.get_by_role("button", name="Passwort festlegen").click()
        invited.get_by_role("alert").filter(has_text="stimmen nicht überein").wait_for()
        invited.get_by_label("Neues Passwort wiederholen").fill("Noras-Passwort-2026!")
        invited.get_by_role("button", name="Passwort festlegen").click()
        invited.get_by_text("Nora Neu · Assistenz").wait_for()
    finally:
        context.close()


def test_a_forgotten_password_is_reset_with_the_mailed_code(live: Running, page: Any,
                                                            browser: Any) -> None:
    email = f"vergesslich-{uuid.uuid4().hex[:8]}@demo-makler.de"
    owner = live.stack.call("POST", "/auth/sign-in", json_body={
        "email": "inhaber@demo-makler.de", "password": DEMO_PASSWORD}).json["id_token"]
    assert live.stack.call("POST", "/agency/users", token=owner, json_body={
        "email": email, "name": "Veit Vergesslich", "role": "agent"}).status == 201
    page.goto(live.stack.base + "/dashboard/")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_role("button", name="Passwort vergessen?").click()
    page.get_by_role("heading", name="Passwort vergessen").wait_for()
    page.get_by_role("button", name="Code anfordern").click()
    page.get_by_role("heading", name="Passwort zurücksetzen").wait_for()
    code = re.search(r"\b(\d{6})\b", newest_mail(live, email)["text"]).group(1)
    page.get_by_label("Code aus der E-Mail").fill("000000" if code != "000000" else "111111")
    page.get_by_label("Neues Passwort", exact=True).fill("Veits-Passwort-2026!")
    page.get_by_label("Neues Passwort wiederholen").fill("Veits-Passwort-2026!")
    page.get_by_role("button", name="Passwort ändern").click()
    page.get_by_role("alert").filter(has_text="falsch oder abgelaufen").wait_for()
    page.get_by_label("Code aus der E-Mail").fill(code)
    page.get_by_role("button", name="Passwort ändern").click()
    page.get_by_text("Ihr Passwort ist geändert.").wait_for()
    page.get_by_label("Passwort", exact=True).fill("Veits-Passwort-2026!")
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_text("Veit Vergesslich · Makler").wait_for()


def test_a_deep_link_from_a_manual_release_mail_lands_on_the_lead(live: Running, page: Any,
                                                                  shot: Any) -> None:
    contact = f"kontakt-{uuid.uuid4().hex[:8]}@demo-makler.de"
    tour = live.stack.call("POST", "/agency/tours", token=DEMO, json_body={
        "title": "Penthouse mit Deeplink", "tour_url": "https://touren.example/penthouse",
        "protection": {"mode": "manual", "required_fields": ["first_name", "last_name"],
                       "protected_viewpoints": ["wohnzimmer"]},
        "privacy_url": "https://demo-makler.de/datenschutz",
        "contact": {"name": "Dana Demo", "company": "Demo Makler GmbH", "email": contact,
                    "phone": "+49 30 1234567"}})
    assert tour.status == 201, tour.body
    for first in ("Erika", "Lena"):
        answer = live.stack.call("POST", f"/tours/{tour.json['tour_id']}/registrations",
                                 json_body={"first_name": first, "last_name": "Deeplink",
                                            "email": f"{first.lower()}-{uuid.uuid4().hex[:6]}"
                                                     "@example.org", "privacy_accepted": True})
        assert answer.status == 202, answer.body
    registration_id = answer.json["registration_id"]
    link = re.search(r"http\S+/dashboard/#/tours/\S+", newest_mail(live, contact)["text"]).group(0)
    assert link.endswith(registration_id)
    sign_in(page, live, "makler@demo-makler.de", path=link.removeprefix(live.stack.base))
    row = page.locator(f"tr[data-registration-id='{registration_id}']")
    row.wait_for()
    assert "highlight" in (row.get_attribute("class") or "")
    assert "Lena" in row.inner_text()
    assert page.get_by_role("heading", name="Penthouse mit Deeplink").is_visible()
    shot(page, "dashboard-deep-link-lead")


def test_the_qa_console_names_the_qa_member_who_decided(live: Running, page: Any) -> None:
    stack = live.stack
    email = f"kritik-{uuid.uuid4().hex[:8]}@example.org"
    submitted = stack.call("POST", "/agencies/demo/reviews", json_body={
        "rating": 1, "title": "Finger weg", "reviewer_name": "Kurt K.", "email": email,
        "text": "Der Makler ist ein B3trüg3r, Termine hat er nie eingehalten."})
    assert submitted.status == 202, submitted.body
    confirm = stack.mail_link("review-confirm", email)
    assert stack.call("POST", confirm.removeprefix(stack.base), form="confirm=1").status == 200
    review_id = submitted.json["review_id"]
    qa = stack.call("POST", "/auth/sign-in", json_body={
        "email": "qa@freigabe.example", "password": DEMO_PASSWORD}).json["id_token"]
    decided = stack.call("POST", f"/qa/reviews/{review_id}/decision", token=qa, json_body={
        "decision": "reject", "reason": "Formalbeleidigung, kein Sachbezug."})
    assert decided.status == 200, decided.body
    sign_in(page, live, "qa@freigabe.example", path=f"/qa-console/#/reviews/{review_id}")
    page.get_by_role("heading", name="Bisherige Prüfungen").wait_for()
    assert page.locator(".timeline li", has_text="Abgelehnt").get_by_text("Quentin Prüfer").is_visible()
    # The agency sees the decision's outcome, never the person.
    agency = stack.call("GET", "/agency/reviews", token=DEMO).text
    assert "Quentin" not in agency
