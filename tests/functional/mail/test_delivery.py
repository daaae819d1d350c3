"""Mail is never lost and never sent twice: SES failures injected with a botocore event
hook on the container's sesv2 client, the retry job run through ``/dev/jobs`` and through
the scheduled handler, the application clock moved by hand."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.conftest import DEMO, registration_payload
from tests.functional.mail.support import REJECTED, THROTTLED
from tests.support import links_of, register

NOTHING_DUE = {"job": "mail-retry", "due": 0, "sent": 0, "rescheduled": 0, "failed": 0,
               "skipped": 0}


@pytest.fixture
def dynamo_calls(container: Any) -> list[str]:
    """Every DynamoDB operation the code issues from here on (by name)."""
    calls: list[str] = []

    def record(event_name: str, **_: Any) -> None:
        calls.append(event_name.rsplit(".", 1)[-1])

    container.dynamodb.meta.events.register("before-call.dynamodb", record)
    return calls


def run_job(http: Any) -> dict[str, Any]:
    reply = http.post("/dev/jobs/mail-retry", {})
    assert reply.status == 200, reply.body
    return reply.json


def scheduled_event(http: Any) -> dict[str, Any]:
    return http.client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={},
        resources=["arn:aws:events:eu-central-1:123456789012:rule/freigabe-mail_retry"])



def registrations(http: Any, tour: dict[str, Any]) -> list[dict[str, Any]]:
    reply = http.get(f"/agency/tours/{tour['tour_id']}/registrations", token=DEMO)
    assert reply.status == 200, reply.body
    return reply.json["registrations"]


def mail_record(container: Any, mail_id: str) -> dict[str, Any]:
    item = container.core_table.get(f"MAIL#{mail_id}", "MAIL")
    assert item is not None, mail_id
    return item


# -- a throttled first attempt ------------------------------------------------------------

def test_throttled_registration_mail_is_kept_and_sent_once_after_backoff(
        http, make_tour, outbox, clock, ses_faults, dynamo_calls, container):
    tour = make_tour("email")
    ses_faults.fail_next(THROTTLED)

    registered = register(http, tour["tour_id"])
    assert registered["status"] == "pending_email"
    assert outbox() == []
    [listed] = registrations(http, tour)
    assert listed["registration_id"] == registered["registration_id"]
    assert listed["status"] == "pending_email"
    assert listed["undeliverable"] is False
    record = mail_record(container, f"{registered['registration_id']}-unlock")
    assert record["status"] == "pending"
    assert record["last_error"] == THROTTLED
    assert record["attempts"] == 1

    # Backoff after the first failure: one minute. Not due before that.
    assert run_job(http) == NOTHING_DUE
    clock.advance(seconds=59)
    assert run_job(http) == NOTHING_DUE
    assert outbox() == []
    assert ses_faults.attempts == 1

    clock.advance(seconds=1)
    assert run_job(http) == {**NOTHING_DUE, "due": 1, "sent": 1}
    [mail] = outbox()
    assert mail["to"] == ["eva@example.org"]
    assert "Rundgang freischalten" in mail["html"]
    [link] = links_of(mail, "unlock")
    assert ses_faults.attempts == 2

    # Nothing left: neither the job route nor the scheduled handler sends it again, however
    # often and however late they run, even with one and the same event.
    assert run_job(http) == NOTHING_DUE
    clock.advance(hours=3)
    event = scheduled_event(http)
    for _ in range(2):
        invoked = http.client.lambda_.invoke("mail_retry", event)
        assert invoked.payload == NOTHING_DUE
    assert len(outbox()) == 1
    assert ses_faults.attempts == 2
    sent = mail_record(container, f"{registered['registration_id']}-unlock")
    assert sent["status"] == "sent"
    assert "due_pk" not in sent and "text" not in sent and "to" not in sent

    # The mail that came late still works.
    assert http.form_post(link).status == 303
    assert "Scan" not in dynamo_calls
    assert "Query" in dynamo_calls  # the job reads the sparse "due" index


def test_scheduled_handler_sends_a_retried_mail_once_for_a_repeated_event(
        http, make_tour, outbox, clock, ses_faults):
    tour = make_tour("email")
    ses_faults.fail_next(THROTTLED)
    register(http, tour["tour_id"])
    clock.advance(minutes=1)

    event = scheduled_event(http)
    first = http.client.lambda_.invoke("mail_retry", event)
    assert first.payload == {**NOTHING_DUE, "due": 1, "sent": 1}
    again = http.client.lambda_.invoke("mail_retry", event)
    assert again.payload == NOTHING_DUE
    assert len(outbox()) == 1


def test_backoff_doubles_after_each_throttled_retry(http, make_tour, outbox, clock, ses_faults):
    tour = make_tour("email")
    ses_faults.fail_next(THROTTLED, THROTTLED, THROTTLED)
    register(http, tour["tour_id"])  # attempt 1 fails

    for attempt, wait in ((2, 1), (3, 2), (4, 4)):
        clock.advance(minutes=wait, seconds=-1)
        assert run_job(http) == NOTHING_DUE, f"attempt {attempt} came early"
        clock.advance(seconds=1)
        summary = run_job(http)
        if attempt < 4:
            assert summary == {**NOTHING_DUE, "due": 1, "rescheduled": 1}
        else:
            assert summary == {**NOTHING_DUE, "due": 1, "sent": 1}
    assert ses_faults.attempts == 4
    assert len(outbox()) == 1


def test_concurrent_job_runs_send_a_due_mail_once(http, make_tour, outbox, clock, ses_faults,
                                                 container):
    tour = make_tour("email")
    ses_faults.fail_next(THROTTLED)
    register(http, tour["tour_id"])
    clock.advance(minutes=5)

    barrier = threading.Barrier(6)
    reports: list[Any] = []
    errors: list[BaseException] = []

    def job() -> None:
        try:
            barrier.wait()
            reports.append(container.outbox.retry_due())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=job) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert len(reports) == 6
    assert sum(r.sent for r in reports) == 1
    assert len(outbox()) == 1
    assert ses_faults.attempts == 2


def test_a_stale_copy_of_a_due_mail_cannot_be_claimed_again(http, make_tour, outbox, clock,
                                                          ses_faults, container):
    tour = make_tour("email")
    ses_faults.fail_next(THROTTLED)
    register(http, tour["tour_id"])
    clock.advance(minutes=1)

    store = container.outbox.store
    [stale] = store.due(clock.now(), 10)  # what a slower job run read from the index
    assert run_job(http)["sent"] == 1
    assert store.claim(stale, clock.now()) is None
    assert container.outbox.retry_due().as_dict() == {k: v for k, v in NOTHING_DUE.items()
                                                     if k != "job"}
    assert len(outbox()) == 1


# -- the in-request send owns its mail ---------------------------------------------------

def test_mail_sent_by_the_request_is_not_sent_again_by_the_job(http, make_tour, outbox, clock,
                                                            ses_faults, container):
    tour = make_tour("email")
    nested: list[Any] = []

    def job_during_send() -> None:
        # While the request's own send is in flight the record is committed and pending;
        # a job running now (even almost two minutes later) must leave it alone.
        if not nested:
            clock.advance(seconds=container.settings.mail_claim_seconds - 1)
            nested.append(container.outbox.retry_due())

    ses_faults.before_send = job_during_send
    registered = register(http, tour["tour_id"])
    ses_faults.before_send = None
    assert nested[0].due == 0 and nested[0].sent == 0
    assert len(outbox()) == 1

    for minutes in (3, 60, 24 * 60):
        clock.advance(minutes=minutes)
        assert run_job(http) == NOTHING_DUE
    assert len(outbox()) == 1
    assert ses_faults.attempts == 1
    assert mail_record(container, f"{registered['registration_id']}-unlock")["status"] == "sent"


# -- giving up ----------------------------------------------------------------------------

def test_permanent_failure_marks_the_registration_undeliverable_and_is_not_retried(
        http, make_tour, outbox, clock, ses_faults, container):
    tour = make_tour("email")
    ses_faults.fail_next(REJECTED)

    registered = register(http, tour["tour_id"])
    assert registered["status"] == "pending_email"
    assert outbox() == []
    [listed] = registrations(http, tour)
    assert listed["undeliverable"] is True
    assert listed["status"] == "pending_email"
    record = mail_record(container, f"{registered['registration_id']}-unlock")
    assert record["status"] == "failed"
    assert record["last_error"] == REJECTED
    assert "due_pk" not in record and "text" not in record

    for minutes in (1, 60, 24 * 60):
        clock.advance(minutes=minutes)
        assert run_job(http) == NOTHING_DUE
    assert ses_faults.attempts == 1
    assert outbox() == []

    # Another registration of the same tour is not affected.
    other = register(http, tour["tour_id"], email="otto@example.org")
    flags = {r["registration_id"]: r["undeliverable"] for r in registrations(http, tour)}
    assert flags == {registered["registration_id"]: True, other["registration_id"]: False}


def test_transient_failures_are_given_up_after_max_attempts(http, make_tour, outbox, clock,
                                                           ses_faults, container):
    max_attempts = container.settings.mail_max_attempts
    assert max_attempts == 8
    tour = make_tour("email")
    ses_faults.always = THROTTLED

    registered = register(http, tour["tour_id"])  # attempt 1
    summaries = []
    for _ in range(max_attempts + 3):
        clock.advance(minutes=60)  # the longest backoff
        summaries.append(run_job(http))

    retries = max_attempts - 1
    assert [s["rescheduled"] for s in summaries[:retries - 1]] == [1] * (retries - 1)
    assert summaries[retries - 1] == {**NOTHING_DUE, "due": 1, "failed": 1}
    assert summaries[retries:] == [NOTHING_DUE] * 4
    assert ses_faults.attempts == max_attempts
    assert outbox() == []
    [listed] = registrations(http, tour)
    assert listed["undeliverable"] is True
    record = mail_record(container, f"{registered['registration_id']}-unlock")
    assert record["status"] == "failed"
    assert record["attempts"] == max_attempts
    assert record["last_error"] == THROTTLED


def test_rejected_mail_to_the_agency_does_not_flag_the_prospect(http, make_tour, outbox,
                                                               ses_faults):
    tour = make_tour("manual")
    ses_faults.fail_next(None, REJECTED)  # the prospect's mail goes, the agency's is refused
    register(http, tour["tour_id"])

    [mail] = outbox()
    assert mail["to"] == ["eva@example.org"]
    [listed] = registrations(http, tour)
    assert listed["undeliverable"] is False
    assert listed["status"] == "pending_approval"


# -- manual release --------------------------------------------------------------------------

def _decide_by_api(http: Any, registration_id: str, decision: str) -> None:
    reply = http.post(f"/agency/registrations/{registration_id}/{decision}", {}, token=DEMO)
    assert reply.status == 200, reply.body
    assert reply.json["status"] == ("unlocked" if decision == "approve" else "denied")


def _decide_by_link(http: Any, request_mail: dict[str, Any], decision: str) -> None:
    [link] = links_of(request_mail, decision)
    reply = http.form_post(link)
    assert reply.status == 200, reply.body


@pytest.mark.parametrize(("decision", "via"), [("approve", "api"), ("deny", "api"),
                                               ("approve", "link"), ("deny", "link")])
def test_throttled_decision_mail_arrives_once_via_the_job(http, make_tour, outbox, clock,
                                                          ses_faults, decision, via):
    tour = make_tour("manual")
    registered = register(http, tour["tour_id"])
    mails = outbox()
    assert len(mails) == 2
    [request_mail] = [m for m in mails if m["to"] == ["dana@demo-makler.de"]]

    ses_faults.fail_next(THROTTLED)
    if via == "api":
        _decide_by_api(http, registered["registration_id"], decision)
    else:
        _decide_by_link(http, request_mail, decision)
    assert len(outbox()) == 2
    [listed] = registrations(http, tour)
    assert listed["status"] == ("unlocked" if decision == "approve" else "denied")

    clock.advance(minutes=1)
    assert run_job(http) == {**NOTHING_DUE, "due": 1, "sent": 1}
    assert run_job(http) == NOTHING_DUE
    mails = outbox()
    assert len(mails) == 3
    decision_mail = mails[-1]
    assert decision_mail["to"] == ["eva@example.org"]
    if decision == "approve":
        assert "freigegeben" in decision_mail["subject"]
        entry = next(word for word in decision_mail["text"].split() if "#freigabe=" in word)
        viewer = entry.split("#freigabe=", 1)[1]
        access = http.get(f"/tours/{tour['tour_id']}/access", headers={"X-Viewer-Token": viewer})
        assert access.json["status"] == "unlocked"
    else:
        assert "#freigabe=" not in decision_mail["text"]
    assert ses_faults.attempts == 4



# -- addresses SES can deliver -------------------------------------------------------------

def test_an_address_ses_cannot_deliver_is_refused_up_front(http, make_tour, outbox,
                                                          ses_faults):
    # An internationalized local part (SMTPUTF8) used to be stored and then crash the
    # send with a 500 after the registration had committed.
    tour = make_tour("email")
    reply = http.post(f"/tours/{tour['tour_id']}/registrations",
                      registration_payload(email="jürgen@example.org"))
    assert reply.status == 422
    assert set(reply.json["error"]["fields"]) == {"email"}
    assert registrations(http, tour) == []
    assert ses_faults.attempts == 0


def test_an_internationalized_domain_is_mailed_in_its_ascii_form(http, make_tour, outbox):
    tour = make_tour("email")
    register(http, tour["tour_id"], email="eva@bücher.de")
    [mail] = outbox()
    assert mail["to"] == ["eva@xn--bcher-kva.de"]
    assert links_of(mail, "unlock")
    [listed] = registrations(http, tour)
    assert listed["email"] == "eva@xn--bcher-kva.de"
