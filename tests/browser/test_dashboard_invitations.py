""""Bewertung anfragen" in the dashboard (issue 17): on an opened address that is a buyer of
a property, and in bulk for a property's buyers and tenants; the mail and its review form
in Chromium against the local stack."""

from __future__ import annotations

import uuid
from typing import Any

from tests.browser.test_dashboard import _go, _sign_in
from tests.conftest import DEMO
from tests.live_stack import Running, Stack


def _unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def _customer(stack: Stack, prop: str, role: str, last_name: str) -> tuple[str, str]:
    email = f"{_unique('kunde')}@example.org"
    created = stack.call("POST", "/agency/addresses", token=DEMO, json_body={
        "salutation": "Frau", "first_name": "Eva", "last_name": last_name, "email": email})
    assert created.status == 201, created.body
    address_id = created.json["address_id"]
    related = stack.call("POST", f"/agency/properties/{prop}/relations", token=DEMO,
                         json_body={"address_id": address_id, "role": role})
    assert related.status == 201, related.body
    return address_id, email


def _property(stack: Stack, title: str) -> str:
    reply = stack.call("POST", "/agency/properties", token=DEMO, json_body={"title": title})
    assert reply.status == 201, reply.body
    return str(reply.json["property_id"])


def test_invite_a_buyer_from_the_address_and_review_through_the_mail(
        live: Running, page: Any, shot: Any, assert_accessible: Any) -> None:
    stack = live.stack
    title = _unique("Altbau ")
    prop = _property(stack, title)
    last_name = _unique("Käufer")
    address_id, email = _customer(stack, prop, "buyer", last_name)
    _sign_in(page, live)
    _go(page, live, f"#/addresses/{address_id}")
    card = page.locator("section").filter(has=page.get_by_role("heading", name="Bewertung"))
    card.wait_for()
    assert card.get_by_text("Noch keine Einladung gesendet.").count() == 1
    assert "§ 7 Abs. 3 UWG" in card.inner_text()
    card.get_by_label("Immobilie").select_option(prop)
    card.get_by_role("button", name="Bewertung anfragen").click()
    card.get_by_role("status").filter(has_text=f"an {email} gesendet").wait_for()
    card.locator("[data-status=sent]", has_text="Eingeladen").wait_for()
    assert_accessible(page)
    shot(page, "dashboard-review-invitation")
    # A second time: the API's German reason, nothing sent twice.
    card.get_by_role("button", name="Bewertung anfragen").click()
    card.get_by_role("alert").filter(has_text="bereits eingeladen").wait_for()
    assert len(stack.outbox(email)) == 1

    # The customer's side: the form behind the mail's link, sent once.
    page.goto(stack.mail_link("review-invite", email))
    page.get_by_role("heading", name="Ihre Bewertung von Demo Makler GmbH").wait_for()
    page.get_by_label("★★★★☆ (4 von 5)").check()
    page.get_by_label("Titel").fill("Gute Begleitung beim Kauf")
    page.get_by_label("Ihre Erfahrung").fill("Alle Unterlagen kamen rechtzeitig, die Übergabe "
                                             "war gut vorbereitet.")
    assert page.get_by_label("Ihr Name (öffentlich)").input_value() == f"Eva {last_name[0]}."
    shot(page, "review-invitation-form")
    page.get_by_role("button", name="Bewertung abgeben").click()
    page.get_by_role("heading", name="Vielen Dank! Ihre Bewertung ist veröffentlicht.").wait_for()
    profile = stack.call("GET", "/agencies/demo/reviews").json["reviews"]
    mine = [r for r in profile if r["title"] == "Gute Begleitung beim Kauf"]
    assert mine and mine[0]["invited"] is True

    _go(page, live, f"#/addresses/{address_id}")
    page.locator("[data-status=reviewed]", has_text="Bewertung abgegeben").wait_for()


def test_bulk_invitation_for_a_propertys_buyers_and_tenants(live: Running, page: Any) -> None:
    stack = live.stack
    title = _unique("Neubau ")
    prop = _property(stack, title)
    buyer, _ = _customer(stack, prop, "buyer", _unique("Bauer"))
    _customer(stack, prop, "tenant", _unique("Mieterin"))
    owner_id, owner_email = _customer(stack, prop, "owner", _unique("Eigner"))
    assert stack.call("POST", "/agency/review-invitations", token=DEMO,
                      json_body={"address_id": buyer, "property_id": prop}).status == 201
    _sign_in(page, live)
    _go(page, live, "#/properties")
    row = page.locator("tr", has_text=title)
    row.get_by_role("button", name="Bewertung anfragen").click()
    dialog = page.get_by_role("dialog", name="Bewertung anfragen?")
    assert "2 Käufer und Mieter" in dialog.inner_text()
    dialog.get_by_role("button", name="Einladungen senden").click()
    done = page.get_by_role("status").filter(has_text="Einladung gesendet an 1 Person")
    done.wait_for()
    assert "bereits eingeladen" in done.inner_text()
    # Owners are not part of the bulk invitation.
    assert stack.outbox(owner_email) == []
    assert owner_id
