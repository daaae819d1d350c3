"""EMF metrics from the domain services, flushed once per invocation (app.py middleware):
what each event writes, through the public surface (HTTP, links, job and ops handlers)."""

from __future__ import annotations

from typing import Any

from chalice.test import Client

import app as application
from tests.conftest import DEMO, QA, EmfCapture
from tests.functional.mail.support import REJECTED, SesFaults
from tests.functional.privacy.support import consent_request, create_address
from tests.functional.reviews.support import submit, submit_and_confirm
from tests.support import links_of, register


def test_a_registration_counts_by_mode_and_its_unlock_and_mail(http, make_tour, outbox, emf):
    tour = make_tour("email")
    before = len(emf.blobs)
    register(http, tour["tour_id"])
    written = emf.blobs[before:]
    # One request, one flush: the registration (mode dimension) and its mail.
    assert emf.total("Registrations", mode="email") == 1
    assert emf.total("Registrations", mode="manual") == 0
    assert emf.dimensions("Registrations") == [["mode", "service", "stage"]]
    assert sum(sum(b.get("MailsSent", [])) for b in written) == 1
    assert all(b["stage"] == "local" and b["service"] == "freigabe-api" for b in written)
    assert all(b["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "freigabe" for b in written)

    [link] = links_of(outbox()[-1], "unlock")
    assert http.form_post(link).status == 303
    assert emf.total("Unlocks", mode="email") == 1
    assert http.form_post(link).status == 410  # used: no second unlock counted
    assert emf.total("Unlocks") == 1


def test_manual_mode_counts_the_approval_as_its_unlock(http, make_tour, emf):
    tour = make_tour("manual")
    first = register(http, tour["tour_id"])
    second = register(http, tour["tour_id"], email="otto@example.org")
    assert emf.total("Registrations", mode="manual") == 2
    approve = f"/agency/registrations/{first['registration_id']}/approve"
    assert http.post(approve, token=DEMO).status == 200
    assert http.post(approve, token=DEMO).status == 409
    deny = f"/agency/registrations/{second['registration_id']}/deny"
    assert http.post(deny, token=DEMO).status == 200
    assert emf.total("Unlocks", mode="manual") == 1


def test_reviews_published_by_the_checks_and_rejected_by_qa(http, outbox, emf):
    published = submit_and_confirm(http, outbox)
    assert published["status"] == "published"
    assert emf.total("ReviewsPublished", via="checks") == 1
    flagged = submit_and_confirm(http, outbox, email="max@example.org",
                                 text="Der Makler ist ein B3trüg3r, Termine hat er nie "
                                      "eingehalten, ganz furchtbar.")
    assert flagged["status"] == "in_review"
    assert emf.total("ReviewsPublished") == 1
    reply = http.post(f"/qa/reviews/{flagged['review_id']}/decision",
                      {"decision": "reject", "reason": "Formalbeleidigung, kein Sachbezug."},
                      token=QA)
    assert reply.status == 200, reply.body
    assert emf.total("ReviewsRejected") == 1
    third = submit_and_confirm(http, outbox, email="ute@example.org",
                               text="Die Maklerin ist eine B3trüg3rin, wirklich wahr und "
                                    "nicht gelogen, leider.")
    http.post(f"/qa/reviews/{third['review_id']}/decision",
              {"decision": "publish", "reason": "Sachbezug erkennbar."}, token=QA)
    assert emf.total("ReviewsPublished", via="qa") == 1


def test_consent_given_withdrawn_and_the_deletion(http, clock, outbox, emf):
    address = create_address(http, first_name="Eva", last_name="Muster",
                             email="eva@example.org")["address_id"]
    assert consent_request(http, address)["sent"] == [address]
    mail = outbox()[-1]
    [consent] = links_of(mail, "consent")
    [deletion] = links_of(mail, "deletion-request")
    assert http.form_post(consent).status == 200
    assert emf.total("ConsentGiven") == 1 and emf.total("ConsentWithdrawn") == 0
    assert http.form_post(deletion).status == 200
    assert emf.total("ConsentWithdrawn") == 1
    assert http.request("DELETE", f"/agency/addresses/{address}", token=DEMO).status == 200
    assert emf.total("Deletions") == 1
    # Deleting again finds nothing: no second count.
    assert http.request("DELETE", f"/agency/addresses/{address}", token=DEMO).status == 404
    assert emf.total("Deletions") == 1


def test_failed_and_suppressed_mails(http, make_tour, container, emf):
    faults = SesFaults(container.ses)
    faults.fail_next(REJECTED)
    register(http, make_tour("email")["tour_id"])
    assert emf.total("MailsFailed") == 1 and emf.total("MailsSent") == 0
    container.suppressions.suppress("otto@example.org", "bounce:General", None, "")
    register(http, make_tour("email")["tour_id"], email="otto@example.org")
    assert emf.total("MailsSuppressed") == 1 and emf.total("MailsSent") == 0


def _invoke(name: str, event: dict[str, Any] | None = None) -> Any:
    with Client(application.app, stage_name="local") as client:
        if event is None:
            event = client.events.generate_cw_event(
                source="aws.events", detail_type="Scheduled Event", detail={},
                resources=[f"arn:aws:events:eu-central-1:123456789012:rule/{name}"])
        return client.lambda_.invoke(name, event).payload


def test_jobs_write_their_duration_and_success(container, emf):
    assert _invoke("review_sweep")["job"] == "review-sweep"
    assert emf.total("JobSucceeded", job="review-sweep", stage="local") == 1
    assert emf.dimensions("JobSucceeded") == [["job", "service", "stage"]]
    [duration] = [b for b in emf.blobs if "JobDuration" in b]
    assert duration["job"] == "review-sweep" and duration["JobDuration"][0] >= 0
    assert {"Name": "JobDuration", "Unit": "Milliseconds"} in (
        duration["_aws"]["CloudWatchMetrics"][0]["Metrics"])
    # The test client gives a handler 3 s; on a busy machine the sweep may stop with a
    # checkpoint and finish in the next run, as on Lambda. Success is written once it is done.
    runs = [_invoke("retention_sweep") for _ in range(2)]
    while runs[-1]["checkpoint"] is not None and len(runs) < 10:
        runs.append(_invoke("retention_sweep"))
    assert runs[-1]["checkpoint"] is None
    assert emf.total("JobSucceeded", job="retention-sweep") == len(
        [r for r in runs if r["checkpoint"] is None])
    # The ops function runs the same handler: its metrics are flushed too.
    assert _invoke("ops", {"action": "run_job", "job": "mail-retry"})["ok"] is True
    assert emf.total("JobSucceeded", job="mail-retry") == 1


def test_metrics_recorded_before_an_error_response_are_still_written(
        http, make_tour, container, emf, monkeypatch):
    tour = make_tour("email")

    def fails(*args: Any, **kwargs: Any) -> Any:
        container.metrics.count("Registrations", mode="email")
        raise RuntimeError("boom")

    monkeypatch.setattr(container.tours, "protection", fails)
    assert http.get(f"/tours/{tour['tour_id']}/protection").status == 500
    assert emf.total("Registrations", mode="email") == 1


def test_the_metrics_carry_no_personal_data(http, make_tour, outbox, emf):
    register(http, make_tour("email")["tour_id"], email="eva@example.org", phone="+49 171 2345678")
    submit_and_confirm(http, outbox, phone="+49 171 2345678")
    assert emf.blobs and emf.leaks == []
    # The audit itself finds an address or phone number where one is written.
    audit = EmfCapture()
    audit({"_aws": {"Timestamp": 1795399044930, "CloudWatchMetrics": []},
           "mode": "eva@example.org", "x": "+49 171 2345678"})
    assert len(audit.leaks) == 2


def test_requests_without_metrics_write_nothing(http, emf):
    assert http.get("/health").status == 200
    assert submit(http, rating=9).status == 422
    assert emf.blobs == []
