"""``review-sweep``: re-verification by sample and by flag (mail with a confirm link;
confirmed → a public "re-confirmed" marker; unanswered → in_review and the agency is
told), idempotent on the same day, and finding its work with index Queries only (counted
with a botocore hook)."""

from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any

import pytest

from chalicelib.config import Settings
from tests.conftest import DEMO, QA, START
from tests.functional.reviews.support import DynamoCalls, last_link, public, qa_review, submit_and_confirm
from tests.support import dump


@pytest.fixture
def share() -> float:
    # Sample every eligible review here; tests parametrize ``share`` for other shares.
    return 1.0


@pytest.fixture
def settings(share: float) -> Settings:
    return Settings.from_env().model_copy(update={"review_reverify_share_per_year": share})


def sweep(http: Any) -> dict[str, Any]:
    reply = http.post("/dev/jobs/review-sweep")
    assert reply.status == 200, reply.body
    return reply.json


def published(http: Any, outbox: Any, email: str, text: str) -> dict[str, Any]:
    review = submit_and_confirm(http, outbox, email=email, text=text)
    assert review["status"] == "published", review["findings"]
    return review


def flag(http: Any, review: dict[str, Any], reason: str = "Bitte erneut fragen.") -> Any:
    reply = http.post(f"/qa/reviews/{review['review_id']}/flag", {"reason": reason}, token=QA)
    assert reply.status == 200, reply.body
    return reply.json


TEXT_A = "Sehr gute Erreichbarkeit, der Verkauf lief reibungslos und schnell ab."
TEXT_B = "Die Mietersuche dauerte lange, am Ende passte aber alles zusammen."


def test_the_sample_asks_on_its_planned_day_once_and_then_in_a_later_period(
        http, outbox, clock, container):
    review = published(http, outbox, "eva@example.org", TEXT_A)
    plan = qa_review(http, review["review_id"])["reverification_plan"]
    day = date.fromisoformat(plan["next_sample_on"])  # share 1.0: every period draws it
    assert START.date() + timedelta(days=14) <= day < START.date() + timedelta(days=365)
    clock.set(START + (day - START.date()) - timedelta(days=1))
    assert sweep(http)["reverification_requested"] == 0  # not yet
    clock.set(START + (day - START.date()))
    mails_before = len(outbox())

    summary = sweep(http)
    assert summary["reverification_requested"] == 1, summary
    [mail] = outbox()[mails_before:]
    assert mail["to"] == ["eva@example.org"]
    assert "Bewertung bestätigen" in mail["html"]
    assert sweep(http)["reverification_requested"] == 0  # never twice
    link = last_link(outbox, "eva@example.org", "review-reverify")
    pending = qa_review(http, review["review_id"])["reverification"]
    assert pending["deadline"] == f"{(day + timedelta(days=14)).isoformat()}T09:00:00.000Z"
    # Still published and shown while the question is open.
    assert public(http)["summary"]["count"] == 1

    page = http.get(link)
    assert page.status == 200
    assert "<button type=\"submit\">Bewertung bestätigen</button>" in page.text
    done = http.form_post(link)
    assert done.status == 200 and "bestätigt" in done.text
    assert http.form_post(link).status == 410
    [shown] = public(http)["reviews"]
    assert shown["reconfirmed_on"] == day.isoformat()
    assert shown["reconfirmed_notice"].startswith("Erneut bestätigt am ")
    after = qa_review(http, review["review_id"])
    assert after["reverification"] is None
    # The next sampled day lies in the next 365-day period since publication.
    following = date.fromisoformat(after["reverification_plan"]["next_sample_on"])
    assert following >= START.date() + timedelta(days=365 + 14)
    clock.set(START + (following - START.date()) - timedelta(days=1))
    assert sweep(http)["reverification_requested"] == 0
    clock.set(START + (following - START.date()))
    assert sweep(http)["reverification_requested"] == 1


def test_a_flag_by_qa_is_asked_at_the_next_sweep_once_and_shows_its_reason(http, outbox):
    review = published(http, outbox, "eva@example.org", TEXT_A)
    assert http.post(f"/qa/reviews/{review['review_id']}/flag", {"reason": ""},
                     token=QA).status == 422
    shown = flag(http, review, "Hinweis per Telefon: angeblich gekauft.")
    [entry] = shown["reverification_plan"]["flags"]
    assert entry["reason"] == "Hinweis per Telefon: angeblich gekauft."
    assert entry["source"] == "qa" and entry["pending"] is True
    assert shown["reverification_plan"]["flag_pending"]["ask_by"] == "2026-12-23"
    again = http.post(f"/qa/reviews/{review['review_id']}/flag", {"reason": "x"}, token=QA)
    assert again.status == 409 and again.json["error"]["code"] == "already_flagged"
    assert http.post("/qa/reviews/nope/flag", {"reason": "x"}, token=QA).status == 404
    assert http.post(f"/qa/reviews/{review['review_id']}/flag", {"reason": "x"},
                     token=DEMO).status == 401
    assert sweep(http)["reverification_requested"] == 1
    assert sweep(http)["reverification_requested"] == 0
    after = qa_review(http, review["review_id"])
    assert after["reverification"] is not None
    assert after["reverification_plan"]["flag_pending"] is None
    assert after["reverification_plan"]["flags"][0]["pending"] is False


def test_unanswered_reverification_sends_the_review_back_to_qa(http, outbox, clock):
    review = published(http, outbox, "eva@example.org", TEXT_A)
    kept = published(http, outbox, "anna@example.org", TEXT_B)
    clock.advance(days=15)
    flag(http, review)
    flag(http, kept)
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
    # The agency is told, naming the review and why.
    [hidden] = [m for m in outbox() if "kontakt@demo-makler.de" in m["to"]
                and m["subject"].startswith("Bewertung nicht mehr sichtbar")]
    assert "Sehr gute Beratung" in hidden["subject"]
    assert "nicht beantwortet" in hidden["text"] and "22. Dezember 2026" in hidden["text"]

    # QA publishes it again: the agency hears "wieder sichtbar", not "Neue Bewertung", and
    # a review kept despite a finding is asked once more (a flag).
    before = len(outbox())
    reply = http.post(f"/qa/reviews/{review['review_id']}/decision",
                      {"decision": "publish", "reason": "Telefonisch bestätigt."}, token=QA)
    assert reply.status == 200
    agency_mails = [m for m in outbox()[before:] if "kontakt@demo-makler.de" in m["to"]]
    assert [m["subject"] for m in agency_mails] == [
        "Bewertung wieder sichtbar: „Sehr gute Beratung“"]
    assert "nicht um eine neue Bewertung" in agency_mails[0]["text"]
    flags = reply.json["reverification_plan"]["flags"]
    assert flags[-1]["source"] == "kept_with_findings" and flags[-1]["pending"] is True
    assert sweep(http)["reverification_requested"] == 1


def test_two_runs_on_the_same_day_change_nothing_more_and_only_query(
        http, outbox, clock, container):
    for number, text in enumerate((TEXT_A, TEXT_B)):
        flag(http, published(http, outbox, f"p{number}@example.org", text))
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
                      "removed_erased": 0, "errors": 0}
    assert len(outbox()) == mails
    assert dump(container.settings.region) == state
    # The second run only asked the indexes: one Query per due and re-verification shard.
    assert set(calls.calls) == {"Query"}, calls.calls
    assert calls.count("Query") == 4 + 4
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
        flag(http, published(http, outbox, f"p{number}@example.org", text))
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

    flag(http, published(http, outbox, "eva@example.org", TEXT_A))
    with Client(application.app, stage_name="local") as client:
        event = client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={},
            resources=["arn:aws:events:eu-central-1:000000000000:rule/review_sweep"])
        result = client.lambda_.invoke("review_sweep", event).payload
    assert result["job"] == "review-sweep"
    assert result["reverification_requested"] == 1
    assert sweep(http)["reverification_requested"] == 0


def test_the_default_share_is_five_percent_a_year_and_the_v1_setting_is_retired():
    assert Settings.from_env().review_reverify_share_per_year == 0.05
    old = Settings.from_env({**os.environ, "FREIGABE_REVIEW_REVERIFY_SHARE": "1.0"})
    assert old.review_reverify_share_per_year == 0.05
    assert not hasattr(old, "review_reverify_share")


@pytest.mark.parametrize("share", [0.0])
def test_the_public_notice_states_the_method_and_the_share(http, share):
    notice = public(http)["verification_notice"]
    assert "Stichprobe von 0 % der Bewertenden je Jahr" in notice
    assert "bei Auffälligkeiten" in notice


@pytest.mark.parametrize("share", [0.0])  # no random sample at all
def test_borderline_reviews_are_flagged_and_asked(http, outbox, clock, container, share):
    original = published(http, outbox, "orig@example.org", (
        "Wir haben unser Haus in Potsdam mit diesem Makler verkauft. Die Bewertung war "
        "realistisch, die Besichtigungen gut vorbereitet und die Kaufinteressenten "
        "sorgfältig ausgewählt. Der Notartermin wurde zügig organisiert."))
    similar = published(http, outbox, "similar@example.org", (
        "Wir haben unser Haus in Potsdam mit diesem Makler verkauft. Die Bewertung war "
        "realistisch, die Besichtigungen gut vorbereitet und die Kaufinteressenten "
        "sorgfältig ausgewählt. Leider dauerte die Übergabe länger."))
    assert similar["borderline"] is True and original["borderline"] is False
    assert similar["reverification_plan"]["flags"][0]["source"] == "borderline"
    assert original["reverification_plan"]["next_sample_on"] is None  # share 0: no draw
    assert sweep(http)["reverification_requested"] == 1
    assert qa_review(http, similar["review_id"])["reverification"] is not None
    assert qa_review(http, original["review_id"])["reverification"] is None


def test_reported_reviews_keep_or_end_their_pending_reverification(http, outbox, clock):
    kept = published(http, outbox, "eva@example.org", TEXT_A)
    blocked = published(http, outbox, "anna@example.org", TEXT_B)
    clock.advance(days=15)
    flag(http, kept)
    flag(http, blocked)
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
