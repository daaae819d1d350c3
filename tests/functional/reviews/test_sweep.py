"""``review-sweep``: re-verification by sample (mail with a confirm link; confirmed → a
public "re-confirmed" marker; unanswered → in_review), idempotent on the same day, and
finding its work with index Queries only (counted with a botocore hook)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from chalicelib.config import Settings
from chalicelib.reviews.schedule import sample_slots
from tests.conftest import DEMO, QA, START
from tests.functional.reviews.support import DynamoCalls, last_link, public, qa_review, submit_and_confirm
from tests.support import dump


@pytest.fixture
def share() -> float:
    # Sample every eligible review here; tests parametrize ``share`` for other shares.
    return 1.0


@pytest.fixture
def settings(share: float) -> Settings:
    return Settings.from_env().model_copy(update={"review_reverify_share": share})


def sweep(http: Any) -> dict[str, Any]:
    reply = http.post("/dev/jobs/review-sweep")
    assert reply.status == 200, reply.body
    return reply.json


def published(http: Any, outbox: Any, email: str, text: str) -> dict[str, Any]:
    review = submit_and_confirm(http, outbox, email=email, text=text)
    assert review["status"] == "published", review["findings"]
    return review


TEXT_A = "Sehr gute Erreichbarkeit, der Verkauf lief reibungslos und schnell ab."
TEXT_B = "Die Mietersuche dauerte lange, am Ende passte aber alles zusammen."


def test_reverification_confirmed_gets_a_public_marker_and_rests_180_days(
        http, outbox, clock, container):
    review = published(http, outbox, "eva@example.org", TEXT_A)
    clock.advance(days=13)
    assert sweep(http)["reverification_requested"] == 0  # too fresh: just confirmed
    clock.advance(days=2)
    mails_before = len(outbox())

    summary = sweep(http)
    assert summary["reverification_requested"] == 1, summary
    [mail] = outbox()[mails_before:]
    assert mail["to"] == ["eva@example.org"]
    assert "Bewertung bestätigen" in mail["html"]
    link = last_link(outbox, "eva@example.org", "review-reverify")
    pending = qa_review(http, review["review_id"])["reverification"]
    assert pending["deadline"] == "2026-12-22T09:00:00.000Z"  # 14 days after 8 Dec
    # Still published and shown while the question is open.
    assert public(http)["summary"]["count"] == 1

    page = http.get(link)
    assert page.status == 200
    assert "<button type=\"submit\">Bewertung bestätigen</button>" in page.text
    done = http.form_post(link)
    assert done.status == 200 and "bestätigt" in done.text
    assert http.form_post(link).status == 410
    [shown] = public(http)["reviews"]
    assert shown["reconfirmed_on"] == "2026-12-08"
    assert shown["reconfirmed_notice"] == "Erneut bestätigt am 8. Dezember 2026"
    assert qa_review(http, review["review_id"])["reverification"] is None

    # Not asked again within 180 days, asked again after.
    clock.advance(days=179)
    assert sweep(http)["reverification_requested"] == 0
    clock.advance(days=1)
    assert sweep(http)["reverification_requested"] == 1


def test_unanswered_reverification_sends_the_review_back_to_qa(http, outbox, clock):
    review = published(http, outbox, "eva@example.org", TEXT_A)
    kept = published(http, outbox, "anna@example.org", TEXT_B)
    clock.advance(days=15)
    assert sweep(http)["reverification_requested"] == 2
    http.form_post(last_link(outbox, "anna@example.org", "review-reverify"))
    link = last_link(outbox, "eva@example.org", "review-reverify")

    clock.advance(days=14, seconds=-1)
    assert sweep(http)["reverification_unanswered"] == 0
    clock.advance(seconds=2)
    summary = sweep(http)
    assert summary["reverification_unanswered"] == 1, summary
    back = qa_review(http, review["review_id"])
    assert back["status"] == "in_review"
    [finding] = back["findings"]
    assert finding["check"] == "reverification_unanswered"
    assert back["due_by"] == "2026-12-24"  # Tue 22 Dec + 2 Werktage
    assert http.get(link).status == 410
    assert [r["review_id"] for r in public(http)["reviews"]] == [kept["review_id"]]
    assert public(http)["summary"]["count"] == 1
    queue = http.get("/qa/reviews?status=in_review", token=QA).json["reviews"]
    assert [r["review_id"] for r in queue] == [review["review_id"]]

    # QA publishes it again after a phone call; it is not sampled for another 180 days.
    reply = http.post(f"/qa/reviews/{review['review_id']}/decision",
                      {"decision": "publish", "reason": "Telefonisch bestätigt."}, token=QA)
    assert reply.status == 200
    clock.advance(days=30)
    assert sweep(http)["reverification_requested"] == 0


def test_two_runs_on_the_same_day_change_nothing_more_and_only_query(
        http, outbox, clock, container):
    for number, text in enumerate((TEXT_A, TEXT_B)):
        published(http, outbox, f"p{number}@example.org", text)
    for number in range(2):  # two unconfirmed ones to purge
        http.post("/agencies/demo/reviews", {
            "rating": 3, "title": "Unbestätigt", "reviewer_name": "Anonym",
            "email": f"u{number}@example.org",
            "text": f"Nie bestätigte Bewertung Nummer {number}, wird gelöscht."})
    clock.advance(days=31)
    calls = DynamoCalls(container.dynamodb)

    first = sweep(http)
    assert first["purged"] == 2 and first["reverification_requested"] == 2, first
    assert calls.count("Scan") == 0
    assert calls.count("TransactWriteItems") == 4
    mails = len(outbox())
    state = dump(container.settings.region)

    calls.reset()
    clock.advance(hours=1)
    second = sweep(http)
    assert second == {"job": "review-sweep", "purged": 0, "reverification_requested": 0,
                      "reverification_unanswered": 0, "reports_blocked": 0, "skipped": 0,
                      "errors": 0}
    assert len(outbox()) == mails
    assert dump(container.settings.region) == state
    # The second run only asked the indexes: one Query per due shard and sample slot.
    assert set(calls.calls) == {"Query"}, calls.calls
    assert calls.count("Query") == 4 + len(sample_slots(date(2026, 12, 24), 1.0))
    assert calls.items_read == 0  # sparse indexes: nothing left to even look at


class LambdaContext:
    """A Lambda context whose remaining time runs out after ``calls`` questions."""

    def __init__(self, calls: int) -> None:
        self.left = calls

    def get_remaining_time_in_millis(self) -> int:
        self.left -= 1
        return 900_000 if self.left >= 0 else 1_000


def test_a_run_out_of_time_stops_between_items_and_the_next_run_does_the_rest(
        http, outbox, clock, container, emf):
    import app as application

    for number, text in enumerate((TEXT_A, TEXT_B)):
        published(http, outbox, f"p{number}@example.org", text)
    for number in range(3):
        http.post("/agencies/demo/reviews", {
            "rating": 3, "title": "Unbestätigt", "reviewer_name": "Anonym",
            "email": f"u{number}@example.org",
            "text": f"Nie bestätigte Bewertung Nummer {number}, wird gelöscht."})
    clock.advance(days=31)
    event = {"version": "0", "id": "x", "detail-type": "Scheduled Event",
             "source": "aws.events", "account": "000000000000",
             "time": "2026-12-24T01:05:00Z", "region": "eu-central-1",
             "resources": ["rule/review_sweep"], "detail": {}}
    # One question for the margin, then time for two items only.
    first = application.review_sweep(event, LambdaContext(calls=3))
    assert first["stopped_for_time"] is True
    assert first["purged"] == 2 and first["reverification_requested"] == 0, first
    assert emf.total("JobSucceeded", job="review-sweep") == 0  # not done yet
    second = application.review_sweep(event, LambdaContext(calls=1000))
    assert "stopped_for_time" not in second
    assert second["purged"] == 1 and second["reverification_requested"] == 2, second
    assert emf.total("JobSucceeded", job="review-sweep") == 1
    assert sweep(http)["purged"] == 0


def test_eventbridge_invokes_the_same_handler(http, outbox, clock):
    from chalice.test import Client

    import app as application

    published(http, outbox, "eva@example.org", TEXT_A)
    clock.advance(days=15)
    with Client(application.app, stage_name="local") as client:
        event = client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={},
            resources=["arn:aws:events:eu-central-1:000000000000:rule/review_sweep"])
        result = client.lambda_.invoke("review_sweep", event).payload
    assert result["job"] == "review-sweep"
    assert result["reverification_requested"] == 1
    assert sweep(http)["reverification_requested"] == 0


@pytest.mark.parametrize("share", [0.02])
def test_the_default_share_samples_each_slot_on_its_day(http, outbox, clock, container, share):
    assert Settings.from_env().review_reverify_share == share  # the default
    review = published(http, outbox, "eva@example.org", TEXT_A)
    slot = f"{container.reviews.repo.get_review(review['review_id'])['sample_slot']:02d}"
    first = START.date() + timedelta(days=14)
    day = next(first + timedelta(days=n) for n in range(60)
               if slot in sample_slots(first + timedelta(days=n), 0.02))
    assert len(sample_slots(day, 0.02)) == 3  # 2% of 100 slots, plus the borderline slot
    if day > first:
        clock.set(clock.now() + (day - START.date() - timedelta(days=1)))
        assert sweep(http)["reverification_requested"] == 0
    clock.set(START + (day - START.date()))
    assert sweep(http)["reverification_requested"] == 1
    assert sweep(http)["reverification_requested"] == 0


@pytest.mark.parametrize("share", [0.0])  # no random sample at all
def test_borderline_reviews_are_always_sampled(http, outbox, clock, container, share):
    original = published(http, outbox, "orig@example.org", (
        "Wir haben unser Haus in Potsdam mit diesem Makler verkauft. Die Bewertung war "
        "realistisch, die Besichtigungen gut vorbereitet und die Kaufinteressenten "
        "sorgfältig ausgewählt. Der Notartermin wurde zügig organisiert."))
    similar = published(http, outbox, "similar@example.org", (
        "Wir haben unser Haus in Potsdam mit diesem Makler verkauft. Die Bewertung war "
        "realistisch, die Besichtigungen gut vorbereitet und die Kaufinteressenten "
        "sorgfältig ausgewählt. Leider dauerte die Übergabe länger."))
    assert similar["borderline"] is True and original["borderline"] is False
    clock.advance(days=15)
    assert sweep(http)["reverification_requested"] == 1
    assert qa_review(http, similar["review_id"])["reverification"] is not None
    assert qa_review(http, original["review_id"])["reverification"] is None


def test_reported_reviews_keep_or_end_their_pending_reverification(http, outbox, clock):
    kept = published(http, outbox, "eva@example.org", TEXT_A)
    blocked = published(http, outbox, "anna@example.org", TEXT_B)
    clock.advance(days=15)
    assert sweep(http)["reverification_requested"] == 2
    reports = {}
    for review in (kept, blocked):
        reply = http.post(f"/agency/reviews/{review['review_id']}/reports",
                          {"category": "other", "reason": "Bitte prüfen Sie diese Bewertung."},
                          token=DEMO)
        reports[review["review_id"]] = reply.json["report_id"]
    # While reported, the reviewer may still confirm: the marker appears once it is public.
    assert http.form_post(last_link(outbox, "eva@example.org", "review-reverify")).status == 200
    assert qa_review(http, kept["review_id"])["reconfirmed_on"] == "2026-12-08"
    # Blocking ends the pending question: its link is dead, the sweep has nothing to expire.
    pending = last_link(outbox, "anna@example.org", "review-reverify")
    reply = http.post(f"/qa/reports/{reports[blocked['review_id']]}/resolve",
                      {"outcome": "block", "reason": "Gesperrt."}, token=QA)
    assert reply.status == 200, reply.body
    assert qa_review(http, blocked["review_id"])["reverification"] is None
    assert http.get(pending).status == 410
    clock.advance(days=15)
    summary = sweep(http)
    assert summary["reverification_unanswered"] == 0 and summary["skipped"] == 0, summary
    assert qa_review(http, blocked["review_id"])["findings"] == []
