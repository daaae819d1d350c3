"""Lambda retries and crashes of the unattended handlers (issue 8, section 3).

- Every scheduled and SNS handler, invoked twice with one and the same event (Lambda's
  at-least-once delivery), has one effect: after the second invocation every table is
  byte-for-byte as after the first, and no further mail went out.
- A sweep killed halfway (the process dies right after its n-th committed write, for
  every n the uninterrupted run makes) and then run again ends with the same tables and
  the same mails as the uninterrupted run, for ``retention-sweep`` and ``review-sweep``.
  Ids and tokens are drawn from a seeded generator so both worlds can be compared in full.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from chalice.test import Client

import app as application
from tests.conftest import QA
from tests.faults.scenarios import World
from tests.faults.worlds import KillAfterCommits, Killed, fresh_world, seeded_randomness
from tests.functional.mail.support import BOUNCE_PERMANENT, SentMails, notification
from tests.functional.mail.support import SesFaults as PlannedSesFaults
from tests.support import all_items, dump

FIGURES: Counter[str] = Counter()


def review_sweep_work(w: World) -> None:
    """Work of every kind for the review sweep: purges, a re-verification sample, an
    unanswered re-verification and a passed statement deadline."""
    for n in range(2):
        w.review(email=f"purge{n}@example.org", text=f"Unbestätigt Nummer {n}, "
                 "eine ausführliche Beschreibung der Beratung und des Ablaufs.")
    early = w.confirmed_review(email="early@example.org",
                               text="Die Beratung war gründlich und die Termine pünktlich, "
                                    "die Kommunikation lief immer schnell und freundlich.")
    reported = w.confirmed_review(email="reported@example.org",
                                  text="Der Verkauf unserer Wohnung verlief reibungslos und "
                                       "ohne Überraschungen, der Preis war realistisch.")
    report_id = w.report(reported)
    w.ok(w.http.post(f"/qa/reports/{report_id}/request-statement", {}, token=QA))
    w.flag(early)
    w.clock.advance(days=15)
    w.ok(w.http.post("/dev/jobs/review-sweep", {}))  # asks ``early`` to re-verify
    w.flag(w.confirmed_review(email="sample@example.org",
                              text="Wir wurden beim Kauf sehr gut begleitet, jede Frage wurde "
                                   "beantwortet und der Notartermin war schnell vereinbart."))
    w.clock.advance(days=16)  # re-verification unanswered, purge due, a new flag due
    assert early


def retention_sweep_work(w: World) -> None:
    w.ok(w.http.put("/agency/gdpr/settings", {"auto_delete_expired": True}, token="demo-"
                    "agency-token"))
    for n in range(4):
        w.address(email=f"expired{n}@example.org", store_until=f"2026-11-{10 + n}")
    w.address(email="soon@example.org", store_until="2026-12-10")
    w.ok(w.http.put("/agency/gdpr/settings", {"auto_delete_expired": True},
                    token="other-agency-token"))
    w.ok(w.http.post("/agency/addresses", {"first_name": "Otto", "last_name": "Other",
                                           "email": "otto@example.org",
                                           "store_until": "2026-11-01"},
                     token="other-agency-token"), 201)


def mail_retry_work(w: World) -> None:
    faults = PlannedSesFaults(w.container.ses)
    faults.fail_next("TooManyRequestsException", "TooManyRequestsException")
    w.register(w.tour("manual"))
    w.clock.advance(minutes=5)


def scheduled(name: str) -> Callable[[Any], dict[str, Any]]:
    def invoke(client: Client) -> dict[str, Any]:
        event = client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={},
            resources=[f"arn:aws:events:eu-central-1:123456789012:rule/freigabe-{name}"])
        return client.lambda_.invoke(name, event).payload
    return invoke


HANDLERS = {
    "mail_retry": (mail_retry_work, "sent"),
    "review_sweep": (review_sweep_work, "purged"),
    "retention_sweep": (retention_sweep_work, "deleted"),
}


@pytest.mark.parametrize("handler", sorted(HANDLERS))
def test_a_scheduled_handler_invoked_twice_with_one_event_acts_once(world, handler):
    prepare, effect = HANDLERS[handler]
    prepare(world)
    region = world.container.settings.region
    before = dump(region)
    sent_before = len(world.outbox())
    with Client(application.app, stage_name="local") as client:
        invoke = scheduled(handler)
        first = invoke(client)
        # The retention sweep stops with a checkpoint when its Lambda time runs short (the
        # test client's context is short) and the next invocation continues: the same event
        # delivered again once the day is done must change nothing.
        for _ in range(10):
            if first.get("checkpoint") is None:
                break
            done_before = first.get(effect) or 0
            first = invoke(client)
            first[effect] = (first.get(effect) or 0) + done_before
        assert first.get(effect), first  # there was work, and it was done
        after_first, sent_after_first = dump(region), len(world.outbox())
        assert after_first != before
        second = invoke(client)
    FIGURES["handlers invoked twice"] += 1
    assert dump(region) == after_first, f"{handler}: the repeated event changed the tables"
    assert len(world.outbox()) == sent_after_first
    assert not second.get(effect), second
    if handler != "review_sweep":  # the sweep's mails go with its transactions
        assert sent_after_first > sent_before


def test_the_ses_feedback_handler_given_one_notification_twice_acts_once(world, container):
    sent = SentMails(container.ses)
    tour = world.tour("email")
    world.register(tour, email="bounce@example.org")
    note = notification(BOUNCE_PERMANENT, sent.last_to("bounce@example.org"))
    region = container.settings.region
    import json

    with Client(application.app, stage_name="local") as client:
        event = client.events.generate_sns_event(message=json.dumps(note),
                                                 subject="Amazon SES Email Event Notification")
        before = dump(region)
        client.lambda_.invoke("ses_feedback", event)
        after_first = dump(region)
        client.lambda_.invoke("ses_feedback", event)
    FIGURES["handlers invoked twice"] += 1
    assert after_first != before
    assert dump(region) == after_first
    [listed] = world.http.get(f"/agency/tours/{tour['tour_id']}/registrations",
                              token="demo-agency-token").json["registrations"]
    assert listed["undeliverable"] is True
    # The suppressed address gets nothing more.
    sent_before = len(world.outbox())
    world.register(tour, email="bounce@example.org")
    assert len(world.outbox()) == sent_before


# -- a sweep killed halfway ----------------------------------------------------------------------

SWEEPS = {"retention-sweep": retention_sweep_work, "review-sweep": review_sweep_work}


def _end_state(world: World) -> tuple[Any, list[tuple[Any, ...]]]:
    """Every table, and every mail (the mail records differ only in delivery bookkeeping:
    a mail staged by a killed run goes out with the retry job instead of right away)."""
    tables = all_items(world.container.settings.region)
    for item in (i for items in tables.values() for i in items):
        if str(item.get("pk", "")).startswith("MAIL#"):
            for bookkeeping in ("provider_id", "sent_at", "attempts", "due_pk", "due_sk",
                                "last_error", "expires_ttl"):
                item.pop(bookkeeping, None)
    sent = sorted((tuple(m["to"]), m["subject"], m["text"]) for m in world.outbox())
    return tables, sent


def _run_to_the_end(world: World, job: str) -> None:
    for _ in range(5):
        summary = world.ok(world.http.post(f"/dev/jobs/{job}", {}))
        if summary.get("checkpoint") is None:
            break
    world.clock.advance(minutes=10)  # anything a killed run staged goes out with the job
    world.ok(world.http.post("/dev/jobs/mail-retry", {}))


@pytest.mark.parametrize("job", sorted(SWEEPS))
def test_a_sweep_killed_after_any_write_ends_like_an_uninterrupted_run(world, container, job):
    killer = KillAfterCommits(container.dynamodb)
    with seeded_randomness():
        fresh_world(container, world.clock)
        SWEEPS[job](world)
        commits_before = killer.commits
        _run_to_the_end(world, job)
        writes = killer.commits - commits_before
        expected = _end_state(world)
    assert writes >= 4, f"{job}: too little work to kill halfway ({writes} writes)"

    for kill_after in range(1, writes):
        with seeded_randomness():
            fresh_world(container, world.clock)
            SWEEPS[job](world)
            killer.countdown = kill_after
            with pytest.raises(Killed):
                application.JOBS[job](application._scheduled_event(job, "test"), None)
            killer.countdown = None
            FIGURES[f"{job} killed"] += 1
            _run_to_the_end(world, job)
            tables, sent = _end_state(world)
        assert sent == expected[1], f"{job} killed after write {kill_after}: other mails"
        for table, items in expected[0].items():
            assert tables[table] == items, f"{job} killed after write {kill_after}: {table}"
