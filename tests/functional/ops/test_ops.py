"""The ops Lambda (AWS console test events, docs/operations.md): validated events,
idempotency of effects, jobs for a given date, lifting a suppression, and one person's
export and erasure covering the address book, tour registrations and reviews."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

import app as application
from tests.conftest import DEMO, QA, START, owner_fields
from tests.functional.reviews.support import public, submit, submit_and_confirm
from tests.support import dump, every_item, register


@pytest.fixture
def ops(container: Any) -> Any:
    with Client(application.app, stage_name="local") as client:
        yield lambda event: client.lambda_.invoke("ops", event).payload


def items_with(container: Any, prefix: str) -> list[dict[str, Any]]:
    return [i for i in every_item(container.settings.region) if i["pk"].startswith(prefix)]



# -- validation ---------------------------------------------------------------------------

def test_bad_events_get_a_clear_error_without_echoing_the_input(ops):
    unknown = ops({"action": "drop_tables"})
    assert unknown["ok"] is False and unknown["error"]["code"] == "unknown_action"
    assert "create_agency" in unknown["error"]["message"]
    bad_mail = ops({"action": "export_person", "agency_id": "demo", "email": "eva(at)x"})
    assert bad_mail["error"]["code"] == "validation_failed"
    assert set(bad_mail["error"]["fields"]) == {"email"}
    assert "eva(at)x" not in str(bad_mail)
    extra = ops({"action": "revoke_token", "token_id": "t1", "force": True})
    assert extra["error"]["fields"] == {"force": "Unbekanntes Feld."}
    missing = ops({"action": "create_agency"})
    assert missing["error"]["fields"] == {"agency": "Pflichtfeld.", "owner_email": "Pflichtfeld.",
                                          "owner_name": "Pflichtfeld.",
                                          "privacy_url": "Pflichtfeld."}
    bad_date = ops({"action": "run_job", "job": "review-sweep", "date": "23.11.2026"})
    assert set(bad_date["error"]["fields"]) == {"date"}
    assert ops({"action": "run_job", "job": "nope"})["error"]["code"] == "unknown_job"
    assert ops("not an object")["error"]["code"] == "unknown_action"  # type: ignore[arg-type]


# -- idempotency --------------------------------------------------------------------------

def test_the_same_create_agency_event_twice_creates_one_agency(ops, container):
    event = {"action": "create_agency",
             **owner_fields(5),
             "agency": {"name": "Muster Immobilien", "contact_email": "info@muster.example"}}
    first = ops(event)
    second = ops(event)
    assert first["ok"] is True and "repeated" not in first
    assert second["ok"] is True and second["repeated"] is True
    assert second["agency"]["agency_id"] == first["agency"]["agency_id"]
    names = [i for i in items_with(container, "AGENCY#")
             if i.get("name") == "Muster Immobilien"]
    assert len(names) == 1
    # The key decides, not the wording: same key, same request; a new key, a new agency.
    keyed = {**event, **owner_fields(6), "idempotency_key": "ticket-4711"}
    assert ops(keyed)["agency"]["agency_id"] != first["agency"]["agency_id"]
    again = ops({**keyed, "agency": {**event["agency"], "name": "Muster Immobilien GmbH"}})
    assert again["repeated"] is True
    assert len([i for i in items_with(container, "AGENCY#")
                if "Muster" in i.get("name", "")]) == 2


def test_a_repeated_token_event_issues_no_second_token_and_never_shows_it_again(ops, http,
                                                                               container):
    event = {"action": "issue_token", "kind": "qa", "label": "QA Anna"}
    first = ops(event)
    second = ops(event)
    assert first["ok"] and second["ok"] and second["repeated"] is True
    assert second["token_id"] == first["token_id"] and "token" not in second
    assert "widerrufen" in second["note"]
    assert len(items_with(container, "TOKENID#")) == 4  # 3 seeded + this one
    # The stored answer holds no token either.
    assert first["token"] not in dump(container.settings.region)
    # The QA token works until it is revoked through ops.
    assert http.get("/qa/reviews", token=first["token"]).status == 200
    assert ops({"action": "revoke_token", "token_id": first["token_id"]})["ok"] is True
    assert http.get("/qa/reviews", token=first["token"]).status == 401
    assert ops({"action": "revoke_token", "token_id": first["token_id"]})["error"][
        "code"] == "not_found"


def test_a_refused_event_leaves_no_record_and_can_be_repeated_once_fixed(ops):
    issue = {"action": "issue_token", "kind": "agency", "agency_id": "spaeter", "label": "CRM"}
    assert ops(issue)["error"]["code"] == "not_found"
    assert ops({"action": "create_agency", **owner_fields(6), "agency": {
        "agency_id": "spaeter", "name": "Später GmbH", "contact_email": "k@spaeter.example"}})["ok"]
    issued = ops(issue)
    assert issued["ok"] is True and issued["token"] and "repeated" not in issued


# -- jobs ---------------------------------------------------------------------------------

def test_a_job_runs_for_a_given_past_date_with_the_clock_on_that_date(ops, http, clock, emf):
    reply = submit(http)  # never confirmed: purged 30 days after submission
    assert reply.status == 202
    clock.set(START + timedelta(days=40))
    day = (START + timedelta(days=20)).date().isoformat()
    early = ops({"action": "run_job", "job": "review-sweep", "date": day})
    assert early["ok"] is True, early
    assert early["summary"]["purged"] == 0 and early["summary"]["for_date"] == day
    later = (START + timedelta(days=31)).date().isoformat()
    assert ops({"action": "run_job", "job": "review-sweep", "date": later})["summary"][
        "purged"] == 1
    # A catch-up run does not stand in for today's run (the nightly-job alarm).
    assert emf.total("JobSucceeded", job="review-sweep") == 0
    retention = ops({"action": "run_job", "job": "retention-sweep", "date": day})["summary"]
    assert retention["date"] == day
    # The application clock is back on today afterwards; only today's run counts (once
    # done: under load the test client's 3-second context may leave a checkpoint).
    today = ops({"action": "run_job", "job": "retention-sweep"})["summary"]
    assert today["date"] == (START + timedelta(days=40)).date().isoformat()
    assert emf.total("JobSucceeded", job="retention-sweep") == (
        1 if today["checkpoint"] is None else 0)


def test_a_job_for_a_future_date_is_refused(ops, clock):
    tomorrow = (START + timedelta(days=1)).date().isoformat()
    refused = ops({"action": "run_job", "job": "retention-sweep", "date": tomorrow})
    assert refused["ok"] is False and set(refused["error"]["fields"]) == {"date"}
    today = ops({"action": "run_job", "job": "retention-sweep", "date": START.date().isoformat()})
    assert today["ok"] is True and "for_date" not in today["summary"]


# -- suppression list ---------------------------------------------------------------------

def test_lifting_a_suppression_lets_mail_go_out_again(ops, http, make_tour, container, outbox):
    container.suppressions.suppress("eva@example.org", "bounce:General", None, "fb-1")
    tour = make_tour("email")
    register(http, tour["tour_id"])
    assert outbox() == []
    lifted = ops({"action": "lift_suppression", "email": "EVA@example.org"})
    assert lifted == {"ok": True, "lifted": True}
    assert ops({"action": "lift_suppression", "email": "EVA@example.org"})["repeated"] is True
    register(http, make_tour("email")["tour_id"])
    assert [m["to"] for m in outbox()] == [["eva@example.org"]]
    assert ops({"action": "lift_suppression", "email": "nie@example.org"})["lifted"] is False


# -- one person ---------------------------------------------------------------------------

def test_export_and_erasure_cover_registrations_and_reviews(ops, http, make_tour, outbox):
    tour = make_tour("email")
    registration = register(http, tour["tour_id"], email="eva@example.org")["registration_id"]
    review = submit_and_confirm(http, outbox, email="eva@example.org")
    assert review["status"] == "published"
    other_review = submit_and_confirm(
        http, outbox, email="otto@example.org", rating=3,
        text="Ordentliche Abwicklung beim Hausverkauf, aber Rückrufe kamen oft erst nach Tagen.")
    assert other_review["status"] == "published"

    exported = ops({"action": "export_person", "agency_id": "demo", "email": "Eva@Example.org"})
    assert exported["ok"] is True, exported
    assert exported["address"]["email"] == "eva@example.org"
    assert [r["registration_id"] for r in exported["registrations"]] == [registration]
    assert exported["registrations"][0]["tour_id"] == tour["tour_id"]
    assert [r["review_id"] for r in exported["reviews"]] == [review["review_id"]]
    assert exported["reviews"][0]["email"] == "eva@example.org"
    assert {a["type"] for a in exported["activities"]} >= {"inquiry"}

    erased = ops({"action": "erase_person", "agency_id": "demo", "email": "eva@example.org"})
    assert erased["ok"] is True, erased
    assert erased["tombstone"]["erased"]["registrations"] == 1
    assert erased["reviews_deleted"] == [review["review_id"]]
    # Same event again: answered from the first run, nothing repeated.
    assert ops({"action": "erase_person", "agency_id": "demo",
                "email": "eva@example.org"})["repeated"] is True

    listed = http.get(f"/agency/tours/{tour['tour_id']}/registrations", token=DEMO).json
    assert listed["registrations"] == []
    assert http.get(f"/qa/reviews/{review['review_id']}", token=QA).status == 404
    shown = public(http)
    assert [r["review_id"] for r in shown["reviews"]] == [other_review["review_id"]]
    assert shown["summary"]["count"] == 1
    assert http.get("/agency/gdpr/deletions?email=eva@example.org",
                    token=DEMO).json["deletions"][0]["by"] == "ops"
    gone = ops({"action": "export_person", "agency_id": "demo", "email": "eva@example.org"})
    assert gone["error"]["code"] == "not_found"


def test_a_reviewer_without_an_address_is_exported_and_erased_too(ops, http, outbox, container):
    review = submit_and_confirm(http, outbox, email="rita@example.org")
    exported = ops({"action": "export_person", "agency_id": "demo", "email": "rita@example.org"})
    assert exported["address"] is None and len(exported["reviews"]) == 1
    erased = ops({"action": "erase_person", "agency_id": "demo", "email": "rita@example.org",
                  "reason": "Bitte der Person per Mail"})
    assert erased["deleted"] is None and erased["reviews_deleted"] == [review["review_id"]]
    assert "rita@example.org" not in dump(container.settings.region)
    assert public(http)["summary"]["count"] == 0
    assert ops({"action": "export_person", "agency_id": "other",
                "email": "rita@example.org"})["error"]["code"] == "not_found"
    assert ops({"action": "export_person", "agency_id": "gibt-es-nicht",
                "email": "rita@example.org"})["error"]["code"] == "not_found"


def test_erasure_takes_the_reviewers_answers_out_of_every_report_case(
        ops, http, outbox, container):
    from tests.functional.reviews.test_reports import answer_link, report

    review = submit_and_confirm(http, outbox, email="rita@example.org", rating=2, text=(
        "Der Makler hat nie zurückgerufen und die Besichtigung kurzfristig abgesagt."))
    assert review["status"] == "published", review["findings"]
    # A first case, answered and kept; a second one, answered, with a proof still pending.
    first = report(http, review["review_id"]).json["report_id"]
    http.post(f"/qa/reports/{first}/request-statement", {}, token=QA)
    http.form_post(answer_link(outbox, "review-statement", "rita@example.org"),
                   "answer=Erste+vertrauliche+Antwort")
    assert http.post(f"/qa/reports/{first}/resolve", {"outcome": "keep", "reason": "Belegt."},
                     token=QA).status == 200
    second = report(http, review["review_id"], category="false_facts").json["report_id"]
    http.post(f"/qa/reports/{second}/request-statement", {}, token=QA)
    http.form_post(answer_link(outbox, "review-statement", "rita@example.org"),
                   "answer=Zweite+vertrauliche+Antwort")
    http.post(f"/qa/reports/{second}/request-proof", {}, token=QA)
    proof = answer_link(outbox, "review-proof", "rita@example.org")

    exported = ops({"action": "export_person", "agency_id": "demo", "email": "rita@example.org"})
    assert sorted(a["answer"] for a in exported["review_report_answers"]) == [
        "Erste vertrauliche Antwort", "Zweite vertrauliche Antwort"]

    erased = ops({"action": "erase_person", "agency_id": "demo", "email": "rita@example.org"})
    assert erased["reviews_deleted"] == [review["review_id"]]
    everything = dump(container.settings.region)
    assert "vertrauliche" not in everything and "rita@example.org" not in everything
    # The open case ended with the review; its pending proof request with it.
    assert http.get("/qa/reports?status=open", token=QA).json["reports"] == []
    resolved = {r["report_id"]: r for r in http.get("/qa/reports?status=resolved",
                                                    token=QA).json["reports"]}
    assert resolved[second]["outcome"] == "delete" and resolved[second]["resolved_by"] == "ops"
    assert "Art. 17" in resolved[second]["resolution_reason"]
    assert resolved[first]["outcome"] == "keep"  # what QA decided then stays on record
    assert "answer" not in resolved[first]["statement"]
    assert http.get(proof).status in (404, 410)
    assert [i for i in items_with(container, f"REPORT#{second}")
            if i["sk"].startswith("DEADLINE#")] == []
