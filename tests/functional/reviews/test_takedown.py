"""POST /qa/reviews/{id}/takedown (contract v2): blocked from published or reported, a
statement of reasons (DSA Art. 17) to reviewer and agency, the record kept a year, then
erased by review-sweep."""

from __future__ import annotations

from typing import Any

from tests.conftest import DEMO, QA
from tests.functional.reviews.support import public, qa_review, submit_and_confirm

TEXT = "Die Übergabe lief pünktlich, das Protokoll war vollständig und gut erklärt."
BODY = {"category": "not_verified", "reason": "Die Person war nachweislich nie Kundin."}


def takedown(http: Any, review_id: str, body: dict[str, Any] | None = None,
             token: str = QA) -> Any:
    return http.post(f"/qa/reviews/{review_id}/takedown", BODY if body is None else body,
                     token=token)


def test_a_takedown_blocks_and_tells_both_sides_why(http, outbox):
    review = submit_and_confirm(http, outbox, email="eva@example.org", text=TEXT)
    rid = review["review_id"]
    assert takedown(http, rid, {"category": "nonsense", "reason": "x"}).status == 422
    assert takedown(http, rid, token=DEMO).status == 401
    assert takedown(http, "unknown").status == 404
    before = len(outbox())
    reply = takedown(http, rid)
    assert reply.status == 200, reply.body
    assert reply.json["status"] == "blocked"
    assert reply.json["decisions"][-1]["decision"] == "takedown"
    assert public(http)["reviews"] == [] and public(http)["summary"]["count"] == 0
    again = takedown(http, rid)
    assert again.status == 409 and again.json["error"]["code"] == "invalid_status"
    sent = outbox()[before:]
    assert sorted(m["to"][0] for m in sent) == ["eva@example.org", "kontakt@demo-makler.de"]
    for mail in sent:
        for part in ("Art. 17 Digital Services Act", "Sperrung der Bewertung",
                     "Die Person war nachweislich nie Kundin.", "Echtheit nicht bestätigt",
                     "Ein Mitglied unseres Qualitätsteams", "widersprechen",
                     "bewertungen@freigabe.example", "Streitbeilegungsstelle"):
            assert part in mail["text"], (part, mail["text"])
            assert part in mail["html"]
    reviewer = next(m for m in sent if m["to"] == ["eva@example.org"])
    assert reviewer["subject"] == "Ihre Bewertung von Demo Makler GmbH wurde gesperrt"


def test_only_public_reviews_can_be_taken_down(http, outbox):
    held = submit_and_confirm(http, outbox, email="max@example.org",
                              text="Der Makler ist ein B3trüg3r, Termine hat er nie eingehalten.")
    assert held["status"] == "in_review"
    reply = takedown(http, held["review_id"])
    assert reply.status == 409


def test_a_takedown_of_a_reported_review_ends_the_report(http, outbox):
    review = submit_and_confirm(http, outbox, email="eva@example.org", text=TEXT)
    report = http.post(f"/agency/reviews/{review['review_id']}/reports",
                       {"category": "not_a_customer", "reason": "Diese Person kennen wir nicht."},
                       token=DEMO).json
    http.post(f"/qa/reports/{report['report_id']}/request-statement", {}, token=QA)
    before = len(outbox())
    assert takedown(http, review["review_id"]).status == 200
    reports = http.get("/qa/reports?status=resolved", token=QA).json["reports"]
    [done] = [r for r in reports if r["report_id"] == report["report_id"]]
    assert done["outcome"] == "block" and done["resolved_by"]["kind"] == "qa"
    kinds = [m["subject"] for m in outbox()[before:]]
    assert len(kinds) == 2 and not any(k.startswith("Ergebnis") for k in kinds)
    # The statement link of the ended case is dead.
    assert http.get("/qa/reports?status=open", token=QA).json["reports"] == []


def test_the_record_is_kept_a_year_then_erased(http, outbox, clock):
    review = submit_and_confirm(http, outbox, email="eva@example.org", text=TEXT)
    assert takedown(http, review["review_id"]).status == 200
    clock.advance(days=364)
    assert http.post("/dev/jobs/review-sweep").json["removed_erased"] == 0
    kept = qa_review(http, review["review_id"])
    assert kept["status"] == "blocked" and kept["text"] == TEXT
    clock.advance(days=2)
    assert http.post("/dev/jobs/review-sweep").json["removed_erased"] == 1
    assert http.get(f"/qa/reviews/{review['review_id']}", token=QA).status == 404
    assert http.post("/dev/jobs/review-sweep").json["removed_erased"] == 0
