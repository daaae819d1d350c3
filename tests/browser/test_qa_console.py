"""The QA console (/qa-console/) in Chromium against the local stack: sign-in with the QA
token, the queue with findings and an overdue due date, a decision with reason, a phone
check, and a report case with its timeline."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.environment import DEMO_PASSWORD
from tests.conftest import DEMO, QA
from tests.live_stack import Running, Stack

ABUSIVE = "Der Makler ist ein B3trüg3r, Termine hat er nie eingehalten. {tag}"
CLEAN = "Schnelle Rückmeldungen und eine realistische Preiseinschätzung, gern wieder. {tag}"


def _review(stack: Stack, text: str, *, phone: str | None = None, rating: int = 2,
            title: str = "Erfahrung") -> tuple[str, str]:
    """Submits and confirms a review; returns its id and the reviewer's email."""
    tag = uuid.uuid4().hex[:12]
    email = f"verfasser-{tag}@example.org"
    body: dict[str, Any] = {"rating": rating, "title": f"{title} {tag[:6]}",
                            "text": text.format(tag=tag), "reviewer_name": "Eva M.", "email": email}
    if phone:
        body["phone"] = phone
    submitted = stack.call("POST", "/agencies/demo/reviews", json_body=body)
    assert submitted.status == 202, submitted.body
    confirmed = stack.call("POST", stack.mail_link("review-confirm", email))
    assert confirmed.status == 200, confirmed.body
    return submitted.json["review_id"], email


def _status(stack: Stack, review_id: str) -> str:
    answer = stack.call("GET", f"/qa/reviews/{review_id}", token=QA)
    assert answer.status == 200, answer.body
    return answer.json["status"]


@pytest.fixture(scope="module")
def queue(live: Running) -> Iterator[dict[str, str]]:
    """One review confirmed 10 days ago (its 2-Werktage due date has passed) and one today,
    both with findings, so both wait in the QA queue."""
    stack = live.stack
    past = (datetime.now(UTC) - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert stack.call("PUT", "/dev/clock", json_body={"now": past}).status == 200
    try:
        late, _ = _review(stack, ABUSIVE, phone="+49 170 5550101")
    finally:
        assert stack.call("DELETE", "/dev/clock").status == 200
    fresh, _ = _review(stack, ABUSIVE)
    assert _status(stack, late) == _status(stack, fresh) == "in_review"
    yield {"late": late, "fresh": fresh}


QA_EMAIL = "qa@freigabe.example"


def _sign_in(page: Any, live: Running, email: str = QA_EMAIL) -> None:
    page.goto(f"{live.stack.base}/qa-console/")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()


def test_sign_in_as_a_qa_member_survives_reloads_and_signs_out(
        live: Running, page: Any, shot: Any, assert_accessible: Any,
        assert_focus_visible: Any) -> None:
    page.goto(f"{live.stack.base}/qa-console/")
    page.get_by_role("heading", name="Anmeldung für das QA-Team").wait_for()
    assert not page.get_by_role("button", name="Abmelden").is_visible()
    assert_accessible(page)
    shot(page, "qa-console-sign-in")
    # An agency's person is not a QA member.
    _sign_in(page, live, "inhaber@demo-makler.de")
    page.get_by_role("alert").filter(has_text="gehört nicht zum QA-Team").wait_for()
    assert page.evaluate("sessionStorage.getItem('freigabe.qa.id')") is None

    _sign_in(page, live)
    page.get_by_role("heading", name="Prüfliste").wait_for()
    assert page.get_by_text("Quentin Prüfer · Qualitätssicherung").is_visible()
    assert page.evaluate("sessionStorage.getItem('freigabe.qa.id')").startswith("eyJ")
    # A reload stays signed in; signing out ends the session here and on the server.
    page.reload()
    page.get_by_role("heading", name="Prüfliste").wait_for()
    assert_focus_visible(page, tabs=3)
    token = page.evaluate("sessionStorage.getItem('freigabe.qa.id')")
    page.get_by_role("button", name="Abmelden").click()
    page.get_by_label("E-Mail-Adresse").wait_for()
    assert page.evaluate("sessionStorage.getItem('freigabe.qa.id')") is None
    assert page.evaluate("localStorage.getItem('freigabe.qa.refresh')") is None
    assert live.stack.call("GET", "/qa/me", token=token).status == 401


def test_queue_shows_findings_and_highlights_the_overdue_review(
        live: Running, page: Any, shot: Any, queue: dict[str, str],
        assert_accessible: Any) -> None:
    _sign_in(page, live)
    table = page.locator("#queue")
    late = table.locator(f"tr[data-review-id='{queue['late']}']")
    fresh = table.locator(f"tr[data-review-id='{queue['fresh']}']")
    late.wait_for()
    assert "overdue" in (late.get_attribute("class") or "")
    assert "Überfällig" in late.locator("td.due").inner_text()
    assert "overdue" not in (fresh.get_attribute("class") or "")
    assert "Überfällig" not in fresh.locator("td.due").inner_text()
    # The overdue one comes first (oldest due date first) and the highlight is visible.
    ids = table.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.reviewId)")
    assert ids.index(queue["late"]) < ids.index(queue["fresh"])
    assert late.evaluate("r => getComputedStyle(r).backgroundColor") != \
        fresh.evaluate("r => getComputedStyle(r).backgroundColor")
    # Findings with their German check name and detail.
    assert "Schmähkritik" in late.locator("[data-check=abusive_language]").inner_text()
    assert_accessible(page)
    shot(page, "qa-console-queue")


def test_decision_with_reason_publishes_or_rejects(
        live: Running, page: Any, shot: Any, queue: dict[str, str],
        assert_accessible: Any) -> None:
    stack = live.stack
    _sign_in(page, live)
    page.locator(f"tr[data-review-id='{queue['late']}'] a").click()
    page.get_by_role("heading", name="Bewertung prüfen").wait_for()
    assert "überfällig" in page.locator(".facts").inner_text()
    form = page.locator("#decision-form")
    assert_accessible(page)
    shot(page, "qa-console-review")

    # Without a reason the API's 422 is shown and the field marked.
    form.get_by_label("Ablehnen").check()
    form.get_by_role("button", name="Entscheidung speichern").click()
    form.get_by_role("alert").filter(has_text="Begründung").wait_for()
    assert form.locator("[name=reason]").get_attribute("aria-invalid") == "true"
    assert _status(stack, queue["late"]) == "in_review"

    form.get_by_label("Begründung").fill("Formalbeleidigung ohne Sachbezug.")
    form.get_by_label("Ablehnungsgrund").select_option("abusive_language")
    form.get_by_role("button", name="Entscheidung speichern").click()
    page.get_by_role("status").filter(has_text="Die Entscheidung ist gespeichert.").wait_for()
    assert page.locator(".facts [data-status=rejected]").is_visible()
    assert page.locator("#decision-form").count() == 0  # decided: no second decision
    assert _status(stack, queue["late"]) == "rejected"
    history = page.locator(".timeline").inner_text()
    assert "Abgelehnt (Schmähkritik oder Formalbeleidigung)" in history
    assert "Formalbeleidigung ohne Sachbezug." in history

    # The other one is published; it leaves the queue.
    page.goto(f"{stack.base}/qa-console/#/reviews/{queue['fresh']}")
    form = page.locator("#decision-form")
    form.get_by_label("Veröffentlichen").check()
    form.get_by_label("Begründung").fill("Zugespitzt, aber Sachkritik.")
    form.get_by_role("button", name="Entscheidung speichern").click()
    page.get_by_role("status").wait_for()
    assert _status(stack, queue["fresh"]) == "published"
    page.get_by_role("link", name="Prüfliste", exact=True).click()
    page.get_by_role("heading", name="Prüfliste").wait_for()
    assert page.locator(f"tr[data-review-id='{queue['fresh']}']").count() == 0


def test_phone_check_is_entered_and_data_is_shown_as_text(
        live: Running, page: Any, assert_focus_visible: Any) -> None:
    stack = live.stack
    markup = '<img src=x onerror="document.title=1"><b>Fett</b>'
    review_id, _ = _review(stack, ABUSIVE, phone="+49 30 5550199", title=markup)
    _sign_in(page, live)
    row = page.locator(f"tr[data-review-id='{review_id}']")
    # Reviewer text reaches the page as text, never as markup.
    assert row.get_by_role("link").inner_text().startswith(markup)
    assert row.locator("img, b").count() == 0
    page.goto(f"{stack.base}/qa-console/#/reviews/{review_id}")
    page.get_by_role("heading", name=markup).wait_for()
    assert page.locator("main img, main b").count() == 0
    form = page.locator("#phone-form")
    stored = stack.call("GET", f"/qa/reviews/{review_id}", token=QA).json["phone"]
    assert form.get_by_role("link", name=stored).get_attribute("href") == "tel:+49305550199"
    form.get_by_role("button", name="Prüfung eintragen").click()  # no result chosen: 422
    form.get_by_role("alert").wait_for()
    form.get_by_label("Bewertung bestätigt").check()
    # Keyboard: radio, note, button – each with a visible focus indicator.
    assert "Prüfung eintragen" in assert_focus_visible(page, tabs=2)[-1]
    form.get_by_label("Notiz zum Anruf").fill("Verfasserin bestätigt den Termin im März.")
    form.get_by_role("button", name="Prüfung eintragen").click()
    page.get_by_role("status").filter(has_text="telefonische Prüfung ist eingetragen").wait_for()
    assert "Telefonisch bestätigt" in page.locator(".timeline").inner_text()
    checks = stack.call("GET", f"/qa/reviews/{review_id}", token=QA).json["phone_checks"]
    assert [(c["confirmed"], c["note"]) for c in checks] == [
        (True, "Verfasserin bestätigt den Termin im März.")]


def test_report_case_timeline_with_statement_request_answer_and_resolution(
        live: Running, page: Any, shot: Any, assert_accessible: Any) -> None:
    stack = live.stack
    review_id, email = _review(stack, CLEAN, rating=4)
    assert _status(stack, review_id) == "published"
    reported = stack.call("POST", f"/agency/reviews/{review_id}/reports", token=DEMO, json_body={
        "category": "false_facts", "reason": "Die Preiseinschätzung stammte nicht von uns."})
    assert reported.status == 201, reported.body
    report_id = reported.json["report_id"]

    _sign_in(page, live)
    page.get_by_role("link", name="Meldungen", exact=True).click()
    page.locator(f"tr[data-report-id='{report_id}'] a").click()
    page.get_by_role("heading", name="Verlauf").wait_for()
    timeline = page.locator("#timeline")
    assert "Falsche Tatsachenbehauptung" in timeline.inner_text()

    form = page.locator("#statement-form")
    form.get_by_label("Nachricht an den Verfasser").fill("Bitte schildern Sie Ihren Kontakt.")
    form.get_by_role("button", name="Stellungnahme anfordern").click()
    page.get_by_role("status").filter(has_text="Stellungnahme angefordert").wait_for()
    assert page.locator("#statement-form").count() == 0  # one open request of a kind
    requested = timeline.locator("li[data-kind=statement]")
    assert requested.count() == 1
    assert "Frist bis" in requested.inner_text()
    assert "Bitte schildern Sie Ihren Kontakt." in requested.inner_text()

    # The reviewer answers through the mailed form; the console shows it in the timeline.
    answered = stack.call("POST", stack.mail_link("review-statement", email),
                          form="answer=Die+Einsch%C3%A4tzung+kam+im+M%C3%A4rz+per+Mail.")
    assert answered.status == 200, answered.body
    page.reload()
    page.get_by_role("heading", name="Verlauf").wait_for()
    events = timeline.locator("li").all_inner_texts()
    titles = [e.split("\n")[1] if "\n" in e else e for e in events]
    assert [t.split(" – ")[0] for t in titles] == [
        "Meldung des Maklers: Falsche Tatsachenbehauptung", "Stellungnahme angefordert",
        "Stellungnahme eingegangen"], events
    assert "Die Einschätzung kam im März per Mail." in events[2]

    # A proof request whose deadline passes unanswered is highlighted in the timeline.
    form = page.locator("#proof-form")
    form.get_by_role("button", name="Nachweis anfordern").click()
    page.get_by_role("status").filter(has_text="Nachweis angefordert").wait_for()
    proof = timeline.locator("li[data-kind=proof]")
    assert "overdue" not in (proof.get_attribute("class") or "")
    page.clock.install(time=datetime.now(UTC) + timedelta(days=30))
    page.reload()
    page.get_by_role("heading", name="Verlauf").wait_for()
    assert "overdue" in (proof.get_attribute("class") or "")
    assert "(abgelaufen)" in proof.inner_text()
    assert "abgelaufen" not in timeline.locator("li[data-kind=statement]").first.inner_text()
    assert_accessible(page)
    shot(page, "qa-console-report")

    resolve = page.locator("#resolve-form")
    resolve.get_by_label("Bewertung bleibt veröffentlicht").check()
    resolve.get_by_label("Begründung").fill("Die Angaben sind belegt.")
    resolve.get_by_role("button", name="Entscheidung speichern").click()
    page.get_by_role("status").filter(has_text="Die Meldung ist entschieden.").wait_for()
    assert "Entschieden: Bewertung bleibt veröffentlicht" in timeline.inner_text()
    assert _status(stack, review_id) == "published"
