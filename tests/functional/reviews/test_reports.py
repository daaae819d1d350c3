"""Agency comments and reports ("Problem melden"): the statement and proof requests with
their answer forms and deadlines, QA's resolution (keep / block / delete) with mails to
both sides, and the sweep blocking a review whose deadline passed unanswered."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.conftest import DEMO, OTHER, QA
from tests.functional.reviews.support import (
    PUBLIC_IP,
    agency_list,
    public,
    qa_review,
    submit,
    submit_and_confirm,
)
from tests.support import dump, links_of, mails_to, run_concurrently, thread_safe_gateway

TEXT = "Der Makler hat nie zurückgerufen und die Besichtigung kurzfristig abgesagt."
REASON = "Wir hatten mit dieser Person nie Kontakt, in unserem CRM ist sie unbekannt."


def published_review(http: Any, outbox: Any, **kw: Any) -> dict[str, Any]:
    review = submit_and_confirm(http, outbox, rating=kw.pop("rating", 2), text=kw.pop("text", TEXT),
                                phone=kw.pop("phone", None), **kw)
    assert review["status"] == "published", review["findings"]
    return review


def report(http: Any, review_id: str, category: str = "not_a_customer", reason: str = REASON,
           token: str = DEMO) -> Any:
    return http.post(f"/agency/reviews/{review_id}/reports",
                     {"category": category, "reason": reason}, token=token)


def open_reports(http: Any, status: str = "open") -> list[dict[str, Any]]:
    reply = http.get(f"/qa/reports?status={status}", token=QA)
    assert reply.status == 200, reply.body
    return reply.json["reports"]


def agency_status(http: Any, review_id: str, token: str = DEMO) -> str | None:
    return next((r["status"] for r in agency_list(http, token) if r["review_id"] == review_id),
                None)


# -- comments --------------------------------------------------------------------------------

def test_agency_comment_is_public_editable_and_mailed_once(http, outbox, clock):
    review = published_review(http, outbox)
    path = f"/agency/reviews/{review['review_id']}/comment"
    mails_before = len(outbox())

    reply = http.put(path, {"text": "Das tut uns leid – wir melden uns bei Ihnen."}, token=DEMO)
    assert reply.status == 200, reply.body
    assert reply.json["comment"] == {"text": "Das tut uns leid – wir melden uns bei Ihnen.",
                                     "created_at": "2026-11-23T09:00:00.000Z",
                                     "updated_at": "2026-11-23T09:00:00.000Z"}
    [shown] = public(http)["reviews"]
    assert shown["comment"]["text"] == "Das tut uns leid – wir melden uns bei Ihnen."
    assert shown["comment"]["created_at"] == "2026-11-23T09:00:00.000Z"
    [mail] = outbox()[mails_before:]
    assert mail["to"] == ["eva@example.org"]
    assert "kommentiert" in mail["subject"] and "wir melden uns" in mail["text"]

    # Editing keeps the first date, shows the new text, and mails nobody.
    clock.advance(days=1)
    reply = http.put(path, {"text": "Nachtrag: Termin ist vereinbart."}, token=DEMO)
    assert reply.status == 200
    comment = public(http)["reviews"][0]["comment"]
    assert comment == {"text": "Nachtrag: Termin ist vereinbart.",
                       "created_at": "2026-11-23T09:00:00.000Z",
                       "updated_at": "2026-11-24T09:00:00.000Z"}
    assert len(outbox()) == mails_before + 1

    # Bad bodies: 422, nothing changed; the limits are 1–2000 characters.
    for body, field in (({"text": ""}, "text"), ({"text": "   "}, "text"),
                        ({"text": "x" * 2001}, "text"), ({"text": 5}, "text"), ({}, "text"),
                        ({"text": "ok", "extra": True}, "extra")):
        bad = http.put(path, body, token=DEMO)
        assert bad.status == 422 and field in bad.json["error"]["fields"], (body, bad.body)
    assert http.request("PUT", path, body=b"{x", token=DEMO).status == 400
    assert public(http)["reviews"][0]["comment"] == comment
    assert http.put(path, {"text": "x" * 2000}, token=DEMO).status == 200

    # Another agency: 404 as for an unknown id, whatever the body.
    for token, review_id in ((OTHER, review["review_id"]), (DEMO, "a" * 26)):
        for body in ({"text": "Übernommen"}, {"text": ""}):
            reply = http.put(f"/agency/reviews/{review_id}/comment", body, token=token)
            assert reply.status == 404, reply.body
        assert http.request("PUT", f"/agency/reviews/{review_id}/comment", body=b"{x",
                            token=token).status == 404
    assert public(http)["reviews"][0]["comment"]["text"] == "x" * 2000


def test_comments_only_on_public_reviews(http, outbox):
    awaiting = submit(http, email="wartet@example.org").json["review_id"]
    in_review = submit_and_confirm(http, outbox, email="pruef@example.org",
                                   text="Ein Betrüger, aber immerhin pünktlich und höflich.")
    for review_id in (awaiting, in_review["review_id"]):
        for body in ({"text": "Danke"}, {"text": ""}):
            reply = http.put(f"/agency/reviews/{review_id}/comment", body, token=DEMO)
            assert reply.status == 409, reply.body  # 409 wins over 422


# -- reports ---------------------------------------------------------------------------------

def test_report_is_open_once_and_the_review_stays_public(http, outbox):
    review = published_review(http, outbox)
    reply = report(http, review["review_id"])
    assert reply.status == 201, reply.body
    assert reply.json["status"] == "open" and reply.json["report_id"]
    report_id = reply.json["report_id"]

    # One open report per review: a second one is a conflict, whatever its body.
    for body in ({"category": "insult", "reason": "Noch ein Grund, warum das falsch ist."},
                 {"category": "kaputt"}):
        again = http.post(f"/agency/reviews/{review['review_id']}/reports", body, token=DEMO)
        assert again.status == 409 and again.json["error"]["code"] == "report_open"

    # Still shown publicly, as "reported" for the agency; the summary is unchanged.
    assert [r["review_id"] for r in public(http)["reviews"]] == [review["review_id"]]
    assert public(http)["summary"] == {"count": 1, "average": 2.0}
    assert agency_status(http, review["review_id"]) == "reported"
    [listed] = open_reports(http)
    assert listed["report_id"] == report_id
    assert listed["category"] == "not_a_customer" and listed["reason"] == REASON
    assert listed["review"]["review_id"] == review["review_id"]
    assert listed["review"]["email"] == "eva@example.org"  # QA may contact the reviewer
    assert listed["statement"] is None and listed["proof"] is None

    # Bad report bodies (on another published review): 422 naming the field.
    other = published_review(http, outbox, email="zwei@example.org",
                             text="Sehr unfreundlich am Telefon, Unterlagen kamen zu spät.")
    for body, field in (({"category": "spam", "reason": REASON}, "category"),
                        ({"category": "insult", "reason": "zu kurz"}, "reason"),
                        ({"category": "insult", "reason": "x" * 2001}, "reason"),
                        ({"reason": REASON}, "category"), ({"category": "insult"}, "reason"),
                        ({"category": ["insult"], "reason": REASON}, "category")):
        bad = http.post(f"/agency/reviews/{other['review_id']}/reports", body, token=DEMO)
        assert bad.status == 422 and field in bad.json["error"]["fields"], (body, bad.body)
    assert agency_status(http, other["review_id"]) == "published"
    # Reports of other agencies' reviews or unknown ids: 404.
    assert report(http, other["review_id"], token=OTHER).status == 404
    assert report(http, "b" * 26).status == 404


def test_only_published_reviews_can_be_reported(http, outbox):
    awaiting = submit(http, email="wartet@example.org").json["review_id"]
    in_review = submit_and_confirm(http, outbox, email="pruef@example.org",
                                   text="Ein Betrüger, aber immerhin pünktlich und höflich.")
    for review_id in (awaiting, in_review["review_id"]):
        assert report(http, review_id).status == 409
        assert report(http, review_id, category="unsinn").status == 409
    assert open_reports(http) == []


def answer_link(outbox: Any, purpose: str, address: str = "eva@example.org") -> str:
    for message in reversed(mails_to(outbox(), address)):
        found = links_of(message, purpose)
        if found:
            return found[-1]
    raise AssertionError(f"no {purpose} link")


def test_statement_and_proof_then_keep(http, outbox, clock):
    review = published_review(http, outbox)
    report_id = report(http, review["review_id"]).json["report_id"]
    mails_before = len(outbox())

    # A statement request without a body at all.
    reply = http.request("POST", f"/qa/reports/{report_id}/request-statement", token=QA)
    assert reply.status == 200, reply.body
    assert reply.json["statement"]["deadline"] == "2026-12-07T09:00:00.000Z"  # 14 days
    [mail] = outbox()[mails_before:]
    assert mail["to"] == ["eva@example.org"]
    for part in (mail["text"], mail["html"]):
        assert REASON in part                      # the complaint is forwarded
        assert "7. Dezember 2026" in part          # with the deadline
        assert "kontakt@demo-makler.de" not in part
    link = answer_link(outbox, "review-statement")
    # Asking again while the first request is pending is a conflict.
    assert http.post(f"/qa/reports/{report_id}/request-statement", {},
                     token=QA).status == 409

    # The form: GET shows a text area, POST without an answer re-shows it with 422.
    page = http.get(link)
    assert page.status == 200
    assert re.search(r"<textarea[^>]*name=\"answer\"", page.text)
    assert re.search(r"<button[^>]*>Stellungnahme senden</button>", page.text)
    assert REASON in page.text
    empty = http.form_post(link, "answer=++")
    assert empty.status == 422 and "Bitte füllen Sie dieses Feld aus." in empty.text
    clock.advance(days=2)
    done = http.form_post(link, "answer=Ich+war+am+3.+M%C3%A4rz+bei+der+Besichtigung.")
    assert done.status == 200 and "Vielen Dank" in done.text
    assert http.form_post(link, "answer=nochmal").status == 410
    [listed] = open_reports(http)
    assert listed["statement"]["answer"] == "Ich war am 3. März bei der Besichtigung."
    assert listed["statement"]["answered_at"] == "2026-11-25T09:00:00.000Z"

    # Then proof, with a message from QA.
    reply = http.post(f"/qa/reports/{report_id}/request-proof",
                      {"message": "Bitte nennen Sie das Datum des Exposé-Versands."}, token=QA)
    assert reply.status == 200
    assert "Datum des Exposé-Versands" in outbox()[-1]["text"]
    proof = answer_link(outbox, "review-proof")
    assert re.search(r"<button[^>]*>Nachweis senden</button>", http.get(proof).text)
    assert http.form_post(proof, "answer=Expos%C3%A9+kam+am+1.+M%C3%A4rz+per+Mail.").status == 200
    assert open_reports(http)[0]["proof"]["answer"] == "Exposé kam am 1. März per Mail."

    # A later statement request keeps the first answer in the history.
    assert http.post(f"/qa/reports/{report_id}/request-statement",
                     {"message": "Noch eine Frage."}, token=QA).status == 200
    [history] = open_reports(http)[0]["history"]
    assert history["kind"] == "statement" and history["answer"].startswith("Ich war")

    # Resolve: keep. The review is published again; both sides hear the outcome and reason.
    mails_before = len(outbox())
    reply = http.post(f"/qa/reports/{report_id}/resolve",
                      {"outcome": "keep", "reason": "Der Kundenkontakt ist belegt."}, token=QA)
    assert reply.status == 200, reply.body
    assert reply.json["status"] == "resolved" and reply.json["outcome"] == "keep"
    assert reply.json["review"]["status"] == "published"
    outcome_mails = outbox()[mails_before:]
    assert sorted(m["to"][0] for m in outcome_mails) == ["eva@example.org",
                                                        "kontakt@demo-makler.de"]
    for message in outcome_mails:
        assert "Der Kundenkontakt ist belegt." in message["text"]
        assert "bleibt veröffentlicht" in message["text"]
    assert agency_status(http, review["review_id"]) == "published"
    assert public(http)["summary"]["count"] == 1
    # The pending statement link of the resolved report is dead; resolving again is 409.
    assert http.get(answer_link(outbox, "review-statement")).status == 410
    assert http.post(f"/qa/reports/{report_id}/resolve",
                     {"outcome": "block", "reason": "Doch nicht."}, token=QA).status == 409
    assert http.post(f"/qa/reports/{report_id}/request-proof", {}, token=QA).status == 409
    assert open_reports(http) == []
    assert [r["report_id"] for r in open_reports(http, "resolved")] == [report_id]
    # The agency may report the review again later.
    assert report(http, review["review_id"], category="false_facts").status == 201


def test_block_hides_the_review_but_keeps_the_record(http, outbox):
    review = published_review(http, outbox, rating=1)
    report_id = report(http, review["review_id"], category="insult").json["report_id"]
    reply = http.post(f"/qa/reports/{report_id}/resolve",
                      {"outcome": "block", "reason": "Unzulässige Schmähkritik."}, token=QA)
    assert reply.status == 200
    assert reply.json["review"]["status"] == "blocked"
    assert public(http)["reviews"] == []
    assert public(http)["summary"] == {"count": 0, "average": None}
    assert agency_status(http, review["review_id"]) == "blocked"
    kept = qa_review(http, review["review_id"])
    assert kept["text"] == TEXT and kept["email"] == "eva@example.org"
    # Blocked is final: no report, no comment, no decision.
    assert report(http, review["review_id"]).status == 409
    assert http.put(f"/agency/reviews/{review['review_id']}/comment", {"text": "Hm"},
                    token=DEMO).status == 409
    assert http.post(f"/qa/reviews/{review['review_id']}/decision",
                     {"decision": "publish", "reason": "x"}, token=QA).status == 409


def test_delete_erases_the_reviewers_personal_data(http, outbox, container):
    review = published_review(http, outbox, ip=PUBLIC_IP, email="loeschen@example.org",
                              reviewer_name="Lotte Löschmich",
                              text="Absolut unmöglich, diese Wohnung war eine Zumutung.")
    report_id = report(http, review["review_id"], category="false_facts").json["report_id"]
    http.post(f"/qa/reports/{report_id}/request-statement", {}, token=QA)
    statement = answer_link(outbox, "review-statement", "loeschen@example.org")
    http.form_post(statement, "answer=Meine+geheime+Stellungnahme")
    mails_before = len(outbox())

    reply = http.post(f"/qa/reports/{report_id}/resolve",
                      {"outcome": "delete", "reason": "Falsche Tatsachenbehauptung belegt."},
                      token=QA)
    assert reply.status == 200, reply.body
    # Both sides were mailed (the reviewer before the address was erased).
    outcome_mails = outbox()[mails_before:]
    assert sorted(m["to"][0] for m in outcome_mails) == ["kontakt@demo-makler.de",
                                                        "loeschen@example.org"]
    assert all("gelöscht" in m["text"] for m in outcome_mails)
    # Gone from every list (the agency's too), 404 for QA, nothing personal left anywhere.
    assert public(http)["reviews"] == []
    assert agency_status(http, review["review_id"]) is None
    assert http.get(f"/qa/reviews/{review['review_id']}", token=QA).status == 404
    everything = dump(container.settings.region)
    for trace in ("loeschen@example.org", "Lotte", "Zumutung", "5550123", "geheime"):
        assert trace not in everything, trace
    [resolved] = open_reports(http, "resolved")
    assert resolved["outcome"] == "delete" and resolved["reason"] == REASON
    assert "answer" not in resolved["statement"]
    # QA keeps the record of what was decided, without the personal data.
    assert resolved["review"]["status"] == "deleted"
    assert resolved["review"]["email"] is None and resolved["review"]["text"] is None
    # The same email may review again: a deleted review does not count as a prior one.
    again = submit_and_confirm(http, outbox, email="loeschen@example.org",
                               text="Neuer Anlauf mit einer sachlichen Bewertung, danke.")
    assert again["status"] == "published", again["findings"]


def test_unanswered_statement_blocks_the_review_after_the_deadline(http, outbox, clock):
    review = published_review(http, outbox)
    answered = published_review(http, outbox, email="antwortet@example.org",
                                text="Termine wurden ständig verschoben, sehr ärgerlich.")
    report_id = report(http, review["review_id"]).json["report_id"]
    other_report = report(http, answered["review_id"], category="false_facts").json["report_id"]
    for rid in (report_id, other_report):
        assert http.post(f"/qa/reports/{rid}/request-statement", {}, token=QA).status == 200
    link = answer_link(outbox, "review-statement")
    http.form_post(answer_link(outbox, "review-statement", "antwortet@example.org"),
                   "answer=Das+stimmt+so.")

    clock.advance(days=14, seconds=-1)
    assert http.post("/dev/jobs/review-sweep").json["reports_blocked"] == 0
    assert http.get(link).status == 200
    clock.advance(seconds=2)
    mails_before = len(outbox())
    summary = http.post("/dev/jobs/review-sweep").json
    assert summary["reports_blocked"] == 1, summary
    assert agency_status(http, review["review_id"]) == "blocked"
    assert agency_status(http, answered["review_id"]) == "reported"  # answered: QA decides
    [resolved] = open_reports(http, "resolved")
    assert resolved["report_id"] == report_id
    assert resolved["outcome"] == "block" and resolved["resolved_by"] == "review-sweep"
    outcome_mails = outbox()[mails_before:]
    assert sorted(m["to"][0] for m in outcome_mails) == ["eva@example.org",
                                                        "kontakt@demo-makler.de"]
    assert all("gesperrt" in m["text"] and "Frist" in m["text"] for m in outcome_mails)
    assert http.get(link).status == 410
    assert [r["review_id"] for r in public(http)["reviews"]] == [answered["review_id"]]

    # The same night again: nothing more.
    again = http.post("/dev/jobs/review-sweep").json
    assert again["reports_blocked"] == 0
    assert len(outbox()) == mails_before + 2


def test_proof_deadline_counts_even_after_a_statement_was_answered(http, outbox, clock):
    review = published_review(http, outbox)
    report_id = report(http, review["review_id"]).json["report_id"]
    http.post(f"/qa/reports/{report_id}/request-statement", {}, token=QA)
    http.form_post(answer_link(outbox, "review-statement"), "answer=Stimmt+alles.")
    clock.advance(days=3)
    http.post(f"/qa/reports/{report_id}/request-proof", {}, token=QA)
    clock.advance(days=13)
    assert http.post("/dev/jobs/review-sweep").json["reports_blocked"] == 0
    clock.advance(days=1, seconds=1)
    assert http.post("/dev/jobs/review-sweep").json["reports_blocked"] == 1
    assert agency_status(http, review["review_id"]) == "blocked"


def test_report_routes_refuse_bad_input_without_changes(http, outbox):
    review = published_review(http, outbox)
    report_id = report(http, review["review_id"]).json["report_id"]
    for path in ("request-statement", "request-proof"):
        for body, status in ((b"{kaputt", 400), (b"[1]", 400), (b'{"message": 5}', 422),
                             (b'{"message": "' + b"m" * 2001 + b'"}', 422),
                             (b'{"other": 1}', 422)):
            reply = http.request("POST", f"/qa/reports/{report_id}/{path}", body=body, token=QA)
            assert reply.status == status, (path, body[:12], reply.body)
    for body, field in (({"outcome": "archive", "reason": "x"}, "outcome"),
                        ({"outcome": "keep"}, "reason"), ({"outcome": "keep", "reason": ""},
                                                          "reason")):
        reply = http.post(f"/qa/reports/{report_id}/resolve", body, token=QA)
        assert reply.status == 422 and field in reply.json["error"]["fields"]
    [still] = open_reports(http)
    assert still["status"] == "open" and still["statement"] is None
    for path in ("request-statement", "request-proof", "resolve"):
        reply = http.post(f"/qa/reports/{'c' * 26}/{path}", {"outcome": "keep", "reason": "x"},
                          token=QA)
        assert reply.status == 404
    for query in ("?status=closed", "?limit=0", "?limit=abc", "?cursor=%%%"):
        assert http.get(f"/qa/reports{query}", token=QA).status == 422, query
    assert len(outbox()) == 3  # confirm, published, agency: nothing since


def test_concurrent_reports_leave_one_open(http, outbox):
    review = published_review(http, outbox)
    path = f"/agency/reviews/{review['review_id']}/reports"
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {DEMO}"}
    body = json.dumps({"category": "insult", "reason": REASON}).encode()
    with thread_safe_gateway() as gateway:
        results = run_concurrently([
            lambda: gateway.handle_request(method="POST", path=path, headers=dict(headers),
                                           body=body)["statusCode"]
            for _ in range(6)])
    assert sorted(results) == [201] + [409] * 5, results
    assert len(open_reports(http)) == 1
    assert agency_status(http, review["review_id"]) == "reported"


def test_delete_also_clears_answers_from_earlier_cases(http, outbox, container):
    review = published_review(http, outbox)
    first = report(http, review["review_id"]).json["report_id"]
    http.post(f"/qa/reports/{first}/request-statement", {}, token=QA)
    http.form_post(answer_link(outbox, "review-statement"), "answer=Alte+private+Antwort")
    assert http.post(f"/qa/reports/{first}/resolve", {"outcome": "keep", "reason": "Belegt."},
                     token=QA).status == 200
    second = report(http, review["review_id"], category="false_facts").json["report_id"]
    reply = http.post(f"/qa/reports/{second}/resolve",
                      {"outcome": "delete", "reason": "Doch unzutreffend."}, token=QA)
    assert reply.status == 200, reply.body
    assert "private Antwort" not in dump(container.settings.region)
    resolved = {r["report_id"]: r for r in open_reports(http, "resolved")}
    assert resolved[first]["outcome"] == "keep" and "answer" not in resolved[first]["statement"]
