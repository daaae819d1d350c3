"""QA decisions and phone re-checks: every legal transition, every illegal one (409, even
with a bad body), the mails, the record of who decided when and why, and the race."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import DEMO, QA
from tests.functional.reviews.support import public, qa_review, submit, submit_and_confirm
from tests.support import mails_to, run_concurrently, thread_safe_gateway

INSULT = "Der Makler ist ein Betrüger, hat uns aber immerhin pünktlich beraten."


def flagged(http: Any, outbox: Any, email: str = "eva@example.org", **kw: Any) -> dict[str, Any]:
    review = submit_and_confirm(http, outbox, email=email, text=kw.pop("text", INSULT), **kw)
    assert review["status"] == "in_review", review
    return review


def decide(http: Any, review_id: str, decision: str, reason: str = "Geprüft.", **extra: Any
           ) -> Any:
    return http.post(f"/qa/reviews/{review_id}/decision",
                     {"decision": decision, "reason": reason, **extra}, token=QA)


def test_publish_decision_publishes_mails_both_and_is_recorded(http, outbox, clock):
    review = flagged(http, outbox)
    assert public(http)["reviews"] == []
    mails_before = len(outbox())
    clock.advance(hours=20)

    reply = decide(http, review["review_id"], "publish", "Zugespitzte, aber zulässige Kritik.")
    assert reply.status == 200, reply.body
    body = reply.json
    assert body["status"] == "published"
    [record] = body["decisions"]
    assert record["decision"] == "publish"
    assert record["reason"] == "Zugespitzte, aber zulässige Kritik."
    assert record["at"] == "2026-11-24T05:00:00.000Z"
    # The QA token of v1 decided: a QA actor (QA members are named, chalicelib/auth/actor.py).
    assert record["by"]["kind"] == "qa" and record["by"]["id"]
    # ... and it stays visible to QA.
    assert qa_review(http, review["review_id"])["decisions"] == [record]
    assert body["findings"] == review["findings"]  # the findings are kept for the record

    [shown] = public(http)["reviews"]
    assert shown["review_id"] == review["review_id"]
    assert shown["published_at"] == "2026-11-24T05:00:00.000Z"
    new = outbox()[mails_before:]
    assert len(new) == 2
    assert [m["to"] for m in new if "veröffentlicht" in m["subject"]] == [["eva@example.org"]]
    assert mails_mention(new, "kontakt@demo-makler.de", "Neue Bewertung")

    # Deciding again is a conflict, whatever the decision and even with a bad body.
    for body_ in ({"decision": "reject", "reason": "Doch nicht."}, {"decision": "publish"},
                  {"decision": "vielleicht"}, {}):
        again = http.post(f"/qa/reviews/{review['review_id']}/decision", body_, token=QA)
        assert again.status == 409, (body_, again.body)
        assert again.json["error"]["code"] == "not_in_review"
    assert len(outbox()) == mails_before + 2


def mails_mention(messages: list[dict[str, Any]], to: str, subject_part: str) -> bool:
    return any(subject_part in m["subject"] for m in mails_to(messages, to))


def test_reject_decision_mails_the_reason_category(http, outbox):
    review = flagged(http, outbox)
    mails_before = len(outbox())
    reply = decide(http, review["review_id"], "reject", "Formalbeleidigung laut Lexikon.")
    assert reply.status == 200, reply.body
    assert reply.json["status"] == "rejected"
    assert reply.json["decisions"][0]["category"] == "abusive_language"
    [mail] = outbox()[mails_before:]
    assert mail["to"] == ["eva@example.org"]
    for part in (mail["text"], mail["html"]):
        assert "Schmähkritik oder Formalbeleidigung" in part
        # The internal reason stays with QA; the reviewer gets the category.
        assert "laut Lexikon" not in part
    assert public(http)["reviews"] == []
    # Rejected is final.
    assert decide(http, review["review_id"], "publish").status == 409

    # QA may name the category explicitly.
    other = flagged(http, outbox, email="zwei@example.org",
                    text="Ein Betrüger, aber das Exposé war schön gestaltet und informativ.")
    reply = decide(http, other["review_id"], "reject", "Kein Kundenkontakt belegbar.",
                   category="not_verified")
    assert reply.json["rejection_category"] == "not_verified"
    assert "Echtheit nicht bestätigt" in outbox()[-1]["text"]


def test_decisions_on_reviews_that_are_not_in_review_are_409(http, outbox):
    awaiting = submit(http, email="wartet@example.org").json["review_id"]
    published = submit_and_confirm(http, outbox, email="ok@example.org",
                                   text="Alles bestens, sehr freundlich und kompetent beraten.")
    reported = submit_and_confirm(http, outbox, email="gemeldet@example.org",
                                  text="Schnelle Vermittlung, faire Provision, gern wieder.")
    assert http.post(f"/agency/reviews/{reported['review_id']}/reports",
                     {"category": "other", "reason": "Bitte einmal prüfen."},
                     token=DEMO).status == 201
    rejected = flagged(http, outbox, email="abgelehnt@example.org")
    assert decide(http, rejected["review_id"], "reject").status == 200
    mails_before = len(outbox())
    for review_id in (awaiting, published["review_id"], reported["review_id"],
                      rejected["review_id"]):
        before = qa_review(http, review_id)
        for decision in ("publish", "reject"):
            reply = decide(http, review_id, decision)
            assert reply.status == 409, (before["status"], decision)
        # 409 wins over a malformed body.
        raw = http.request("POST", f"/qa/reviews/{review_id}/decision", body=b"{kaputt",
                           token=QA)
        assert raw.status == 409
        assert qa_review(http, review_id) == before
    assert len(outbox()) == mails_before
    for unknown in ("a" * 26, "nope"):
        assert decide(http, unknown, "publish").status == 404


def test_bad_decision_bodies_are_422_and_change_nothing(http, outbox):
    review = flagged(http, outbox)
    bad = [
        ({"decision": "publish"}, "reason"),
        ({"decision": "publish", "reason": ""}, "reason"),
        ({"decision": "publish", "reason": "   "}, "reason"),
        ({"decision": "publish", "reason": "x" * 2001}, "reason"),
        ({"decision": "approve", "reason": "ok"}, "decision"),
        ({"decision": None, "reason": "ok"}, "decision"),
        ({"decision": ["publish"], "reason": "ok"}, "decision"),
        ({"decision": "publish", "reason": 5}, "reason"),
        ({"decision": "reject", "reason": "ok", "category": "gefällt_nicht"}, "category"),
        ({"decision": "publish", "reason": "ok", "extra": 1}, "extra"),
    ]
    before = qa_review(http, review["review_id"])
    mails_before = len(outbox())
    for body, field in bad:
        reply = http.post(f"/qa/reviews/{review['review_id']}/decision", body, token=QA)
        assert reply.status == 422, (body, reply.body)
        assert field in reply.json["error"]["fields"], (body, reply.json)
    for raw, status in ((b"{kaputt", 400), (b"[]", 400), (b"", 400), (b"x" * 20000, 413)):
        reply = http.request("POST", f"/qa/reviews/{review['review_id']}/decision", body=raw,
                             token=QA)
        assert reply.status == status, (raw[:10], reply.body)
        assert set(reply.json) == {"error"}
    assert qa_review(http, review["review_id"]) == before
    assert len(outbox()) == mails_before
    # The longest reason is fine.
    assert decide(http, review["review_id"], "publish", "x" * 2000).status == 200


def test_phone_check_transitions(http, outbox, clock):
    published = submit_and_confirm(http, outbox, phone="+49 170 5550123",
                                   text="Sehr engagiert, die Wohnung war schnell vermietet.")
    path = f"/qa/reviews/{published['review_id']}/phone-check"

    # Confirmed: recorded, and shown publicly as re-confirmed on that date.
    clock.advance(days=3)
    reply = http.post(path, {"confirmed": True, "note": "Kundin erreicht."}, token=QA)
    assert reply.status == 200, reply.body
    assert reply.json["status"] == "published"
    [check] = reply.json["phone_checks"]
    assert check["confirmed"] is True and check["note"] == "Kundin erreicht."
    assert check["by"]["kind"] == "qa" and check["at"] == "2026-11-26T09:00:00.000Z"
    [shown] = public(http)["reviews"]
    assert shown["reconfirmed_on"] == "2026-11-26"

    # Not confirmed: published → in_review, out of the listing, due in 2 Werktage.
    reply = http.post(path, {"confirmed": False, "note": "Nummer vergeben."}, token=QA)
    assert reply.json["status"] == "in_review"
    assert reply.json["due_by"] == "2026-11-28"
    assert reply.json["findings"][-1]["check"] == "phone_check_failed"
    assert public(http)["reviews"] == []
    assert public(http)["summary"] == {"count": 0, "average": None}
    # in_review stays in_review (another finding), and QA can still decide.
    reply = http.post(path, {"confirmed": False}, token=QA)
    assert reply.json["status"] == "in_review"
    assert len(reply.json["phone_checks"]) == 3
    assert decide(http, published["review_id"], "reject").json["status"] == "rejected"
    # Rejected: no more phone checks.
    assert http.post(path, {"confirmed": True}, token=QA).status == 409


def test_phone_check_needs_a_phone_number_and_a_fitting_status(http, outbox):
    without = submit_and_confirm(http, outbox, email="ohne@example.org",
                                 text="Angenehme Zusammenarbeit, klare Absprachen, gern wieder.")
    reply = http.post(f"/qa/reviews/{without['review_id']}/phone-check", {"confirmed": True},
                      token=QA)
    assert reply.status == 409 and reply.json["error"]["code"] == "no_phone"
    awaiting = submit(http, email="wartet@example.org", phone="030 1234567").json["review_id"]
    assert http.post(f"/qa/reviews/{awaiting}/phone-check", {"confirmed": False},
                     token=QA).status == 409
    # Reported reviews: recorded only (the report decides).
    reported = submit_and_confirm(http, outbox, email="mit@example.org", phone="030 7654321",
                                  text="Pünktlich, freundlich und gut vorbereitet, danke.")
    http.post(f"/agency/reviews/{reported['review_id']}/reports",
              {"category": "not_a_customer", "reason": "Diese Person kennen wir nicht."},
              token=DEMO)
    reply = http.post(f"/qa/reviews/{reported['review_id']}/phone-check",
                      {"confirmed": False}, token=QA)
    assert reply.status == 200 and reply.json["status"] == "reported"
    # Bad bodies: 422 (after the state checks), never 500.
    for body, field in (({"confirmed": "yes"}, "confirmed"), ({}, "confirmed"),
                        ({"confirmed": 1}, "confirmed"),
                        ({"confirmed": True, "note": "n" * 2001}, "note")):
        bad = http.post(f"/qa/reviews/{reported['review_id']}/phone-check", body, token=QA)
        assert bad.status == 422 and field in bad.json["error"]["fields"], (body, bad.body)
    assert http.post("/qa/reviews/unknown/phone-check", {"confirmed": True},
                     token=QA).status == 404


def test_concurrent_decisions_have_one_winner(http, outbox):
    for round_no in range(3):
        review = flagged(http, outbox, email=f"race{round_no}@example.org",
                         text=f"Runde {round_no}: ein Betrüger, der aber schnell war.")
        mails_before = len(outbox())
        path = f"/qa/reviews/{review['review_id']}/decision"
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {QA}"}
        bodies = [{"decision": d, "reason": f"{d} {i}"} for i in range(3)
                  for d in ("publish", "reject")]
        with thread_safe_gateway() as gateway:
            results = run_concurrently([
                lambda b=b, p=path, h=headers: gateway.handle_request(
                    method="POST", path=p, headers=dict(h),
                    body=json.dumps(b).encode())["statusCode"]
                for b in bodies])
        assert sorted(results) == [200] + [409] * 5, results
        winner = bodies[results.index(200)]["decision"]
        final = qa_review(http, review["review_id"])
        assert final["status"] == ("published" if winner == "publish" else "rejected")
        assert len(final["decisions"]) == 1
        assert len(outbox()) == mails_before + (2 if winner == "publish" else 1)
