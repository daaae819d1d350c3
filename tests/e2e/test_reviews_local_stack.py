"""The review flow on the real local stack (``python -m devstack``) over HTTP: submit,
confirm by the mailed link, the QA decision, a report answered through the mailed form,
and the nightly sweep through ``/dev/jobs/review-sweep`` with the clock moved."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.live_stack import Running, Stack, local_stack

QA = "demo-qa-token"
AGENCY = "demo-agency-token"


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    with local_stack() as run:
        yield run


def link(stack: Stack, purpose: str, to: str) -> str:
    return stack.mail_link(purpose, to)


def submit(stack: Stack, email: str, text: str, rating: int = 4) -> str:
    answer = stack.call("POST", "/agencies/demo/reviews", json_body={
        "rating": rating, "title": "Erfahrung", "text": text, "reviewer_name": "Eva M.",
        "email": email})
    assert answer.status == 202, answer.body
    assert answer.json["status"] == "awaiting_confirmation"
    return str(answer.json["review_id"])


def status_of(stack: Stack, review_id: str) -> Any:
    answer = stack.call("GET", f"/qa/reviews/{review_id}", token=QA)
    assert answer.status == 200, answer.body
    return answer.json["status"]


def test_the_review_flow_on_the_local_stack(running: Running) -> None:
    stack = running.stack
    good = submit(stack, "eva@example.org",
                  "Schnelle Rückmeldungen und eine realistische Preiseinschätzung, gern wieder.")
    confirm = link(stack, "review-confirm", "eva@example.org")
    page = stack.call("GET", confirm)
    assert page.status == 200 and "Bewertung bestätigen" in page.text
    assert stack.call("POST", confirm, form="confirm=1").status == 200
    assert status_of(stack, good) == "published"
    listing = stack.call("GET", "/agencies/demo/reviews").json
    assert [r["review_id"] for r in listing["reviews"]] == [good]
    assert listing["summary"] == {"count": 1, "average": 4.0}
    subjects = [m["subject"] for m in stack.call("GET", "/dev/outbox").json["messages"]]
    assert any("veröffentlicht" in s for s in subjects) and any("Neue Bewertung" in s
                                                                 for s in subjects)

    bad = submit(stack, "max@example.org",
                 "Der Makler ist ein B3trüg3r, Termine hat er nie eingehalten.", rating=1)
    assert stack.call("POST", link(stack, "review-confirm", "max@example.org"),
                      form="confirm=1").status == 200
    queue = stack.call("GET", "/qa/reviews?status=in_review", token=QA).json["reviews"]
    assert [r["review_id"] for r in queue] == [bad]
    assert queue[0]["findings"][0]["check"] == "abusive_language" and queue[0]["due_by"]
    decided = stack.call("POST", f"/qa/reviews/{bad}/decision", token=QA,
                         json_body={"decision": "reject", "reason": "Formalbeleidigung."})
    assert decided.status == 200 and decided.json["status"] == "rejected"

    report = stack.call("POST", f"/agency/reviews/{good}/reports", token=AGENCY,
                        json_body={"category": "not_a_customer",
                                   "reason": "Diese Person war nie unsere Kundin."})
    assert report.status == 201 and report.json["status"] == "open"
    report_id = report.json["report_id"]
    assert stack.call("POST", f"/qa/reports/{report_id}/request-proof", token=QA).status == 200
    proof = link(stack, "review-proof", "eva@example.org")
    answered = stack.call("POST", proof, form="answer=Expos%C3%A9+vom+3.+M%C3%A4rz")
    assert answered.status == 200
    [open_report] = stack.call("GET", "/qa/reports", token=QA).json["reports"]
    assert open_report["proof"]["answer"] == "Exposé vom 3. März"
    kept = stack.call("POST", f"/qa/reports/{report_id}/resolve", token=QA,
                      json_body={"outcome": "keep", "reason": "Belegt."})
    assert kept.status == 200 and status_of(stack, good) == "published"

    # 31 days later the sweep purges nothing confirmed and reports idempotently.
    later = datetime.now(UTC) + timedelta(days=31)
    moved = stack.call("PUT", "/dev/clock",
                       json_body={"now": later.strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert moved.status == 200
    try:
        first = stack.call("POST", "/dev/jobs/review-sweep").json
        second = stack.call("POST", "/dev/jobs/review-sweep").json
    finally:
        stack.call("DELETE", "/dev/clock")
    assert first["job"] == second["job"] == "review-sweep"
    assert first["errors"] == second["errors"] == 0
    assert second["reverification_requested"] == 0 and second["purged"] == 0
