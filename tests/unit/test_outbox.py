"""The outbox's delivery rules with an in-memory store and a scripted mailer (no moto)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.clock import FixedClock
from chalicelib.mail.message import MailMessage
from chalicelib.mail.outbox import Outbox, OutboxMail, OutboxStore, backoff
from chalicelib.mail.ses import MailError

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
THROTTLED = MailError("TooManyRequestsException", transient=True)
REJECTED = MailError("MessageRejected", transient=False)


@dataclass
class Record:
    mail: OutboxMail
    status: str
    attempts: int
    due: datetime | None
    last_error: str | None = None
    provider_id: str | None = None


class MemoryOutboxStore:
    """The OutboxStore protocol over a dict, with DynamoOutboxStore's conditions."""

    def __init__(self) -> None:
        self.records: dict[str, Record] = {}
        self.staged_with: list[tuple[Any, datetime, datetime]] = []
        self.lose_claims = False

    @staticmethod
    def _token(record: Record) -> str | None:
        return f"{record.due.isoformat()}#{record.mail.mail_id}" if record.due else None

    def stage(self, tx: Any, mail: OutboxMail, now: datetime, claim_until: datetime) -> None:
        assert mail.mail_id not in self.records, "staged twice"
        self.staged_with.append((tx, now, claim_until))
        self.records[mail.mail_id] = Record(mail, "pending", mail.attempts, claim_until)

    def mark_sent(self, mail_id: str, provider_id: str, now: datetime) -> bool:
        record = self.records[mail_id]
        if record.status != "pending":
            return False
        record.status, record.provider_id, record.due = "sent", provider_id, None
        return True

    def reschedule(self, mail_id: str, due: datetime, error: str) -> None:
        record = self.records[mail_id]
        if record.status == "pending":
            record.due, record.last_error = due, error

    def mark_failed(self, mail_id: str, error: str, now: datetime) -> None:
        record = self.records[mail_id]
        if record.status == "pending":
            record.status, record.last_error, record.due = "failed", error, None

    def due(self, now: datetime, limit: int) -> list[OutboxMail]:
        due = [r for r in self.records.values()
               if r.status == "pending" and r.due is not None and r.due <= now]
        due.sort(key=lambda r: r.due or now)
        return [replace(r.mail, attempts=r.attempts, due_sk=self._token(r)) for r in due[:limit]]

    def claim(self, mail: OutboxMail, until: datetime) -> OutboxMail | None:
        record = self.records[mail.mail_id]
        if self.lose_claims or record.status != "pending" or self._token(record) != mail.due_sk:
            return None
        record.due = until
        record.attempts += 1
        return replace(record.mail, attempts=record.attempts, due_sk=self._token(record))


class ScriptedMailer:
    """Fails as scripted (one entry per attempt, None = success), then succeeds."""

    def __init__(self, *script: MailError | None, always: MailError | None = None) -> None:
        self.script = list(script)
        self.always = always
        self.attempts: list[tuple[MailMessage, datetime]] = []
        self.sent: list[MailMessage] = []

    def send(self, message: MailMessage, *, sent_at: datetime) -> str:
        self.attempts.append((message, sent_at))
        error = self.script.pop(0) if self.script else self.always
        if error is not None:
            raise error
        self.sent.append(message)
        return f"provider-{len(self.sent)}"


class Failures:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def __call__(self, ref_id: str, kind: str) -> None:
        self.calls.append((ref_id, kind))


def message(to: str = "eva@example.org") -> MailMessage:
    return MailMessage(to=[to], subject="Ihr Zugang", text="Hallo", html="<p>Hallo</p>")


def mail(mail_id: str = "reg1-unlock", **kw: Any) -> OutboxMail:
    kw.setdefault("ref_kind", "registration")
    kw.setdefault("ref_id", "reg1")
    return OutboxMail(mail_id, kw.pop("kind", "tour_unlock"), message(), **kw)


class Harness:
    def __init__(self, mailer: ScriptedMailer, *, max_attempts: int = 8,
                 claim_seconds: int = 120) -> None:
        self.clock = FixedClock(START)
        self.store = MemoryOutboxStore()
        self.mailer = mailer
        self.failures = Failures()
        self.outbox = Outbox(self.store, mailer, self.clock, max_attempts=max_attempts,
                             claim_seconds=claim_seconds)
        self.outbox.on_permanent_failure("registration", self.failures)

    def request(self, *mails: OutboxMail) -> Any:
        """What a request does: stage in its transaction, commit, send at once."""
        tx = object()
        staged = self.outbox.stage(tx, mails)
        return self.outbox.deliver(staged)

    def record(self, mail_id: str = "reg1-unlock") -> Record:
        return self.store.records[mail_id]


def test_store_fake_satisfies_the_protocol() -> None:
    store: OutboxStore = MemoryOutboxStore()
    assert store.due(START, 10) == []


@pytest.mark.parametrize(("attempts", "minutes"),
                         [(0, 1), (1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (6, 32), (7, 60),
                          (8, 60), (30, 60)])
def test_backoff_doubles_from_one_minute_and_is_capped_at_an_hour(attempts, minutes) -> None:
    assert backoff(attempts) == timedelta(minutes=minutes)


def test_stage_counts_the_request_attempt_and_gives_the_request_a_claim_window() -> None:
    h = Harness(ScriptedMailer(), claim_seconds=120)
    tx = object()
    [staged] = h.outbox.stage(tx, [mail(attempts=5)])
    assert staged.attempts == 1
    assert h.store.staged_with == [(tx, START, START + timedelta(seconds=120))]
    assert h.mailer.attempts == []  # staging never sends


def test_a_successful_first_attempt_is_sent_once_and_never_by_the_job() -> None:
    h = Harness(ScriptedMailer())
    report = h.request(mail())
    assert (report.sent, report.rescheduled, report.failed) == (1, 0, 0)
    assert h.record().status == "sent"
    assert h.record().provider_id == "provider-1"
    for minutes in (1, 2, 60, 24 * 60):
        h.clock.advance(minutes=minutes)
        assert h.outbox.retry_due().as_dict() == {"due": 0, "sent": 0, "rescheduled": 0,
                                                  "failed": 0, "skipped": 0}
    assert len(h.mailer.sent) == 1


def test_the_job_leaves_a_fresh_mail_to_its_request_until_the_claim_window_ends() -> None:
    h = Harness(ScriptedMailer(), claim_seconds=120)
    h.outbox.stage(object(), [mail()])  # committed, the request's send still under way
    h.clock.advance(seconds=119)
    assert h.outbox.retry_due().due == 0
    h.clock.advance(seconds=1)  # the request died: the job takes over
    report = h.outbox.retry_due()
    assert (report.due, report.sent) == (1, 1)
    assert h.record().attempts == 2


def test_first_attempt_failure_reschedules_after_a_minute_and_the_job_sends_once() -> None:
    h = Harness(ScriptedMailer(THROTTLED))
    report = h.request(mail())
    assert (report.sent, report.rescheduled, report.failed) == (0, 1, 0)
    assert report.errors == ["TooManyRequestsException"]
    record = h.record()
    assert record.status == "pending"
    assert record.due == START + timedelta(minutes=1)
    assert record.last_error == "TooManyRequestsException"

    h.clock.advance(seconds=59)
    assert h.outbox.retry_due().due == 0
    h.clock.advance(seconds=1)
    report = h.outbox.retry_due()
    assert (report.due, report.sent) == (1, 1)
    assert h.mailer.attempts[-1][1] == START + timedelta(minutes=1)  # sent_at: app clock

    for _ in range(5):
        h.clock.advance(hours=1)
        assert h.outbox.retry_due().due == 0
    assert len(h.mailer.sent) == 1
    assert len(h.mailer.attempts) == 2
    assert h.failures.calls == []


def test_each_retry_waits_twice_as_long_up_to_an_hour() -> None:
    h = Harness(ScriptedMailer(always=THROTTLED), max_attempts=12)
    h.request(mail())
    waits = [h.record().due - h.clock.now()]
    while h.record().status == "pending":
        h.clock.set(h.record().due)
        h.outbox.retry_due()
        if h.record().status == "pending":
            waits.append(h.record().due - h.clock.now())
    assert [w / timedelta(minutes=1) for w in waits] == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60]
    assert len(h.mailer.attempts) == 12


def test_permanent_error_fails_at_once_and_calls_the_failure_handler_once() -> None:
    h = Harness(ScriptedMailer(REJECTED))
    report = h.request(mail())
    assert (report.sent, report.rescheduled, report.failed) == (0, 0, 1)
    assert h.record().status == "failed"
    assert h.record().last_error == "MessageRejected"
    assert h.failures.calls == [("reg1", "tour_unlock")]

    for _ in range(3):
        h.clock.advance(hours=2)
        assert h.outbox.retry_due().due == 0
    assert len(h.mailer.attempts) == 1
    assert h.failures.calls == [("reg1", "tour_unlock")]


def test_a_permanent_error_on_a_retry_also_gives_up() -> None:
    h = Harness(ScriptedMailer(THROTTLED, REJECTED))
    h.request(mail())
    h.clock.advance(minutes=1)
    report = h.outbox.retry_due()
    assert (report.due, report.failed) == (1, 1)
    assert h.failures.calls == [("reg1", "tour_unlock")]


def test_transient_errors_are_given_up_after_max_attempts() -> None:
    h = Harness(ScriptedMailer(always=THROTTLED), max_attempts=3)
    h.request(mail())  # attempt 1
    h.clock.advance(minutes=1)
    assert h.outbox.retry_due().rescheduled == 1  # attempt 2
    assert h.failures.calls == []
    h.clock.advance(minutes=2)
    report = h.outbox.retry_due()  # attempt 3 = max
    assert (report.rescheduled, report.failed) == (0, 1)
    assert h.record().status == "failed"
    assert h.failures.calls == [("reg1", "tour_unlock")]
    h.clock.advance(hours=5)
    assert h.outbox.retry_due().due == 0
    assert len(h.mailer.attempts) == 3


def test_max_attempts_of_one_gives_up_after_the_request_attempt() -> None:
    h = Harness(ScriptedMailer(THROTTLED), max_attempts=1)
    report = h.request(mail())
    assert report.failed == 1
    assert h.failures.calls == [("reg1", "tour_unlock")]


def test_failure_handler_only_for_its_ref_kind_and_with_a_ref_id() -> None:
    h = Harness(ScriptedMailer(REJECTED, REJECTED, REJECTED))
    h.request(mail("a", ref_kind="review", ref_id="rev1"),
              mail("b", ref_kind=None, ref_id=None),
              mail("c", ref_kind="registration", ref_id=None))
    assert [r.status for r in h.store.records.values()] == ["failed"] * 3
    assert h.failures.calls == []


def test_a_lost_claim_sends_nothing() -> None:
    h = Harness(ScriptedMailer(THROTTLED))
    h.request(mail())
    h.clock.advance(minutes=1)
    h.store.lose_claims = True
    report = h.outbox.retry_due()
    assert (report.due, report.skipped, report.sent) == (1, 1, 0)
    assert len(h.mailer.attempts) == 1
    assert h.record().status == "pending"


def test_a_stale_due_entry_claimed_by_another_run_is_skipped() -> None:
    h = Harness(ScriptedMailer(THROTTLED))
    h.request(mail())
    h.clock.advance(minutes=1)
    [stale] = h.store.due(h.clock.now(), 10)
    assert h.outbox.retry_due().sent == 1  # the other run
    assert h.store.claim(stale, h.clock.now()) is None
    assert len(h.mailer.sent) == 1


def test_send_is_counted_even_if_the_record_was_finished_elsewhere() -> None:
    h = Harness(ScriptedMailer())
    [staged] = h.outbox.stage(object(), [mail()])
    h.store.records["reg1-unlock"].status = "sent"  # e.g. a job run that took over
    report = h.outbox.deliver([staged])
    assert report.sent == 1
    assert h.store.records["reg1-unlock"].provider_id is None  # not overwritten


def test_one_failing_mail_does_not_stop_the_others() -> None:
    h = Harness(ScriptedMailer(REJECTED, None, THROTTLED))
    report = h.request(mail("a"), mail("b"), mail("c"))
    assert (report.sent, report.rescheduled, report.failed) == (1, 1, 1)
    assert [r.status for r in h.store.records.values()] == ["failed", "sent", "pending"]
