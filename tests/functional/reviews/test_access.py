"""The edges of the review routes: tokens (QA routes refuse agency tokens and vice versa),
tenant isolation (another agency's review is as unknown as a missing one), and bad input
on every route: always the 4xx envelope, never a 500, and nothing changed."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

import app as application
from tests.conftest import DEMO, OTHER, QA
from tests.functional.reviews.support import agency_list, public, review_payload, submit_and_confirm
from tests.support import dump, thread_safe_gateway

REVIEW_ROUTES = {
    ("POST", "/agencies/{agency_id}/reviews"), ("GET", "/agencies/{agency_id}/reviews"),
    ("GET", "/qa/reviews"), ("GET", "/qa/reviews/{review_id}"),
    ("POST", "/qa/reviews/{review_id}/decision"), ("POST", "/qa/reviews/{review_id}/phone-check"),
    ("GET", "/qa/reports"), ("POST", "/qa/reports/{report_id}/request-statement"),
    ("POST", "/qa/reports/{report_id}/request-proof"), ("POST", "/qa/reports/{report_id}/resolve"),
    ("GET", "/agency/reviews"), ("PUT", "/agency/reviews/{review_id}/comment"),
    ("POST", "/agency/reviews/{review_id}/reports"),
}


def routes() -> set[tuple[str, str]]:
    return {(method, path) for path, methods in application.app.routes.items()
            for method in methods}


def assert_envelope(reply: Any, status: int, case: Any = "") -> dict[str, Any]:
    assert reply.status == status, (case, reply.status, reply.body)
    assert reply.headers["content-type"].startswith("application/json")
    body = reply.json
    assert set(body) == {"error"}, body
    assert body["error"]["code"] and body["error"]["message"]
    assert ("fields" in body["error"]) == (status == 422), body
    return body["error"]


@pytest.fixture
def world(http: Any, outbox: Any) -> dict[str, Any]:
    """A published, reported review of demo (with an open report) and an in_review one."""
    reported = submit_and_confirm(http, outbox, email="gemeldet@example.org",
                                  text="Die Übergabe war chaotisch, Schlüssel fehlten tagelang.")
    report = http.post(f"/agency/reviews/{reported['review_id']}/reports",
                       {"category": "false_facts", "reason": "Das stimmt so nicht, bitte prüfen."},
                       token=DEMO)
    assert report.status == 201
    flagged = submit_and_confirm(http, outbox, email="flag@example.org", phone="030 1234567",
                                 text="Ein Betrüger vor dem Herrn, aber immerhin pünktlich.")
    assert flagged["status"] == "in_review"
    return {"review_id": flagged["review_id"], "reported_id": reported["review_id"],
            "report_id": report.json["report_id"], "agency_id": "demo"}


def fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), "x"), path)


def test_the_contracts_review_routes_exist():
    assert routes() >= REVIEW_ROUTES


def test_tokens_of_the_wrong_kind_are_401_before_anything_else(http, world, outbox):
    before = (dump_reviews(http), len(outbox()))
    for method, path in sorted(REVIEW_ROUTES):
        if path.startswith("/qa/"):
            refused = [DEMO, OTHER, None, "nope"]
        elif path.startswith("/agency/"):
            refused = [QA, None, "nope"]
        else:
            continue
        for token in refused:
            for body in (b'{"decision": "publish", "reason": "x"}', b"{kaputt", b"x" * 20000):
                reply = http.request(method, fill(path, world), token=token, body=body)
                error = assert_envelope(reply, 401, (method, path, token))
                assert error["code"] == "unauthorized"
            # Unknown ids too: 401 first, never a hint whether the id exists.
            reply = http.request(method, fill(path, {}), token=token)
            assert_envelope(reply, 401, (method, path, token))
    assert (dump_reviews(http), len(outbox())) == before


def dump_reviews(http: Any) -> Any:
    return (http.get("/agency/reviews", token=DEMO).json,
            http.get("/qa/reviews?status=in_review", token=QA).json,
            http.get("/qa/reports", token=QA).json, public(http))


def test_another_agency_cannot_see_or_touch_demos_reviews(http, world, outbox, container):
    state = dump(container.settings.region)
    mails = len(outbox())
    unknown = "z" * 26
    for review_id in (world["review_id"], world["reported_id"]):
        for method, path, body in (
            ("PUT", "/agency/reviews/{id}/comment", {"text": "Gekapert"}),
            ("PUT", "/agency/reviews/{id}/comment", {"text": ""}),
            ("POST", "/agency/reviews/{id}/reports",
             {"category": "insult", "reason": "Fremde Meldung eines anderen Maklers."}),
            ("POST", "/agency/reviews/{id}/reports", {"category": "?"}),
        ):
            foreign = http.request(method, path.format(id=review_id), token=OTHER,
                                   json_body=body)
            missing = http.request(method, path.format(id=unknown), token=OTHER,
                                   json_body=body)
            assert_envelope(foreign, 404, (method, path))
            assert foreign.json == missing.json
    assert agency_list(http, OTHER) == []
    assert dump(container.settings.region) == state
    assert len(outbox()) == mails
    # Demo sees its own.
    assert {r["review_id"] for r in agency_list(http)} == {world["review_id"],
                                                           world["reported_id"]}


BAD_SUBMISSIONS = [
    ("rating-zero", {"rating": 0}, "rating"),
    ("rating-six", {"rating": 6}, "rating"),
    ("rating-string", {"rating": "5"}, "rating"),
    ("rating-float", {"rating": 4.0}, "rating"),
    ("rating-half", {"rating": 4.5}, "rating"),
    ("rating-bool", {"rating": True}, "rating"),
    ("rating-null", {"rating": None}, "rating"),
    ("rating-missing", {"rating": "__drop__"}, "rating"),
    ("title-short", {"title": "ab"}, "title"),
    ("title-blank", {"title": "    "}, "title"),
    ("title-long", {"title": "t" * 121}, "title"),
    ("title-crlf", {"title": "Gut\r\nBcc: x@example.org"}, "title"),
    ("title-number", {"title": 123}, "title"),
    ("text-short", {"text": "Zu kurz für Text."}, "text"),
    ("text-padded", {"text": "   kurz   " + " " * 40}, "text"),
    ("text-long", {"text": "t" * 5001}, "text"),
    ("text-control", {"text": "Ein Text mit \x07 Steuerzeichen darin."}, "text"),
    ("name-short", {"reviewer_name": "E"}, "reviewer_name"),
    ("name-long", {"reviewer_name": "E" * 81}, "reviewer_name"),
    ("name-list", {"reviewer_name": ["Eva"]}, "reviewer_name"),
    ("email-missing", {"email": "__drop__"}, "email"),
    ("email-bad", {"email": "eva(at)example.org"}, "email"),
    ("email-crlf", {"email": "eva@example.org\r\nBcc: x@example.org"}, "email"),
    ("phone-letters", {"phone": "030 CALL ME"}, "phone"),
    ("phone-dashes", {"phone": "030-1234567"}, "phone"),
    ("phone-short", {"phone": "+49 30"}, "phone"),
    ("phone-no-prefix", {"phone": "1234567"}, "phone"),
    ("phone-number", {"phone": 301234567}, "phone"),
]


def test_bad_submissions_are_422_naming_the_field_and_store_nothing(http, outbox, container):
    state = dump(container.settings.region)
    for case, overrides, field in BAD_SUBMISSIONS:
        payload = review_payload(**overrides)
        for key, value in overrides.items():
            if value == "__drop__":
                payload.pop(key)
        reply = http.post("/agencies/demo/reviews", payload)
        error = assert_envelope(reply, 422, case)
        assert field in error["fields"], (case, error["fields"])
    reply = http.post("/agencies/demo/reviews", {})
    assert set(assert_envelope(reply, 422)["fields"]) == {"rating", "title", "text",
                                                         "reviewer_name", "email"}
    for body, status in ((b"{kaputt", 400), (b"[]", 400), (b"null", 400), (b"", 400),
                         (b'"text"', 400), (json.dumps(review_payload(text="x" * 17000)).encode(),
                                            413)):
        assert_envelope(http.request("POST", "/agencies/demo/reviews", body=body), status, body[:9])
    assert outbox() == []
    assert dump(container.settings.region) == state


def test_limits_are_inclusive_and_extra_fields_are_ignored(http, outbox):
    reply = http.post("/agencies/demo/reviews", review_payload(
        title="abc", text="t" * 5000, reviewer_name="Ev", phone="", unknown_field=1))
    assert reply.status == 202, reply.body
    reply = http.post("/agencies/demo/reviews", review_payload(
        email="zwei@example.org", title="t" * 120, text="Zwanzig Zeichen lang!"[:20],
        reviewer_name="E" * 80, phone="0049 30 1234567"))
    assert reply.status == 202, reply.body
    listed = {r["title"] for r in agency_list(http)}
    assert listed == {"abc", "t" * 120}


@pytest.mark.parametrize(("method", "path", "token"), [
    ("POST", "/agencies//reviews", None), ("GET", "/agencies//reviews", None),
    ("POST", "/qa/reviews//decision", QA),
    ("POST", "/qa/reviews//phone-check", QA), ("POST", "/qa/reports//resolve", QA),
    ("POST", "/qa/reports//request-statement", QA), ("POST", "/qa/reports//request-proof", QA),
    ("PUT", "/agency/reviews//comment", DEMO), ("POST", "/agency/reviews//reports", DEMO),
])
def test_empty_ids_are_a_404_envelope(http, method, path, token, outbox):
    reply = http.request(method, path, token=token, body=json.dumps(review_payload()))
    assert_envelope(reply, 404)
    assert outbox() == []


def test_bad_query_parameters_are_422_never_500(http, world):
    for path in ("/agencies/demo/reviews", "/agency/reviews", "/qa/reviews", "/qa/reports"):
        token = DEMO if path.startswith("/agency/") else QA if path.startswith("/qa/") else None
        for query in ("limit=0", "limit=-1", "limit=1001", "limit=zwei", "limit=1.5",
                      "cursor=%%%", "cursor=bm90LWEtcG9zaXRpb24", "cursor=" + "A" * 500):
            reply = http.get(f"{path}?{query}", token=token)
            assert_envelope(reply, 422, (path, query))
    for status in ("deleted", "open", "IN_REVIEW", "*"):
        assert_envelope(http.get(f"/qa/reviews?status={status}", token=QA), 422, status)


def test_bad_bodies_on_the_record_routes_change_nothing(http, world, outbox, container):
    state = dump(container.settings.region)
    mails = len(outbox())
    targets = [
        ("POST", f"/qa/reviews/{world['review_id']}/decision", QA),
        ("POST", f"/qa/reviews/{world['review_id']}/phone-check", QA),
        ("POST", f"/qa/reports/{world['report_id']}/resolve", QA),
        ("POST", f"/qa/reports/{world['report_id']}/request-statement", QA),
        ("POST", f"/qa/reports/{world['report_id']}/request-proof", QA),
        ("PUT", f"/agency/reviews/{world['reported_id']}/comment", DEMO),
    ]
    bodies = [(b"{kaputt", 400), (b"[1, 2]", 400), (b'"x"', 400), (b"x" * 20000, 413),
              (b'{"a":' * 2500 + b"1" + b"}" * 2500, 400),
              (json.dumps({"decision": 1, "reason": [], "confirmed": "ja", "outcome": 7,
                           "text": {}, "message": 3}).encode(), 422)]
    for method, path, token in targets:
        for body, status in bodies:
            reply = http.request(method, path, body=body, token=token)
            assert_envelope(reply, status, (path, body[:10]))
    # A report on a review that already has one: 409 wins over the broken body.
    reply = http.request("POST", f"/agency/reviews/{world['reported_id']}/reports",
                         body=b"{kaputt", token=DEMO)
    assert_envelope(reply, 409)
    assert dump(container.settings.region) == state
    assert len(outbox()) == mails


def test_public_routes_answer_cors_preflights(http):
    # chalice.test.Client cannot read a preflight's empty body; its gateway can.
    with thread_safe_gateway() as gateway:
        reply = gateway.handle_request(
            method="OPTIONS", path="/agencies/demo/reviews", body=b"",
            headers={"Origin": "https://makler.example", "Access-Control-Request-Method": "POST"})
    assert reply["statusCode"] == 200
    assert reply["headers"]["Access-Control-Allow-Origin"] == "*"
    assert "POST" in reply["headers"]["Access-Control-Allow-Methods"]
